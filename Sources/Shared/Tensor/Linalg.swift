// Linear algebra on row-major matrices, over BLAS (every product) and LAPACKE
// (solve, least squares, SVD). Shapes in comments: A: [m, k] means m rows, k columns.
//
// Each operation checks shapes and throws DLError on a mismatch; the unchecked
// BLAS entry points (LinalgScalar.gemm etc.) serve hot loops that already know
// their shapes.

/// C = alpha · op(A) · op(B) + beta · C, where op(X) is X or Xᵀ.
/// A: [m, k] (or [k, m] when transA), B: [k, n] (or [n, k] when transB), C: [m, n].
public func gemm<T: LinalgScalar>(_ c: inout Tensor<T>, _ a: Tensor<T>, _ b: Tensor<T>,
                                  transA: Bool = false, transB: Bool = false,
                                  alpha: T = 1, beta: T = 0) throws {
    guard a.rank == 2, b.rank == 2, c.rank == 2 else {
        throw DLError.input("gemm needs matrices, got shapes \(a.shape), \(b.shape), \(c.shape)")
    }
    let (m, ka) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard ka == kb, c.shape == [m, n] else {
        throw DLError.input("gemm shape mismatch: op(A) [\(m), \(ka)] · op(B) [\(kb), \(n)] into C \(c.shape)")
    }
    if m == 0 || n == 0 { return }
    if ka == 0 {
        // BLAS semantics: beta = 0 overwrites C (even NaN) rather than scaling it.
        if beta == 0 { c.storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } } else { try scale(&c, beta) }
        return
    }
    guard [m, n, ka, a.shape[1], b.shape[1]].allSatisfy({ $0 <= Int(Int32.max) }) else {
        throw DLError.input("gemm dimensions exceed BLAS's 32-bit limit: [\(m), \(ka)] · [\(kb), \(n)]")
    }
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                T.gemm(transA, transB, m, n, ka, alpha, pa.baseAddress!, a.shape[1],
                       pb.baseAddress!, b.shape[1], beta, pc.baseAddress!, n)
            }
        }
    }
}

/// op(A) · op(B) as a new matrix.
public func matmul<T: LinalgScalar>(_ a: Tensor<T>, _ b: Tensor<T>,
                                    transA: Bool = false, transB: Bool = false) throws -> Tensor<T> {
    guard a.rank == 2, b.rank == 2 else {
        throw DLError.input("matmul needs matrices, got shapes \(a.shape) and \(b.shape)")
    }
    let m = transA ? a.shape[1] : a.shape[0]
    let n = transB ? b.shape[0] : b.shape[1]
    var c = Tensor<T>(zeros: [m, n])
    try gemm(&c, a, b, transA: transA, transB: transB)
    return c
}

/// y += alpha · x (same shape).
public func axpy<T: LinalgScalar>(_ y: inout Tensor<T>, _ alpha: T, _ x: Tensor<T>) throws {
    guard x.shape == y.shape else { throw DLError.input("axpy shape mismatch: \(x.shape) vs \(y.shape)") }
    if x.count == 0 { return }
    x.storage.withUnsafeBufferPointer { px in
        y.storage.withUnsafeMutableBufferPointer { py in T.axpy(x.count, alpha, px.baseAddress!, py.baseAddress!) }
    }
}

/// x *= alpha.
public func scale<T: LinalgScalar>(_ x: inout Tensor<T>, _ alpha: T) throws {
    if x.count == 0 { return }
    let n = x.count
    x.storage.withUnsafeMutableBufferPointer { p in T.scal(n, alpha, p.baseAddress!) }
}

/// Euclidean norm of each row. A: [m, d] → [m].
public func rowNorms<T: LinalgScalar>(_ a: Tensor<T>) throws -> [T] {
    try a.checkMatrix("A")
    let (m, d) = (a.shape[0], a.shape[1])
    if d == 0 { return [T](repeating: 0, count: m) }
    return a.storage.withUnsafeBufferPointer { p in
        (0..<m).map { T.nrm2(d, p.baseAddress! + $0 * d) }
    }
}

/// Squared Euclidean norm of each row (for kNN distances ‖a‖² + ‖b‖² − 2a·b).
public func rowSquaredNorms<T: LinalgScalar>(_ a: Tensor<T>) throws -> [T] {
    try a.checkMatrix("A")
    let (m, d) = (a.shape[0], a.shape[1])
    if d == 0 { return [T](repeating: 0, count: m) }
    return a.storage.withUnsafeBufferPointer { p in
        (0..<m).map { T.dot(d, p.baseAddress! + $0 * d, p.baseAddress! + $0 * d) }
    }
}

/// Solves A X = B for square, non-singular A. A: [n, n], B: [n, r] → X: [n, r].
public func solve<T: LinalgScalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws -> Tensor<T> {
    try a.checkMatrix("A")
    let n = a.shape[0]
    try a.checkMatrix("A", cols: n)
    try b.checkMatrix("B", rows: n)
    let r = b.shape[1]
    var lu = a.storage
    var x = b.storage
    var ipiv = [Int32](repeating: 0, count: max(1, n))
    if n == 0 || r == 0 { return b }
    let info = lu.withUnsafeMutableBufferPointer { pa in
        x.withUnsafeMutableBufferPointer { px in
            ipiv.withUnsafeMutableBufferPointer { pp in
                T.gesv(n, r, pa.baseAddress!, n, pp.baseAddress!, px.baseAddress!, r)
            }
        }
    }
    if info > 0 {
        throw DLError.input("solve: matrix is singular (zero pivot at \(info))",
                            hint: "use least squares or the pseudoinverse for rank-deficient systems")
    }
    try checkInfo(info, "gesv")
    return Tensor(unchecked: [n, r], x)
}

/// Least-squares solution X of min ‖A X − B‖_F by LAPACK: gelsd (SVD, the
/// minimum-norm solution) or gelsy (QR with column pivoting, torch.linalg.lstsq's
/// CPU default); both work for rank-deficient and under-determined A.
/// A: [m, n], B: [m, r] → X: [n, r]; also returns the effective rank.
/// `rcond`: singular values (gelsy: R's diagonal) below rcond · the largest count
/// as zero (default max(m, n) · ε, as numpy).
public func leastSquares<T: LinalgScalar>(_ a: Tensor<T>, _ b: Tensor<T>, rcond: T? = nil,
                                          qr: Bool = false) throws -> (x: Tensor<T>, rank: Int) {
    try a.checkMatrix("A")
    let (m, n) = (a.shape[0], a.shape[1])
    try b.checkMatrix("B", rows: m)
    let r = b.shape[1]
    if m == 0 || n == 0 || r == 0 { return (Tensor(zeros: [n, r]), 0) }
    var work = a.storage
    // LAPACK needs B with max(m, n) rows; the solution comes back in its first n rows.
    let ldRows = max(m, n)
    var bx = [T](repeating: 0, count: ldRows * r)
    bx.replaceSubrange(0..<(m * r), with: b.storage)
    let cut = rcond ?? T(max(m, n)) * T.ulpOfOne
    var rank: Int32 = 0
    let info = work.withUnsafeMutableBufferPointer { pa in
        bx.withUnsafeMutableBufferPointer { pb in
            if qr {
                var jpvt = [Int32](repeating: 0, count: n)
                return jpvt.withUnsafeMutableBufferPointer { pj in
                    T.gelsy(m, n, r, pa.baseAddress!, n, pb.baseAddress!, r, pj.baseAddress!, cut, &rank)
                }
            }
            var s = [T](repeating: 0, count: min(m, n))
            return s.withUnsafeMutableBufferPointer { ps in
                T.gelsd(m, n, r, pa.baseAddress!, n, pb.baseAddress!, r, ps.baseAddress!, cut, &rank)
            }
        }
    }
    try checkInfo(info, qr ? "gelsy" : "gelsd", convergence: "least squares: SVD did not converge")
    return (Tensor(unchecked: [n, r], Array(bx[0..<(n * r)])), Int(rank))
}

/// Thin SVD: A = U · diag(S) · Vᵀ. A: [m, n] → U: [m, p], S: [p], Vᵀ: [p, n], p = min(m, n).
public func svd<T: LinalgScalar>(_ a: Tensor<T>) throws -> (u: Tensor<T>, s: [T], vt: Tensor<T>) {
    try a.checkMatrix("A")
    let (m, n) = (a.shape[0], a.shape[1])
    let p = min(m, n)
    if p == 0 { return (Tensor(zeros: [m, 0]), [], Tensor(zeros: [0, n])) }
    guard a.allFinite else { throw DLError.input("SVD of a matrix with NaN or Inf values") }
    var work = a.storage
    var s = [T](repeating: 0, count: p)
    var u = [T](repeating: 0, count: m * p)
    var vt = [T](repeating: 0, count: p * n)
    let info = work.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
            u.withUnsafeMutableBufferPointer { pu in
                vt.withUnsafeMutableBufferPointer { pv in
                    T.gesdd(m, n, pa.baseAddress!, n, ps.baseAddress!, pu.baseAddress!, p, pv.baseAddress!, n)
                }
            }
        }
    }
    try checkInfo(info, "gesdd", convergence: "SVD did not converge")
    return (Tensor(unchecked: [m, p], u), s, Tensor(unchecked: [p, n], vt))
}

/// Moore–Penrose pseudoinverse via SVD. A: [m, n] → A⁺: [n, m].
/// Singular values at or below rcond · σ_max are treated as zero
/// (default: max(m, n) · ε, as numpy and torch do).
public func pseudoinverse<T: LinalgScalar>(_ a: Tensor<T>, rcond: T? = nil) throws -> Tensor<T> {
    try a.checkMatrix("A")
    let (m, n) = (a.shape[0], a.shape[1])
    let (u, s, vt) = try svd(a)
    let p = s.count
    guard let smax = s.first, smax > 0 else { return Tensor(zeros: [n, m]) }
    let cutoff = (rcond ?? T(max(m, n)) * T.ulpOfOne) * smax
    // A⁺ = V · diag(1/s) · Uᵀ: scale the rows of Vᵀ, then (Vᵀ)ᵀ · Uᵀ.
    var scaled = vt
    for i in 0..<p {
        let inv: T = s[i] > cutoff ? 1 / s[i] : 0
        for j in 0..<n { scaled.storage[i * n + j] *= inv }
    }
    return try matmul(scaled, u, transA: true, transB: true)
}

private func checkInfo(_ info: Int32, _ routine: String, convergence: String? = nil) throws {
    if info == 0 { return }
    if info < 0 { throw DLError.input("LAPACK \(routine): argument \(-info) is invalid") }
    throw DLError.input(convergence ?? "LAPACK \(routine) failed (info \(info))",
                        hint: "check the matrix for extreme values")
}
