import Foundation

// Entropies of the thesis, all in bits:
// - H(Y|Z) of a layer (Th. 5.5.4, Figures 5.18–5.21): each feature z_j *selects*
//   the samples S₊(z_j) that pass it unfiltered (z > 0 for a ReLU: the positive
//   half-space of its weight vector, Figure 5.17); the feature's H(Y|Z) is the
//   entropy of the class distribution over its selection, and the layer's is the
//   mean over its features.
// - The entropy of a weight tensor (Th. 3.4, Algorithm 1): a 2^M-bin histogram of
//   the weights, uniformly quantized between their min and max.

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

public struct SelectionEntropy: Equatable, Sendable {
    /// H(Y|Z): the mean of `perFeature` over the features that select at least one sample.
    public var mean: Double
    /// H(Y|S₊(z_j)) per feature; NaN for a feature that selects nothing (a dead unit).
    public var perFeature: [Double]
    /// Features whose selection is empty.
    public var dead: Int
    /// The mean fraction of samples a feature selects.
    public var selectedFraction: Double
}

/// H(Y|Z) of a representation. Z: [m, n], labels: [m] in 0..<classes.
/// A sample is in feature j's selection when Z[i, j] > threshold.
public func conditionalEntropy(_ Z: Matrix, labels: [Int32], classes: Int, threshold: Float = 0) throws -> SelectionEntropy {
    try Z.checkMatrix("Z")
    let m = Z.rows, n = Z.cols
    guard labels.count == m else { throw DLError.input("\(labels.count) labels for \(m) rows") }
    guard classes >= 1 else { throw DLError.input("H(Y|Z) needs at least one class") }
    if let bad = labels.first(where: { $0 < 0 || Int($0) >= classes }) {
        throw DLError.input("label \(bad) outside 0..<\(classes)")
    }
    // counts[c, j]: samples of class c that feature j selects; class-major so the
    // inner loop runs along a row of Z without branches.
    var counts = [Int32](repeating: 0, count: classes * n)
    Z.storage.withUnsafeBufferPointer { zp in
        counts.withUnsafeMutableBufferPointer { cp in
            for i in 0..<m {
                let row = zp.baseAddress! + i * n
                let c = cp.baseAddress! + Int(labels[i]) * n
                for j in 0..<n { c[j] &+= row[j] > threshold ? 1 : 0 }
            }
        }
    }
    var perFeature = [Double](repeating: .nan, count: n)
    var column = [Int32](repeating: 0, count: classes)
    var sum = 0.0, alive = 0, selected = 0
    for j in 0..<n {
        var total = 0
        for c in 0..<classes { column[c] = counts[c * n + j]; total += Int(column[c]) }
        selected += total
        guard total > 0 else { continue }
        let h = entropyBits(column)
        perFeature[j] = h
        sum += h
        alive += 1
    }
    return SelectionEntropy(mean: alive > 0 ? sum / Double(alive) : .nan, perFeature: perFeature, dead: n - alive,
                            selectedFraction: m > 0 && n > 0 ? Double(selected) / (Double(m) * Double(n)) : 0)
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
