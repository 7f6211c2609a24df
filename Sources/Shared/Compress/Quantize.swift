import Foundation

// The uniform quantizer of Th. 3 and the entropy estimate that picks its bit width.
//
// Th. 3.2: N-bit quantization splits [w_min, w_max] into 2^N equal bins and sends a
// weight as the index of its bin; the receiver takes the bin's centre. The thesis'
// QUANTIZE counts bins down from w_max, ⌊2^N (w_max − w)/(w_max − w_min)⌋, while its
// decoder (Algorithm 2) reads them up from w_min, w_min + (w_max − w_min)(i + ½)/2^N.
// Read literally, the two disagree: a weight near w_min would come back near w_max.
// We count up from w_min on both sides, q = ⌊2^N (w − w_min)/(w_max − w_min)⌋ with
// w_max in the top bin, so decode(encode(w)) is the centre of w's own bin.
// ESTIMATE ENTROPY (Algorithm 1) is the entropy of a 2^M-bin histogram of a seeded
// random fraction F of the weights, over the range of all of them.

/// Shannon entropy in bits of a histogram of counts; 0 for an empty one.
public func entropyBits<C: Collection>(_ counts: C) -> Double where C.Element: BinaryInteger {
    var total = 0.0
    for c in counts where c > 0 { total += Double(c) }
    guard total > 0 else { return 0 }
    var h = 0.0
    for c in counts where c > 0 {
        let p = Double(c) / total
        h -= p * log2(p)
    }
    return max(h, 0)
}

/// The bins of Th. 3.2 over [wmin, wmax], counted up from wmin (the orientation
/// of the thesis' decoder, Algorithm 2), with wmax in the top bin: q = ⌊levels ·
/// (w − wmin)/(wmax − wmin)⌋ in float64, the constants hoisted out of the loops.
struct Bins {
    let lo: Double, range: Double, levels: Double, top: Double

    init(wmin: Float, wmax: Float, levels: Int) {
        lo = Double(wmin)
        range = Double(wmax) - Double(wmin)
        self.levels = Double(levels)
        top = Double(levels - 1)
    }

    /// The bin of w (0 when the range is empty); w outside the range goes to the
    /// nearer end bin. Clamped at 0 first, so truncation is the floor.
    @inline(__always)
    func index(_ w: Float) -> Int {
        guard range > 0 else { return 0 }
        return Int(min(max(levels * (Double(w) - lo) / range, 0), top))
    }
}

/// The bin of w among `levels` equal bins over [wmin, wmax], counted up from
/// wmin (the orientation of the thesis' decoder, Algorithm 2); wmax falls in the top bin.
@inline(__always)
public func quantizeIndex(_ w: Float, wmin: Float, wmax: Float, levels: Int) -> Int {
    Bins(wmin: wmin, wmax: wmax, levels: levels).index(w)
}

/// The minimum and maximum of `w` in one pass; nil when a value is NaN or infinite.
func finiteRange(_ w: UnsafeBufferPointer<Float>) -> (min: Float, max: Float)? {
    // Branch-free, so it vectorizes: the largest exponent field seen is all ones
    // exactly when some value is NaN or infinite.
    var lo = Float.infinity, hi = -Float.infinity, exponent: UInt32 = 0
    for v in w {
        lo = v < lo ? v : lo
        hi = v > hi ? v : hi
        exponent = max(exponent, v.bitPattern & 0x7F80_0000)
    }
    return exponent == 0x7F80_0000 ? nil : (lo, hi)
}

/// The entropy in bits of a weight tensor quantized to 2^bits levels between its
/// min and max (Algorithm 1's ESTIMATE ENTROPY). With `sampleFraction` < 1 the
/// histogram is taken over a seeded random subset of ⌈F·n⌉ weights, as the
/// thesis estimates it; the range always comes from all weights.
public func weightEntropy(_ w: [Float], bits: Int, sampleFraction: Double = 1, seed: UInt64 = 0) throws -> Double {
    guard (1...24).contains(bits) else { throw DLError.usage("the histogram needs 1…24 bits, not \(bits)") }
    guard sampleFraction > 0 && sampleFraction <= 1 else {
        throw DLError.usage("the sample fraction must lie in (0, 1], not \(sampleFraction)")
    }
    return try w.withUnsafeBufferPointer { b in
        guard !b.isEmpty else { return 0 }
        guard let (wmin, wmax) = finiteRange(b) else { throw DLError.input("weights with NaN or Inf values have no entropy") }
        return sampledEntropy(b, wmin: wmin, wmax: wmax, bits: bits, sampleFraction: sampleFraction, seed: seed)
    }
}

/// H of the 2^bits-bin histogram over [wmin, wmax] of all of `w`, or of ⌈F·n⌉ of
/// its weights drawn without replacement (Floyd's algorithm: one draw per sampled
/// weight, a bitmap of the drawn ones).
func sampledEntropy(_ w: UnsafeBufferPointer<Float>, wmin: Float, wmax: Float, bits: Int, sampleFraction: Double, seed: UInt64) -> Double {
    let n = w.count, bins = Bins(wmin: wmin, wmax: wmax, levels: 1 << bits)
    var hist = [Int](repeating: 0, count: 1 << bits)
    if sampleFraction >= 1 {
        for v in w { hist[bins.index(v)] += 1 }
        return entropyBits(hist)
    }
    let size = min(n, max(1, Int((sampleFraction * Double(n)).rounded(.up))))
    var rng = RNG(seed: seed, stream: .weightSample)
    var drawn = [UInt64](repeating: 0, count: (n + 63) / 64)
    for j in (n - size)..<n {
        var k = rng.below(j + 1)
        if drawn[k >> 6] & (1 << UInt64(k & 63)) != 0 { k = j }
        drawn[k >> 6] |= 1 << UInt64(k & 63)
        hist[bins.index(w[k])] += 1
    }
    return entropyBits(hist)
}
