import CLAPACKE
import Foundation

// The least squares distance (Th. 5.3.1, eq. 5.3): how far the targets Y lie from
// the column space of a representation Z,
//     LSD(Y, Z) = (1/m) · ‖Y − Z Z⁺ Y‖²_F,
// which falls layer by layer in a trained net (Th. Figure 5.6).
//
// Computed in float64 by Householder QR, never by an inverse or the normal
// equations, as a tall-skinny QR (TSQR): the rows are cut into chunks, each chunk
// is factored Z_c = Q_c R_c on its own thread, and Y_c is rotated by Q_cᵀ. The
// rows of Q_cᵀY_c below R_c are orthogonal to everything Z_c can fit, so their
// squares go straight into the residual; the stacked [R_c | Q_cᵀY_c] are reduced
// again the same way until at most n rows of R are left, whose SVD gives the rank of Z and
// the last part of the residual. The rank cut handles a rank-deficient Z (dead
// ReLUs, constant pixels, layers that are affine in fewer inputs); it sits at
// the float32 rounding level of Z. Memory: a chunk per thread, never a float64
// copy of Z.

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
/// `rcond`: singular values of Z below rcond·σ_max count as zero. By default the cut is
/// ε₃₂·‖Z‖_F, the most float32 rounding of Z can move a singular value (and never
/// below numpy's max(m, n)·ε₆₄·σ_max); numpy's own default counts rounding noise as rank.
/// `chunkRows`: rows per QR chunk (default 4096; at least 2n); `threads` chunks are factored at once.
/// The result does not depend on `threads`.
public func leastSquaresDistance(_ Z: Matrix, _ Y: Matrix64, intercept: Bool = false, rcond: Double? = nil,
                                 threads: Int = 1, chunkRows: Int? = nil) throws -> LSDResult {
    try Z.checkMatrix("Z")
    try Y.checkMatrix("Y", rows: Z.rows)
    let m = Z.rows, d = Z.cols, n = d + (intercept ? 1 : 0), K = Y.cols
    guard m > 0 else { throw DLError.input("LSD of an empty representation (0 rows)") }
    guard Z.allFinite else { throw DLError.input("LSD of a representation with NaN or Inf values") }
    guard Y.allFinite else { throw DLError.input("LSD with NaN or Inf targets") }
    guard n > 0, K > 0 else {
        // Nothing to fit with, or nothing to fit.
        let ss = Y.storage.reduce(0) { $0 + $1 * $1 }
        return LSDResult(lsd: ss / Double(m), rank: 0)
    }
    // At least 2n rows a chunk, so every round at least halves the stack.
    let chunk = max(chunkRows ?? 4096, 2 * n)

    // Round 1 reads Z and Y; later rounds read the stacked R and QᵀY of the round before.
    var residual = 0.0
    var rows = m
    var reduced = try Z.storage.withUnsafeBufferPointer { zp in
        try Y.storage.withUnsafeBufferPointer { yp in
            try qrReduce(rows: m, n: n, K: K, chunk: chunk, threads: threads) { start, count, A, B in
                // Column-major chunk: A[i + j·count] = Z[start + i, j].
                for i in 0..<count {
                    let src = zp.baseAddress! + (start + i) * d
                    for j in 0..<d { A[i + j * count] = Double(src[j]) }
                    if intercept { A[i + d * count] = 1 }
                    let ys = yp.baseAddress! + (start + i) * K
                    for k in 0..<K { B[i + k * count] = ys[k] }
                }
            }
        }
    }
    residual += reduced.residual
    rows = reduced.rows
    while rows > n {
        let S = reduced
        reduced = try S.R.withUnsafeBufferPointer { rp in
            try S.C.withUnsafeBufferPointer { cp in
                try qrReduce(rows: S.rows, n: n, K: K, chunk: chunk, threads: threads) { start, count, A, B in
                    for i in 0..<count {
                        for j in 0..<n { A[i + j * count] = rp[(start + i) * n + j] }
                        for k in 0..<K { B[i + k * count] = cp[(start + i) * K + k] }
                    }
                }
            }
        }
        residual += reduced.residual
        rows = reduced.rows
    }

    // The last small system: R = U·S·Vᵀ, and the part of C outside the span of
    // the first `rank` columns of U is the rest of the residual.
    let r = reduced.rows
    let R = Matrix64(unchecked: [r, n], reduced.R), C = Matrix64(unchecked: [r, K], reduced.C)
    let (U, S, _) = try withBLASThreads(1) { try svd(R) }
    let sigmaMax = S.first ?? 0
    // ‖R‖_F = ‖Z‖_F. Z holds float32 values, so a perturbation of up to ε₃₂·‖Z‖_F is
    // rounding noise: singular values below it are not directions of Z (Weyl).
    let frobenius = R.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let tolerance = rcond.map { $0 * sigmaMax }
        ?? max(Double(Float.ulpOfOne) * frobenius, Double(max(m, n)) * Double.ulpOfOne * sigmaMax)
    let rank = S.filter { $0 > tolerance }.count
    var fitted = Matrix64(zeros: [r, K])
    if rank > 0 {
        var Ur = Matrix64(zeros: [r, rank])
        for i in 0..<r { for j in 0..<rank { Ur[i, j] = U[i, j] } }
        try withBLASThreads(1) {
            let P = try matmul(Ur, C, transA: true)   // [rank, K]
            try gemm(&fitted, Ur, P)                   // U_r U_rᵀ C: [r, K]
        }
    }
    for (c, f) in zip(C.storage, fitted.storage) { residual += (c - f) * (c - f) }
    return LSDResult(lsd: residual / Double(m), rank: rank)
}

/// One TSQR round's result: the stacked R_c ([rows, n], row-major), the stacked
/// first rows of Q_cᵀY_c ([rows, K]) and the squares of the rest.
private struct Reduction {
    var R: [Double]
    var C: [Double]
    var rows: Int
    var residual: Double
}

/// Factors consecutive chunks of `chunk` rows (filled column-major by `fill`) on
/// `threads` threads, each with single-threaded LAPACK.
private func qrReduce(rows m: Int, n: Int, K: Int, chunk: Int, threads: Int,
                      fill: (_ start: Int, _ count: Int, _ A: UnsafeMutablePointer<Double>, _ B: UnsafeMutablePointer<Double>) -> Void) throws -> Reduction {
    let chunks = (m + chunk - 1) / chunk
    // Where each chunk's R rows land in the stack.
    var offsets = [Int](repeating: 0, count: chunks + 1)
    for c in 0..<chunks { offsets[c + 1] = offsets[c] + min(min(chunk, m - c * chunk), n) }
    let stacked = offsets[chunks]
    var R = [Double](repeating: 0, count: stacked * n)
    var C = [Double](repeating: 0, count: stacked * K)
    var residuals = [Double](repeating: 0, count: chunks)
    var infos = [Int32](repeating: 0, count: chunks)
    let workers = max(1, min(threads, chunks))
    R.withUnsafeMutableBufferPointer { Rp in
        C.withUnsafeMutableBufferPointer { Cp in
            residuals.withUnsafeMutableBufferPointer { resp in
                infos.withUnsafeMutableBufferPointer { infop in
                    withBLASThreads(1) {  // fixed, so the bits never depend on the thread count
                        DispatchQueue.concurrentPerform(iterations: workers) { t in
                            let most = min(chunk, m)  // no chunk has more rows than there are
                            let A = UnsafeMutablePointer<Double>.allocate(capacity: most * n)
                            let B = UnsafeMutablePointer<Double>.allocate(capacity: most * K)
                            let tau = UnsafeMutablePointer<Double>.allocate(capacity: n)
                            defer { A.deallocate(); B.deallocate(); tau.deallocate() }
                            for c in stride(from: t, to: chunks, by: workers) {
                                let start = c * chunk, count = min(chunk, m - start)
                                fill(start, count, A, B)
                                let r = min(count, n)
                                var info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(count), Int32(n), A, Int32(count), tau)
                                if info == 0 {
                                    info = LAPACKE_dormqr(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "T")),
                                                          Int32(count), Int32(K), Int32(r), A, Int32(count), tau,
                                                          B, Int32(count))
                                }
                                infop[c] = info
                                // R_c: the upper trapezoid of A (below it lie Householder vectors).
                                let base = offsets[c]
                                for i in 0..<r {
                                    let row = Rp.baseAddress! + (base + i) * n
                                    for j in 0..<n { row[j] = j >= i ? A[i + j * count] : 0 }
                                    for k in 0..<K { Cp[(base + i) * K + k] = B[i + k * count] }
                                }
                                var ss = 0.0
                                for k in 0..<K {
                                    for i in r..<count { let v = B[i + k * count]; ss += v * v }
                                }
                                resp[c] = ss
                            }
                        }
                    }
                }
            }
        }
    }
    if let bad = infos.first(where: { $0 != 0 }) {
        throw DLError.input("LAPACK QR failed (info \(bad))")
    }
    // Summed in chunk order, so the result does not depend on the threads.
    return Reduction(R: R, C: C, rows: stacked, residual: residuals.reduce(0, +))
}
