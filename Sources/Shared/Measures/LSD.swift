// The least squares distance (Th. 5.3.1, eq. 5.3): how far the targets Y lie from
// the column space of a representation Z,
//     LSD(Y, Z) = (1/m) · ‖Y − Z Z⁺ Y‖²_F,
// which falls layer by layer in a trained net (Th. Figure 5.6).
//
// Z Z⁺ Y is the least-squares fit of Y on Z, computed in float64 by LAPACK's SVD
// solver (gelsd: QR first when m ≫ n, then an SVD of R), so a rank-deficient Z
// (dead ReLUs, constant pixels) is handled by its rank cut, never by an inverse.

public struct LSDResult: Equatable, Sendable {
    public var lsd: Double
    /// The numerical rank of Z (columns that count after the rcond cut).
    public var rank: Int
}

/// Targets as a float64 matrix: one-hot rows for class labels. labels: [m] → [m, classes].
public func oneHot(_ labels: [Int32], classes: Int) -> Matrix64 {
    var Y = Matrix64(zeros: [labels.count, classes])
    for (i, l) in labels.enumerated() where l >= 0 && Int(l) < classes { Y.storage[i * classes + Int(l)] = 1 }
    return Y
}

/// LSD(Y, Z) with Z: [m, n] (float32 features, widened to float64) and Y: [m, K].
/// `intercept` appends a column of ones to Z (a bias in the fit); the thesis' eq. 5.3 has none.
public func leastSquaresDistance(_ Z: Matrix, _ Y: Matrix64, intercept: Bool = false, rcond: Double? = nil) throws -> LSDResult {
    try Z.checkMatrix("Z")
    try Y.checkMatrix("Y", rows: Z.rows)
    let m = Z.rows, n = Z.cols + (intercept ? 1 : 0)
    guard m > 0 else { throw DLError.input("LSD of an empty representation (0 rows)") }
    guard Z.allFinite else { throw DLError.input("LSD of a representation with NaN or Inf values") }
    var Zd = Matrix64(zeros: [m, n])
    Z.storage.withUnsafeBufferPointer { src in
        Zd.storage.withUnsafeMutableBufferPointer { dst in
            let d = Z.cols
            for i in 0..<m {
                for j in 0..<d { dst[i * n + j] = Double(src[i * d + j]) }
                if intercept { dst[i * n + d] = 1 }
            }
        }
    }
    let fit = try leastSquares(Zd, Y, rcond: rcond)
    // R = Y − Z·B, explicitly: the residual rows gelsd leaves behind hold ‖R‖² only at full rank.
    var R = Y
    try gemm(&R, Zd, fit.x, alpha: -1, beta: 1)
    let ss = R.count == 0 ? 0 : R.storage.withUnsafeBufferPointer { p in Double.dot(p.count, p.baseAddress!, p.baseAddress!) }
    return LSDResult(lsd: ss / Double(m), rank: fit.rank)
}
