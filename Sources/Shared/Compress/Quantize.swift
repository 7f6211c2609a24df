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

/// The bin of w among `levels` equal bins over [wmin, wmax], counted up from
/// wmin (the orientation of the thesis' decoder, Algorithm 2); wmax falls in the top bin.
@inline(__always)
public func quantizeIndex(_ w: Float, wmin: Float, wmax: Float, levels: Int) -> Int {
    guard wmax > wmin else { return 0 }
    let q = Int((Double(levels) * (Double(w) - Double(wmin)) / (Double(wmax) - Double(wmin))).rounded(.down))
    return min(max(q, 0), levels - 1)
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
    guard !w.isEmpty else { return 0 }
    guard let wmin = w.min(), let wmax = w.max(), wmin.isFinite, wmax.isFinite, !w.contains(where: { $0.isNaN }) else {
        throw DLError.input("weights with NaN or Inf values have no entropy")
    }
    let levels = 1 << bits
    var hist = [Int](repeating: 0, count: levels)
    if sampleFraction >= 1 {
        for v in w { hist[quantizeIndex(v, wmin: wmin, wmax: wmax, levels: levels)] += 1 }
    } else {
        let size = max(1, Int((sampleFraction * Double(w.count)).rounded(.up)))
        var rng = RNG(seed: seed, stream: .weightSample)
        for i in rng.permutation(w.count).prefix(size) {
            hist[quantizeIndex(w[i], wmin: wmin, wmax: wmax, levels: levels)] += 1
        }
    }
    return entropyBits(hist)
}
