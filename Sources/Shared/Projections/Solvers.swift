import Foundation

// The solvers of Th. 7's closed form: W̃ = Z̃⁺B by the run's solver (pinv by
// Householder QR + SVD, LAPACK least squares, or ridge by Cholesky of Z̃ᵀZ̃ + λI),
// Z̃ factored once per layer and reused by every right-hand side; the decision
// layer on a representation (Q = Z̃⁺Y and its LSD).

/// The decision layer on a representation: Q = Z̃⁺Y, Ŷ = Z̃Q, and LSD = ‖Y − Ŷ‖²/m.
struct DecisionFit<T: LinalgScalar> {
    let Q: Tensor<T>
    let fitted: Tensor<T>
    let residual: Tensor<T>
    let lsd: Double

    init(_ Z: Tensor<T>, _ f: Factorization<T>, _ Y: Tensor<T>) throws {
        Q = try f.solve(Y, Z)
        fitted = try matmul(Z, Q)
        var r = Y
        try axpy(&r, -1, fitted)
        residual = r
        lsd = squaredNorm(r) / Double(Y.rows)
    }
}

/// Z̃⁺ applied to right-hand sides, by the run's solver, factored once.
struct Factorization<T: LinalgScalar> {
    enum Kind {
        case pinv(Tensor<T>)          // Z̃⁺ [p, m], for a wide Z̃
        case qrPinv(QRPseudoinverse<T>)  // Z̃⁺ factored (tall Z̃: m ≥ p)
        case lstsq                    // a LAPACK call per right-hand side
        case ridge(Tensor<T>, Tensor<T>)  // Z̃ᵀZ̃ and the Cholesky factor of Z̃ᵀZ̃ + λI, both [p, p]
    }
    let kind: Kind
    let settings: ProjectionSettings
    let layer: Int

    init(_ Z: Tensor<T>, _ s: ProjectionSettings, layer: Int) throws {
        settings = s
        self.layer = layer
        switch s.solver {
        case .pinv:
            let rcond = s.rcond.map { T($0) }
            kind = Z.rows >= Z.cols ? .qrPinv(try QRPseudoinverse(Z, rcond: rcond)) : .pinv(try pseudoinverse(Z, rcond: rcond))
        case .lstsq:
            kind = .lstsq
        case .ridge:
            let (gram, R) = try ridgeFactor(Z, lambda: T(s.ridge), layer: layer, precision: s.precision)
            kind = .ridge(gram, R)
        }
    }

    /// Z̃⁺ B (B: [m, r] → [p, r]); Z is the factored matrix.
    func solve(_ B: Tensor<T>, _ Z: Tensor<T>) throws -> Tensor<T> {
        switch kind {
        case .pinv(let Zp):
            return try matmul(Zp, B)
        case .qrPinv(let f):
            return try f.solve(B)
        case .lstsq:
            return try leastSquares(Z, B, rcond: settings.rcond.map { T($0) }, qr: settings.driver == .gelsy).x
        case .ridge(_, let R):
            return try choleskySolve(R, try matmul(Z, B, transA: true), layer: layer)
        }
    }
}

/// X of (Z̃ᵀZ̃ + λI) X = B from its upper Cholesky factor R. B: [p, r].
func choleskySolve<T: LinalgScalar>(_ R: Tensor<T>, _ B: Tensor<T>, layer: Int) throws -> Tensor<T> {
    var X = B
    let p = R.rows, r = B.cols
    let info = R.storage.withUnsafeBufferPointer { rp in
        X.storage.withUnsafeMutableBufferPointer { bp in T.potrs(p, r, rp.baseAddress!, p, bp.baseAddress!, r) }
    }
    guard info == 0 else { throw DLError.input("layer \(layer): LAPACK potrs failed (info \(info))") }
    return X
}

/// Z̃ᵀZ̃ (by syrk, both triangles) and the upper Cholesky factor of Z̃ᵀZ̃ + λI.
func ridgeFactor<T: LinalgScalar>(_ Z: Tensor<T>, lambda: T, layer: Int, precision: Int) throws -> (Tensor<T>, Tensor<T>) {
    let (m, p) = (Z.rows, Z.cols)
    var G = Tensor<T>(zeros: [p, p])
    Z.storage.withUnsafeBufferPointer { zp in
        G.storage.withUnsafeMutableBufferPointer { gp in T.syrk(true, p, m, 1, zp.baseAddress!, p, 0, gp.baseAddress!, p) }
    }
    G.storage.withUnsafeMutableBufferPointer { gp in
        for i in 0..<p { for j in 0..<i { gp[i * p + j] = gp[j * p + i] } }
    }
    let gram = G
    for j in 0..<p { G.storage[j * p + j] += lambda }
    let info = G.storage.withUnsafeMutableBufferPointer { T.potrf(p, $0.baseAddress!, p) }
    if info > 0 {
        throw DLError.input("layer \(layer): Z̃ᵀZ̃ + λI is singular in float\(precision) (Cholesky pivot \(info) not positive, λ = \(lambda))",
                            hint: precision == 32 ? "raise --ridge or use --precision 64" : "raise --ridge")
    }
    guard info == 0 else { throw DLError.input("layer \(layer): LAPACK potrf failed (info \(info))") }
    return (gram, G)
}
