// Transforms applied when a data file is made or re-written, in this order:
// split selection → shuffle → limit → validation split → scale → standardize.

public struct TransformSettings: Equatable {
    public var shuffle = false
    public var limit: Int? = nil
    public var valFraction: Double? = nil
    /// Scale X to [0, 1]: by this divisor when given (an image type's maximum,
    /// e.g. 255), else by the train split's min and max.
    public var scale = false
    public var scaleDivisor: Float? = nil
    public var standardize = false
    /// Keep only these splits (nil = all).
    public var splits: [String]? = nil

    public init() {}

    public var isIdentity: Bool {
        !shuffle && limit == nil && valFraction == nil && !scale && !standardize && splits == nil
    }
}

public func applyTransforms(_ data: DataFile, _ t: TransformSettings, seed: UInt64) throws -> DataFile {
    var out = data
    if let keep = t.splits {
        out.splits = out.splits.filter { keep.contains($0.name) }
        guard out.train != nil else {
            throw DLError.input("--splits \(keep.joined(separator: ",")) keeps no /train: the data has \(data.splits.map(\.name).joined(separator: ", "))")
        }
    }
    // Each split gets its own stream, so adding a split does not change the others.
    for (i, name) in splitNames.enumerated() {
        guard var s = out[name] else { continue }
        if t.shuffle {
            var rng = RNG(seed: seed, stream: .rowShuffle(split: i))
            s = s.selecting(rng.permutation(s.rows))
        }
        if let limit = t.limit, limit < s.rows {
            s = s.selecting(Array(0..<limit))
        }
        out[name] = s
    }
    if let f = t.valFraction, f > 0 {
        guard out["val"] == nil else {
            throw DLError.input("the data already has a /val split", hint: "drop --val-fraction")
        }
        guard let train = out.train else { throw DLError.input("no /train split to take a validation split from") }
        let nVal = Int((Double(train.rows) * f).rounded())
        guard nVal >= 1, nVal < train.rows else {
            throw DLError.usage("--val-fraction \(f) of \(train.rows) rows leaves \(nVal) validation rows",
                                hint: "choose a fraction that leaves rows in both splits")
        }
        let cut = train.rows - nVal
        out["train"] = train.selecting(Array(0..<cut))
        var val = train.selecting(Array(cut..<train.rows))
        val.name = "val"
        out["val"] = val
    }
    if t.scale {
        let (lo, span): (Float, Float)
        if let d = t.scaleDivisor {
            (lo, span) = (0, d)
        } else {
            guard let train = out.train, train.X.count > 0 else { throw DLError.input("--scale needs a non-empty /train split") }
            let mn = train.X.storage.min()!, mx = train.X.storage.max()!
            (lo, span) = (mn, mx > mn ? mx - mn : 1)
        }
        for i in out.splits.indices {
            out.splits[i].X.storage.withUnsafeMutableBufferPointer { p in
                for j in 0..<p.count { p[j] = (p[j] - lo) / span }
            }
        }
    }
    if t.standardize {
        guard let train = out.train, train.rows > 0 else { throw DLError.input("--standardize needs a non-empty /train split") }
        let (mean, std) = columnMeanStd(train.X)
        for i in out.splits.indices {
            let d = out.splits[i].features
            out.splits[i].X.storage.withUnsafeMutableBufferPointer { p in
                for r in 0..<(p.count / max(d, 1)) {
                    for c in 0..<d { p[r * d + c] = (p[r * d + c] - mean[c]) / std[c] }
                }
            }
        }
    }
    return out
}

/// Per-column mean and standard deviation (population, float64 accumulation);
/// a constant column gets std 1 so it maps to 0 rather than NaN.
public func columnMeanStd(_ X: Matrix) -> (mean: [Float], std: [Float]) {
    let (m, d) = (X.rows, X.cols)
    var sum = [Double](repeating: 0, count: d)
    var sq = [Double](repeating: 0, count: d)
    X.storage.withUnsafeBufferPointer { p in
        for r in 0..<m {
            for c in 0..<d {
                let v = Double(p[r * d + c])
                sum[c] += v
                sq[c] += v * v
            }
        }
    }
    var mean = [Float](repeating: 0, count: d)
    var std = [Float](repeating: 1, count: d)
    for c in 0..<d {
        let mu = sum[c] / Double(m)
        let variance = max(0, sq[c] / Double(m) - mu * mu)
        mean[c] = Float(mu)
        let s = variance.squareRoot()
        std[c] = s > 1e-12 ? Float(s) : 1
    }
    return (mean, std)
}
