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
    let (m, n) = (a.rows, a.cols)
    let (ut, s, v) = try svdTransposed(a)
    let p = s.count
    var u = Tensor<T>(zeros: [m, p]), vt = Tensor<T>(zeros: [p, n])
    if p > 0 {
        ut.storage.withUnsafeBufferPointer { src in u.storage.withUnsafeMutableBufferPointer { T.transpose(p, m, src.baseAddress!, $0.baseAddress!) } }
        v.storage.withUnsafeBufferPointer { src in vt.storage.withUnsafeMutableBufferPointer { T.transpose(n, p, src.baseAddress!, $0.baseAddress!) } }
    }
    return (u, s, vt)
}

/// The thin SVD as LAPACK leaves it: A = (Uᵀ)ᵀ · diag(S) · Vᵀ with Uᵀ: [p, m] and
/// V: [n, p] row-major (LAPACK's column-major U and Vᵀ, read row by row), so
/// the pseudoinverse V · diag(1/S) · Uᵀ needs no transposes. A goes in
/// column-major by one blocked copy.
func svdTransposed<T: LinalgScalar>(_ a: Tensor<T>) throws -> (ut: Tensor<T>, s: [T], v: Tensor<T>) {
    try a.checkMatrix("A")
    let (m, n) = (a.shape[0], a.shape[1])
    let p = min(m, n)
    if p == 0 { return (Tensor(zeros: [0, m]), [], Tensor(zeros: [n, 0])) }
    guard a.allFinite else { throw DLError.input("SVD of a matrix with NaN or Inf values") }
    var work = [T](repeating: 0, count: m * n)  // A column-major: Aᵀ row-major
    a.storage.withUnsafeBufferPointer { pa in work.withUnsafeMutableBufferPointer { T.transpose(m, n, pa.baseAddress!, $0.baseAddress!) } }
    var s = [T](repeating: 0, count: p)
    var ut = [T](repeating: 0, count: m * p)
    var v = [T](repeating: 0, count: p * n)
    let info = work.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
            ut.withUnsafeMutableBufferPointer { pu in
                v.withUnsafeMutableBufferPointer { pv in
                    T.gesddColumnMajor(m, n, pa.baseAddress!, ps.baseAddress!, pu.baseAddress!, pv.baseAddress!)
                }
            }
        }
    }
    try checkInfo(info, "gesdd", convergence: "SVD did not converge")
    return (Tensor(unchecked: [p, m], ut), s, Tensor(unchecked: [n, p], v))
}

/// Moore–Penrose pseudoinverse via SVD. A: [m, n] → A⁺: [n, m].
/// Singular values at or below rcond · σ_max are treated as zero
/// (default: max(m, n) · ε, as numpy and torch do).
public func pseudoinverse<T: LinalgScalar>(_ a: Tensor<T>, rcond: T? = nil) throws -> Tensor<T> {
    try a.checkMatrix("A")
    let (m, n) = (a.shape[0], a.shape[1])
    let (ut, s, v) = try svdTransposed(a)
    let p = s.count
    guard let smax = s.first, smax > 0 else { return Tensor(zeros: [n, m]) }
    let cutoff = (rcond ?? T(max(m, n)) * T.ulpOfOne) * smax
    // A⁺ = V · diag(1/s) · Uᵀ: scale V's columns, then V · Uᵀ.
    var scaled = v
    scaled.storage.withUnsafeMutableBufferPointer { vp in
        for j in 0..<n { for i in 0..<p { vp[j * p + i] *= s[i] > cutoff ? 1 / s[i] : 0 } }
    }
    return try matmul(scaled, ut)
}

/// A⁺ of a tall A [m, n] (m ≥ n) kept factored for repeated solves: A = QR by
/// Householder (geqrf), R = U Σ Wᵀ by SVD, so A⁺ = W Σ⁺ Uᵀ Qᵀ with the same
/// singular-value cut as `pseudoinverse` (LAPACK's gesdd takes this path for tall
/// A too, then also forms Q: a tenth of the flops here go to anything but the QR).
/// `solve(B)` = A⁺B applies Qᵀ by ormqr; nothing m × m or m × n is formed.
public struct QRPseudoinverse<T: LinalgScalar> {
    public let rows: Int, cols: Int
    /// The QR factor column-major, [cols, rows] row-major, and its reflector scalars.
    let qr: [T], tau: [T]
    /// W Σ⁺ Uᵀ: [n, n].
    let core: Tensor<T>

    public init(_ a: Tensor<T>, rcond: T? = nil) throws {
        try a.checkMatrix("A")
        let (m, n) = (a.shape[0], a.shape[1])
        guard m >= n, n > 0 else { throw DLError.input("QRPseudoinverse needs a tall matrix, got \(a.shape)") }
        guard a.allFinite else { throw DLError.input("pseudoinverse of a matrix with NaN or Inf values") }
        rows = m; cols = n
        var f = [T](repeating: 0, count: m * n)
        a.storage.withUnsafeBufferPointer { pa in f.withUnsafeMutableBufferPointer { T.transpose(m, n, pa.baseAddress!, $0.baseAddress!) } }
        var t = [T](repeating: 0, count: n)
        let info = f.withUnsafeMutableBufferPointer { pf in t.withUnsafeMutableBufferPointer { T.geqrfColumnMajor(m, n, pf.baseAddress!, $0.baseAddress!) } }
        try checkInfo(info, "geqrf")
        var R = Tensor<T>(zeros: [n, n])
        for i in 0..<n { for j in i..<n { R.storage[i * n + j] = f[j * m + i] } }
        let (u, s, vt) = try svd(R)
        let cutoff = (rcond ?? T(m) * T.ulpOfOne) * (s.first ?? 0)
        // W Σ⁺ = (Vᵀ)ᵀ with column i scaled by 1/σ_i (0 below the cut), times Uᵀ.
        var ws = Tensor<T>(zeros: [n, n])
        for i in 0..<n where s[i] > cutoff && s[i] > 0 {
            let inv = 1 / s[i]
            for j in 0..<n { ws.storage[j * n + i] = vt.storage[i * n + j] * inv }
        }
        core = try matmul(ws, u, transB: true)
        qr = f; tau = t
    }

    /// A⁺B. B: [m, r] → [n, r].
    public func solve(_ b: Tensor<T>) throws -> Tensor<T> {
        try b.checkMatrix("B", rows: rows)
        let r = b.cols
        if r == 0 { return Tensor(zeros: [cols, 0]) }
        // B row-major is Bᵀ column-major; Bᵀ Q = (Qᵀ B)ᵀ, read back row-major as Qᵀ B.
        var c = b.storage
        let info = qr.withUnsafeBufferPointer { pq in
            tau.withUnsafeBufferPointer { pt in
                c.withUnsafeMutableBufferPointer { T.ormqrRight(r, rows, cols, pq.baseAddress!, pt.baseAddress!, $0.baseAddress!) }
            }
        }
        try checkInfo(info, "ormqr")
        let top = Tensor<T>(unchecked: [cols, r], Array(c[0..<(cols * r)]))
        return try matmul(core, top)
    }
}

private func checkInfo(_ info: Int32, _ routine: String, convergence: String? = nil) throws {
    if info == 0 { return }
    if info < 0 { throw DLError.input("LAPACK \(routine): argument \(-info) is invalid") }
    throw DLError.input(convergence ?? "LAPACK \(routine) failed (info \(info))",
                        hint: "check the matrix for extreme values")
}
