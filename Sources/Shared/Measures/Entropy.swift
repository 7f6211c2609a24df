import Foundation

// Entropies of the thesis, all in bits:
// - H(Y|Z) of a layer (Th. 5.5.4, Figures 5.18–5.21): each feature z_j *selects*
//   the samples S₊(z_j) that pass it unfiltered (z > 0 for a ReLU: the positive
//   half-space of its weight vector, Figure 5.17); the feature's H(Y|Z) is the
//   entropy of the class distribution over its selection, and the layer's is the
//   mean over its features.
// The entropy of a weight tensor (Th. 3.4, Algorithm 1) lives with the quantizer
// it is measured through, in Compress/Quantize.swift.

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
