import CBLAS
import CLAPACKE

/// Float and Double, each routed to its own BLAS/LAPACK entry points
/// (s* and d*), so linear algebra is written once for both precisions.
public protocol LinalgScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                     _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func axpy(_ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)
    static func scal(_ n: Int, _ alpha: Self, _ x: UnsafeMutablePointer<Self>)
    static func dot(_ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>) -> Self
    static func nrm2(_ n: Int, _ x: UnsafePointer<Self>) -> Self
    /// LAPACKE ?gesv (row-major): solve A X = B in place; returns info.
    static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                     _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    /// LAPACKE ?gelsd (row-major): minimum-norm least squares via SVD; returns info.
    static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ s: UnsafeMutablePointer<Self>,
                      _ rcond: Self, _ rank: UnsafeMutablePointer<Int32>) -> Int32
    /// LAPACK ?gesdd on a column-major A [m, n] (lda m; thin 'S' mode: U [m, p] with
    /// ldu m, Vᵀ [p, n] with ldvt p, p = min(m, n)); returns info. The _work entry:
    /// no row-major transposes and no NaN scan (svd checks A first).
    static func gesddColumnMajor(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Self>,
                                 _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>,
                                 _ vt: UnsafeMutablePointer<Self>) -> Int32
    /// B = Aᵀ for row-major A [rows, cols] into B [cols, rows] (OpenBLAS ?omatcopy).
    static func transpose(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Self>, _ b: UnsafeMutablePointer<Self>)
    /// C = alpha · op(A) · op(A)ᵀ + beta · C on C's upper triangle (the lower is left as is).
    /// transA: C = Aᵀ A with A [k, n]; else C = A Aᵀ with A [n, k]. C: [n, n].
    static func syrk(_ transA: Bool, _ n: Int, _ k: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    /// LAPACKE ?potrf (row-major, upper): Cholesky factor in place; returns info (> 0: not positive definite).
    static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32
    /// LAPACKE ?potrs (row-major, upper): solve A X = B from potrf's factor; returns info.
    static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    /// LAPACK ?geqrf on a column-major A [m, n] (lda m): R above the diagonal,
    /// the Householder vectors below, their scalars in tau [min(m, n)]; returns info.
    static func geqrfColumnMajor(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Self>, _ tau: UnsafeMutablePointer<Self>) -> Int32
    /// C = C · Q for column-major C [rows, m] (ldc rows) and geqrf's Q of a column-major
    /// [m, k] factor (LAPACK ?ormqr, side R, no transpose); returns info.
    static func ormqrRight(_ rows: Int, _ m: Int, _ k: Int, _ a: UnsafePointer<Self>, _ tau: UnsafePointer<Self>,
                           _ c: UnsafeMutablePointer<Self>) -> Int32
    /// LAPACKE ?gelsy (row-major): least squares by QR with column pivoting; returns info.
    static func gelsy(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ jpvt: UnsafeMutablePointer<Int32>,
                      _ rcond: Self, _ rank: UnsafeMutablePointer<Int32>) -> Int32
}

@inline(__always) private func trans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: LinalgScalar {
    @inline(__always)
    public static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                            _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
    }
    public static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) {
        cblas_sscal(blasint(n), alpha, x, 1)
    }
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasint(n), x, 1, y, 1)
    }
    public static func nrm2(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
        cblas_snrm2(blasint(n), x, 1)
    }
    public static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                            _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_sgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(lda), ipiv, b, Int32(ldb))
    }
    public static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int, _ s: UnsafeMutablePointer<Float>,
                             _ rcond: Float, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgelsd(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs), a, Int32(lda),
                       b, Int32(ldb), s, rcond, rank)
    }
    public static func gesddColumnMajor(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Float>,
                                        _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>,
                                        _ vt: UnsafeMutablePointer<Float>) -> Int32 {
        let jobz = CChar(UInt8(ascii: "S")), p = min(m, n)
        var iwork = [Int32](repeating: 0, count: 8 * max(1, p))
        return iwork.withUnsafeMutableBufferPointer { iw in
            lapackWithWorkspace {
                LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, jobz, Int32(m), Int32(n), a, Int32(m), s, u, Int32(m), vt, Int32(p), $0, $1, iw.baseAddress!)
            }
        }
    }
    public static func transpose(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>) {
        cblas_somatcopy(CblasRowMajor, CblasTrans, blasint(rows), blasint(cols), 1, a, blasint(cols), b, blasint(rows))
    }
    public static func syrk(_ transA: Bool, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, trans(transA), blasint(n), blasint(k), alpha, a, blasint(lda),
                    beta, c, blasint(ldc))
    }
    public static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int) -> Int32 {
        LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), a, Int32(lda))
    }
    public static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_spotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(nrhs), a, Int32(lda), b, Int32(ldb))
    }
    public static func geqrfColumnMajor(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Float>, _ tau: UnsafeMutablePointer<Float>) -> Int32 {
        lapackWithWorkspace { LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, Int32(m), Int32(n), a, Int32(m), tau, $0, $1) }
    }
    public static func ormqrRight(_ rows: Int, _ m: Int, _ k: Int, _ a: UnsafePointer<Float>, _ tau: UnsafePointer<Float>,
                                  _ c: UnsafeMutablePointer<Float>) -> Int32 {
        let side = CChar(UInt8(ascii: "R")), trans = CChar(UInt8(ascii: "N"))
        return lapackWithWorkspace {
            LAPACKE_sormqr_work(LAPACK_COL_MAJOR, side, trans, Int32(rows), Int32(m), Int32(k), a, Int32(m), tau, c, Int32(rows), $0, $1)
        }
    }
    public static func gelsy(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int, _ jpvt: UnsafeMutablePointer<Int32>,
                             _ rcond: Float, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgelsy(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs), a, Int32(lda), b, Int32(ldb),
                       jpvt, rcond, rank)
    }
}

extension Double: LinalgScalar {
    @inline(__always)
    public static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
                            _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                            _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func axpy(_ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(blasint(n), alpha, x, 1, y, 1)
    }
    public static func scal(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>) {
        cblas_dscal(blasint(n), alpha, x, 1)
    }
    public static func dot(_ n: Int, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>) -> Double {
        cblas_ddot(blasint(n), x, 1, y, 1)
    }
    public static func nrm2(_ n: Int, _ x: UnsafePointer<Double>) -> Double {
        cblas_dnrm2(blasint(n), x, 1)
    }
    public static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                            _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(lda), ipiv, b, Int32(ldb))
    }
    public static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int, _ s: UnsafeMutablePointer<Double>,
                             _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgelsd(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs), a, Int32(lda),
                       b, Int32(ldb), s, rcond, rank)
    }
    public static func gesddColumnMajor(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Double>,
                                        _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>,
                                        _ vt: UnsafeMutablePointer<Double>) -> Int32 {
        let jobz = CChar(UInt8(ascii: "S")), p = min(m, n)
        var iwork = [Int32](repeating: 0, count: 8 * max(1, p))
        return iwork.withUnsafeMutableBufferPointer { iw in
            lapackWithWorkspace {
                LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, Int32(m), Int32(n), a, Int32(m), s, u, Int32(m), vt, Int32(p), $0, $1, iw.baseAddress!)
            }
        }
    }
    public static func transpose(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Double>, _ b: UnsafeMutablePointer<Double>) {
        cblas_domatcopy(CblasRowMajor, CblasTrans, blasint(rows), blasint(cols), 1, a, blasint(cols), b, blasint(rows))
    }
    public static func syrk(_ transA: Bool, _ n: Int, _ k: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                            _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, trans(transA), blasint(n), blasint(k), alpha, a, blasint(lda),
                    beta, c, blasint(ldc))
    }
    public static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int) -> Int32 {
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), a, Int32(lda))
    }
    public static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(nrhs), a, Int32(lda), b, Int32(ldb))
    }
    public static func geqrfColumnMajor(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Double>, _ tau: UnsafeMutablePointer<Double>) -> Int32 {
        lapackWithWorkspace { LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, Int32(m), Int32(n), a, Int32(m), tau, $0, $1) }
    }
    public static func ormqrRight(_ rows: Int, _ m: Int, _ k: Int, _ a: UnsafePointer<Double>, _ tau: UnsafePointer<Double>,
                                  _ c: UnsafeMutablePointer<Double>) -> Int32 {
        let side = CChar(UInt8(ascii: "R")), trans = CChar(UInt8(ascii: "N"))
        return lapackWithWorkspace {
            LAPACKE_dormqr_work(LAPACK_COL_MAJOR, side, trans, Int32(rows), Int32(m), Int32(k), a, Int32(m), tau, c, Int32(rows), $0, $1)
        }
    }
    public static func gelsy(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int, _ jpvt: UnsafeMutablePointer<Int32>,
                             _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgelsy(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs), a, Int32(lda), b, Int32(ldb),
                       jpvt, rcond, rank)
    }
}

/// Number of threads OpenBLAS may use (--threads).
public func setBLASThreads(_ n: Int) {
    openblas_set_num_threads(Int32(max(1, n)))
}

/// Runs `body` with OpenBLAS limited to `n` threads, then restores the setting:
/// for code that runs its own threads, each calling BLAS.
public func withBLASThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
    let saved = Int(openblas_get_num_threads())
    setBLASThreads(n)
    defer { setBLASThreads(saved) }
    return try body()
}

/// LAPACK's workspace protocol, once: `call(work, lwork)` with lwork = −1 asks for
/// the size (written to work[0]), then runs with that much. The size comes back
/// as a float: rounded up, since a float32 holds large sizes only approximately.
func lapackWithWorkspace<T: BinaryFloatingPoint>(_ call: (UnsafeMutablePointer<T>, Int32) -> Int32) -> Int32 {
    var size: T = 0
    let info = withUnsafeMutablePointer(to: &size) { call($0, -1) }
    guard info == 0 else { return info }
    let count = max(1, Int((Double(size) * (1 + 1e-6)).rounded(.up)))
    var work = [T](repeating: 0, count: count)
    return work.withUnsafeMutableBufferPointer { call($0.baseAddress!, Int32($0.count)) }
}
