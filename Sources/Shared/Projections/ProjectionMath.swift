import Foundation

// The small numerics Platonic Projections share: principal components with a
// fixed sign, the bias column, one-hot targets, normal draws, norms, accuracy,
// and σ in either precision.

/// The `count` leading principal components of A's rows (centred): [q, count],
/// each with its largest entry positive, so the sign does not depend on LAPACK.
func principalComponents<T: LinalgScalar>(_ A: Tensor<T>, count: Int) throws -> Tensor<T> {
    let (m, q) = (A.rows, A.cols)
    var mean = [T](repeating: 0, count: q)
    var centred = Tensor<T>(zeros: [0, q])
    A.storage.withUnsafeBufferPointer { ap in
        mean.withUnsafeMutableBufferPointer { mp in
            let a = ap.baseAddress!, mu = mp.baseAddress!
            for r in 0..<m { T.axpy(q, 1, a + r * q, mu) }
            T.scal(q, 1 / T(max(m, 1)), mu)
            // A − 1μᵀ in one pass (a − μ: what axpy(−1, μ, a) gives, without a copy first).
            let c: [T] = largeArray(m * q) { cp in
                for r in 0..<m { for j in 0..<q { cp[r * q + j] = a[r * q + j] - mu[j] } }
            }
            centred = Tensor(unchecked: [m, q], c)
        }
    }
    // The covariance's eigenvectors are its singular vectors (symmetric, PSD).
    var G = Tensor<T>(zeros: [q, q])
    centred.storage.withUnsafeBufferPointer { cp in
        G.storage.withUnsafeMutableBufferPointer { gp in T.syrk(true, q, m, 1, cp.baseAddress!, q, 0, gp.baseAddress!, q) }
    }
    for i in 0..<q { for j in 0..<i { G.storage[i * q + j] = G.storage[j * q + i] } }
    let (u, _, _) = try svd(G)
    var C = Tensor<T>(zeros: [q, count])
    for c in 0..<count {
        var big = 0
        for r in 0..<q where abs(u.storage[r * q + c]) > abs(u.storage[big * q + c]) { big = r }
        let sign: T = u.storage[big * q + c] < 0 ? -1 : 1
        for r in 0..<q { C.storage[r * count + c] = sign * u.storage[r * q + c] }
    }
    return C
}

func withBias<T: LinalgScalar>(_ X: Matrix, _: T.Type) -> Tensor<T> {
    let (m, n) = (X.rows, X.cols)
    var Z = Tensor<T>(zeros: [m, n + 1])
    X.storage.withUnsafeBufferPointer { xp in
        Z.storage.withUnsafeMutableBufferPointer { zp in
            let x = xp.baseAddress!, z = zp.baseAddress!
            for r in 0..<m {
                let row = z + r * (n + 1), src = x + r * n
                row[0] = 1
                if T.self == Float.self {
                    UnsafeMutableRawPointer(row + 1).assumingMemoryBound(to: Float.self).update(from: src, count: n)
                } else {
                    for j in 0..<n { row[1 + j] = T(src[j]) }
                }
            }
        }
    }
    return Z
}

/// Y of a task: one-hot rows (with the off and on values) for classes, else its targets.
func targetMatrix<T: LinalgScalar>(_ task: LearningTask, K: Int, targets: (Float, Float), _: T.Type) -> Tensor<T> {
    if let labels = task.labels {
        var Y = Tensor<T>(zeros: [labels.count, K])
        for (r, l) in labels.enumerated() {
            for j in 0..<K { Y.storage[r * K + j] = T(Int(l) == j ? targets.1 : targets.0) }
        }
        return Y
    }
    return Tensor(unchecked: task.Y!.shape, task.Y!.storage.map { T($0) })
}

func normalMatrix<T: LinalgScalar>(_ shape: [Int], _ rng: inout RNG) -> Tensor<T> {
    var t = Tensor<T>(zeros: shape)
    for j in 0..<t.count { t.storage[j] = T(rng.normal()) }
    return t
}

func squaredNorm<T: LinalgScalar>(_ t: Tensor<T>) -> Double {
    t.storage.reduce(0.0) { $0 + Double($1) * Double($1) }
}

func squaredDistance<T: LinalgScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    zip(a.storage, b.storage).reduce(0.0) { let d = Double($1.0) - Double($1.1); return $0 + d * d }
}

/// The fraction of rows whose largest output is the label's.
func accuracy<T: LinalgScalar>(_ Yhat: Tensor<T>, _ labels: [Int32]) -> Double {
    Double(argmaxMatches(Yhat.storage, cols: Yhat.cols, labels: labels)) / Double(max(1, labels.count))
}

extension LinalgScalar {
    /// σ in place, in this precision.
    static func activate(_ a: Activation, _ z: UnsafeMutablePointer<Self>, _ n: Int) {
        if Self.self == Float.self {
            z.withMemoryRebound(to: Float.self, capacity: n) { a.forward($0, n) }
        } else {
            z.withMemoryRebound(to: Double.self, capacity: n) { a.forward($0, n) }
        }
    }
}
