// The stable rank of a layer's weights (dl-measure rank).

/// The stable rank ‖W‖²_F / ‖W‖²₂ of a matrix (1 ≤ it ≤ rank W; 0 for W = 0).
public func stableRank(_ W: Matrix) throws -> Double {
    let Wd = W.toDouble()
    let fro = Wd.storage.reduce(0) { $0 + $1 * $1 }
    guard fro > 0 else { return 0 }
    let s = try svd(Wd).s
    guard let top = s.first, top > 0 else { return 0 }
    return fro / (top * top)
}
