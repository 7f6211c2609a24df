import Foundation

// Platonic Projections (Th. 7): an MLP fitted layer by layer in closed form, no
// gradients. With Z̃ = [1 | Z] (the bias column of Figure 7.3) and Z_0 = X:
//
//   T_i = α [Z̃_{i-1} | β D Y] P_i        the target: a projection of the Platonic
//                                          representation (D = diag(d), the EMA
//                                          sample weights of Th. 7.9.3; else I)
//   W̃_i = Z̃_{i-1}⁺ T_i                    by --solver: pinv, lstsq or ridge
//   Z_i  = σ(Z̃_{i-1} W̃_i)
//   W̃_k = Z̃_{k-1}⁺ Y                      the output layer: least squares to Y
//
// Shapes: X [m, n], Y [m, K], Z̃_{i-1} [m, p] (p = d_{i-1} + 1), P_i [p + K, d_i],
// T_i [m, d_i], W̃_i [p, d_i]: row 0 is b_i, rows 1… are W_i.
//
// P_i is random normal (the best of --tries by LSD, Th. 7.5.1: Z̃_{i-1} is
// factored once per layer and every try reuses it), the principal components
// of A = α[Z | βDY] (Platonic PCA, 7.8.1), or skipped: random W (the Extreme
// Learning Machine) or Sorted PCA's samples as weights (7.8.2, first layer).
// Everything runs in T = Float or Double (--precision); a float64 fit keeps its
// exact weights in the model file (MLP.parameters64).

public enum ProjectionSolver: String, CaseIterable, Sendable {
    /// Z⁺ by SVD (LAPACK gesdd) with singular values ≤ rcond·σ_max cut, formed once per layer.
    case pinv
    /// LAPACK least squares on each right-hand side (--lstsq-driver gelsy or gelsd).
    case lstsq
    /// Ridge regression: (Z̃ᵀZ̃ + λI)⁻¹ Z̃ᵀB by Cholesky, factored once per layer.
    case ridge
}

public enum LstsqDriver: String, CaseIterable, Sendable {
    /// QR with column pivoting (torch.linalg.lstsq's CPU default).
    case gelsy
    /// SVD, divide and conquer.
    case gelsd
}

public enum ProjectionMethod: String, CaseIterable, Sendable {
    /// P ~ N(0, 1), the best of --tries by LSD (Th. 7.5.1).
    case random
    /// Platonic PCA: P = the leading principal components of α[Z | βDY] (7.8.1).
    case pca
    /// No projection: W ~ N(0, 1), the Extreme Learning Machine baseline (7.9.2).
    case randomW = "random-w"
}

public struct ProjectionSettings: Sendable {
    /// d_0 … d_k.
    public var widths: [Int]
    public var hidden: Activation = .relu
    public var method: ProjectionMethod = .random
    /// The first layer's weights by Sorted PCA (7.8.2) instead of `method`.
    public var sortedPCA = false
    public var tries = 1
    public var alpha = 1.0
    public var beta = 10.0
    /// λ_EMA of the sample weights d (Th. 7.9.3); nil: d = 1, no re-weighting.
    public var ema: Double?
    public var solver = ProjectionSolver.pinv
    public var driver = LstsqDriver.gelsy
    /// Cut for pinv and lstsq, relative to σ_max; nil: max(m, p)·ε of the precision (torch's default).
    public var rcond: Double?
    /// λ of the ridge solver.
    public var ridge = 1e-3
    /// 32 or 64.
    public var precision = 64
    public var seed: UInt64 = 0
    /// The off and on values of one-hot Y for classes (dl-fit's --targets).
    public var targets: (Float, Float) = (0, 1)

    public init(widths: [Int]) { self.widths = widths }

    /// What is wrong with these settings, as a usage message, or nil.
    public func problem() -> String? {
        if let p = MLP.problem(widths: widths) { return p }
        if widths.count < 2 { return "an architecture needs an input and an output width" }
        if tries < 1 { return "--tries must be at least 1 (got \(tries))" }
        if tries > 1 && method != .random { return "--tries picks among random projections; --projection \(method.rawValue) draws none" }
        if !alpha.isFinite || alpha == 0 { return "--target-scale (α) must be finite and non-zero (got \(alpha))" }
        if !beta.isFinite { return "--label-scale (β) must be finite (got \(beta))" }
        if !ridge.isFinite || ridge < 0 { return "--ridge must be finite and at least 0 (got \(ridge))" }
        if let r = rcond, !r.isFinite || r < 0 { return "--rcond must be finite and at least 0 (got \(r))" }
        if let e = ema, !(e >= 0 && e < 1) { return "--ema must be in [0, 1) (got \(e))" }
        if ema != nil && method != .pca { return "--ema re-weights Platonic PCA; use it with --projection pca" }
        if precision != 32 && precision != 64 { return "--precision must be 32 or 64 (got \(precision))" }
        return nil
    }
}

/// One layer's line of the fit's log (a row of /model/log).
public struct ProjectionLayerRecord: Equatable, Sendable {
    public var layer: Int
    public var width: Int
    /// The try whose P was kept (1-based; 0 when no P was drawn).
    public var chosenTry: Int
    /// LSD of Z_i (eq. 5.3): (1/m)‖Y − Z̃_i Z̃_i⁺ Y‖²_F, by the run's solver; the last layer's is the net's.
    public var lsd: Double
    /// LSD / K: the mean squared error per output.
    public var mse: Double
    public var trainAccuracy: Double?
    public var testMSE: Double?
    public var testAccuracy: Double?
    public var seconds: Double
}

public struct ProjectionResult {
    public var model: MLP
    public var log: [ProjectionLayerRecord]
    public var seconds: Double
}

/// Fits the net of `settings` to `train` (logging `test` after every layer).
public func fitPlatonicProjections(_ settings: ProjectionSettings, train: LearningTask, test: LearningTask?,
                                   onLayer: (ProjectionLayerRecord) -> Void = { _ in }) throws -> ProjectionResult {
    if let p = settings.problem() { throw DLError.usage(p) }
    // Narrow nets (the sine, the spirals) run matrices of a few megaflops, where
    // OpenBLAS's threads cost more in hand-offs than they save: one thread.
    let widest = Double(settings.widths.max()! + 1)
    if Double(train.rows) * widest * widest < 0x1p26 {
        return try withBLASThreads(1) { try fitPlatonicProjections(settings, exactly: train, test: test, onLayer: onLayer) }
    }
    return try fitPlatonicProjections(settings, exactly: train, test: test, onLayer: onLayer)
}

func fitPlatonicProjections(_ settings: ProjectionSettings, exactly train: LearningTask, test: LearningTask?,
                            onLayer: (ProjectionLayerRecord) -> Void) throws -> ProjectionResult {
    if settings.precision == 32 {
        var fit = try PlatonicFit<Float>(settings, train: train, test: test)
        return try fit.run(onLayer)
    }
    var fit = try PlatonicFit<Double>(settings, train: train, test: test)
    return try fit.run(onLayer)
}

/// The fit in precision T.
struct PlatonicFit<T: LinalgScalar> {
    let s: ProjectionSettings
    let m: Int, K: Int
    /// [1 | X] and Y of the training rows, and of the test rows.
    var Z: Tensor<T>
    let Y: Tensor<T>
    var Zt: Tensor<T>?
    let Yt: Tensor<T>?
    let labels: [Int32]?, testLabels: [Int32]?
    let X: Matrix
    /// Sample weights d (Th. 7.9.3).
    var d: [T]

    init(_ s: ProjectionSettings, train: LearningTask, test: LearningTask?) throws {
        self.s = s
        m = train.rows
        guard m > 0 else { throw DLError.input("/train has no rows") }
        K = s.widths.last!
        guard train.X.cols == s.widths[0] else {
            throw DLError.input("the net takes \(s.widths[0]) inputs but /train/X has \(train.X.cols) columns")
        }
        let k0 = K
        if let labels = train.labels, let bad = labels.first(where: { $0 < 0 || Int($0) >= k0 }) {
            throw DLError.input("/train has label \(bad), outside the net's \(k0) outputs")
        } else if train.labels == nil, train.Y?.cols != K {
            throw DLError.input("the net has \(K) outputs but /train/Y has \(train.Y?.cols ?? 0) columns")
        }
        X = train.X
        Z = withBias(train.X, T.self)
        Y = targetMatrix(train, K: K, targets: s.targets, T.self)
        let k = K
        // An empty test split is no test split (no MSE of nothing).
        let test = test.flatMap { $0.rows > 0 && $0.X.cols == s.widths[0] ? $0 : nil }
        if let labels = test?.labels, let bad = labels.first(where: { $0 < 0 || Int($0) >= k }) {
            throw DLError.input("the test split has label \(bad), outside the net's \(k) outputs")
        } else if let t = test, t.labels == nil, t.Y?.cols != k {
            throw DLError.input("the net has \(k) outputs but the test split's Y has \(t.Y?.cols ?? 0) columns")
        }
        Zt = test.map { withBias($0.X, T.self) }
        Yt = test.map { targetMatrix($0, K: k, targets: s.targets, T.self) }
        labels = train.labels
        testLabels = test?.labels
        d = [T](repeating: 1, count: m)
    }

    mutating func run(_ onLayer: (ProjectionLayerRecord) -> Void) throws -> ProjectionResult {
        let start = monotonicSeconds()
        let k = s.widths.count - 1
        var parameters = [T]()
        parameters.reserveCapacity(MLP.parameterCount(s.widths))
        var log = [ProjectionLayerRecord]()
        // Z̃_{i-1} is factored when layer i solves for its weights (X̃ inside layer
        // 1's time); a layer's chosen factorization serves the next one.
        var factor: Factorization<T>?
        var lastFit: DecisionFit<T>?
        for i in 1..<k {
            let t0 = monotonicSeconds()
            let width = s.widths[i]
            let drawn = !(i == 1 && s.sortedPCA) && s.method != .randomW
            if drawn && factor == nil { factor = try Factorization(Z, s, layer: i) }
            let tries = drawn && s.method == .random ? s.tries : 1
            var best: (W: Tensor<T>, Z: Tensor<T>, factor: Factorization<T>, fit: DecisionFit<T>, try: Int)?
            // Each try is scored as it is drawn; only the best is kept.
            for t in 1...tries {
                let (label, W) = try candidate(i, try: t, width: width, factor: factor)
                try checkFinite(W, "the weights of layer \(i)", layer: i)
                let Zi = try nextRepresentation(Z, W, layer: i)
                let f = try Factorization(Zi, s, layer: i + 1)
                let fit = try DecisionFit(Zi, f, Y)
                if best == nil || fit.lsd < best!.fit.lsd { best = (W, Zi, f, fit, label) }
            }
            let b = best!
            if let Zt0 = Zt { Zt = try nextRepresentation(Zt0, b.W, layer: i) }
            if let lambda = s.ema { updateWeights(b.fit, lambda: T(lambda)) }
            appendLayer(b.W, to: &parameters)
            Z = b.Z
            factor = b.factor
            lastFit = b.fit
            let rec = try record(layer: i, width: width, chosenTry: b.try, fit: b.fit, seconds: monotonicSeconds() - t0)
            log.append(rec)
            onLayer(rec)
        }
        // The output layer: least squares to Y (the decision fit of the last hidden layer).
        let t0 = monotonicSeconds()
        // The last hidden layer's decision fit already is it (scored with its try).
        let out = try lastFit ?? DecisionFit(Z, try factor ?? Factorization(Z, s, layer: k), Y)
        try checkFinite(out.Q, "the output layer's weights", layer: k)
        appendLayer(out.Q, to: &parameters)
        let rec = try record(layer: k, width: K, chosenTry: 0, fit: out, seconds: monotonicSeconds() - t0)
        log.append(rec)
        onLayer(rec)

        var model = try MLP(widths: s.widths, hidden: s.hidden, head: OutputHead(.linear),
                            parameters: parameters.map { Float($0) })
        if T.self == Double.self { model.parameters64 = parameters.map { Double($0) } }
        return ProjectionResult(model: model, log: log, seconds: monotonicSeconds() - start)
    }

    /// Try t's W̃_i of layer i with its number (0: no P was drawn). `factor`:
    /// Z̃_{i-1} factored, for the methods that solve for W̃_i.
    func candidate(_ i: Int, try t: Int, width: Int, factor: Factorization<T>?) throws -> (Int, Tensor<T>) {
        let p = Z.cols
        if i == 1 && s.sortedPCA { return (0, try sortedPCAWeights(width: width)) }
        if s.method == .randomW {
            var rng = RNG(seed: s.seed, stream: .projection(layer: i))
            let W: Tensor<T> = normalMatrix([p, width], &rng)
            return (0, W)
        }
        guard let factor else { throw DLError.input("layer \(i): Z̃ was not factored") }
        if s.method == .pca { return (0, try solveTarget(try platonicPCA(width: width, layer: i), factor)) }
        var rng = RNG(seed: s.seed, stream: .projection(layer: i), index: UInt64(t))
        let P: Tensor<T> = normalMatrix([p + K, width], &rng)
        return (t, try solveTarget(P, factor))
    }

    /// W̃ = Z̃⁺T for T = α[Z̃ | βDY]P. Ridge forms Z̃ᵀT = α[Z̃ᵀZ̃ | βZ̃ᵀDY]P from the
    /// Gram matrix it factored (p × (p + K) · P instead of two m-row products:
    /// the same sum, associated differently); pinv and lstsq solve for T itself,
    /// as the thesis' code does.
    func solveTarget(_ P: Tensor<T>, _ factor: Factorization<T>) throws -> Tensor<T> {
        guard case .ridge(let gram, let R) = factor.kind else { return try factor.solve(try platonicTarget(P), Z) }
        let p = Z.cols
        var DY = Y
        if s.ema != nil { for r in 0..<m { for j in 0..<K { DY.storage[r * K + j] *= d[r] } } }
        let ZtY = try matmul(Z, DY, transA: true)  // [p, K]
        var G = Tensor<T>(zeros: [p, p + K])
        let beta = T(s.beta)
        for r in 0..<p {
            for c in 0..<p { G.storage[r * (p + K) + c] = gram.storage[r * p + c] }
            for j in 0..<K { G.storage[r * (p + K) + p + j] = beta * ZtY.storage[r * K + j] }
        }
        var B = try matmul(G, P)  // [p, w]
        try scale(&B, T(s.alpha))
        return try choleskySolve(R, B, layer: factor.layer)
    }

    /// T = α [Z̃ | β D Y] P. P: [p + K, w] → [m, w].
    func platonicTarget(_ P: Tensor<T>) throws -> Tensor<T> {
        let A = augmented(bias: true)
        var Tt = try matmul(A, P)
        try scale(&Tt, T(s.alpha))
        return Tt
    }

    /// [Z̃ | β D Y] (bias: with Z̃'s column of ones), or [Z | β D Y] without it.
    func augmented(bias: Bool) -> Tensor<T> {
        let p = Z.cols, skip = bias ? 0 : 1, q = p - skip + K
        let beta = T(s.beta)
        var A = Tensor<T>(zeros: [m, q])
        Z.storage.withUnsafeBufferPointer { zp in
            Y.storage.withUnsafeBufferPointer { yp in
                A.storage.withUnsafeMutableBufferPointer { ap in
                    for r in 0..<m {
                        let a = ap.baseAddress! + r * q
                        a.update(from: zp.baseAddress! + r * p + skip, count: p - skip)
                        let w = beta * d[r]
                        for j in 0..<K { a[p - skip + j] = w * yp[r * K + j] }
                    }
                }
            }
        }
        return A
    }

    /// Platonic PCA: the `width` leading principal components of α[Z | βDY] (the
    /// bias column, constant, has none), as the rows of P below a zero bias row.
    func platonicPCA(width: Int, layer i: Int) throws -> Tensor<T> {
        var A = augmented(bias: false)
        let q = A.cols
        guard width <= q else {
            throw DLError.usage("Platonic PCA gives at most \(q) components at layer \(i) (\(q - K) inputs + \(K) outputs), but the layer is \(width) wide",
                                hint: "narrow the layer, or use --projection random")
        }
        try scale(&A, T(s.alpha))
        let C = try principalComponents(A, count: width)  // [q, width]
        var P = Tensor<T>(zeros: [q + 1, width])
        for r in 0..<q { for c in 0..<width { P.storage[(r + 1) * width + c] = C.storage[r * width + c] } }
        return P
    }

    /// Sorted PCA (7.8.2, Figure 7.14): the rows of X at evenly spaced ranks along
    /// X's first principal component, as the first layer's weight vectors (bias 0).
    func sortedPCAWeights(width: Int) throws -> Tensor<T> {
        guard width <= m else {
            throw DLError.usage("Sorted PCA picks \(width) samples as weights but /train has \(m) rows", hint: "narrow the first layer")
        }
        let n = X.cols
        // X's own buffer when T is Float (`as! [T]` would copy it element by element).
        let Xt = Tensor<T>(unchecked: X.shape, T.self == Float.self ? unsafeBitCast(X.storage, to: [T].self) : X.storage.map { T($0) })
        let c = try principalComponents(Xt, count: 1).storage  // [n]
        var v = [T](repeating: 0, count: m)
        Xt.storage.withUnsafeBufferPointer { xp in
            c.withUnsafeBufferPointer { cp in
                for r in 0..<m { v[r] = T.dot(n, xp.baseAddress! + r * n, cp.baseAddress!) }
            }
        }
        // Stable ascending order (ties by row), then torch.arange(0, m − 1, m / w).round().
        let order = (0..<m).sorted { v[$0] != v[$1] ? v[$0] < v[$1] : $0 < $1 }
        let step = Double(m) / Double(width)
        var W = Tensor<T>(zeros: [n + 1, width])
        for j in 0..<width {
            let rank = min(m - 1, Int((Double(j) * step).rounded(.toNearestOrEven)))
            let row = order[rank]
            for f in 0..<n { W.storage[(f + 1) * width + j] = Xt.storage[row * n + f] }
        }
        return W
    }

    /// [1 | σ(Z̃ W̃)] for layer i, checked finite. The product lands in place,
    /// beside the bias column (ldc = w + 1): no second m × w matrix.
    func nextRepresentation(_ Zin: Tensor<T>, _ W: Tensor<T>, layer i: Int) throws -> Tensor<T> {
        let rows = Zin.rows, k = Zin.cols, w = W.cols
        guard W.rows == k else { throw DLError.input("layer \(i): Z̃ has \(k) columns but W̃ has \(W.rows) rows") }
        let ld = w + 1
        // Zeroed first: BLAS with beta = 0 should not read C, but some versions'
        // GEMV/SCAL paths do (0 · NaN), and reused heap blocks hold stale bits.
        let storage: [T] = largeArray(rows * ld) { out in
            out.initialize(repeating: 0)
            let o = out.baseAddress!
            Zin.storage.withUnsafeBufferPointer { zp in
                W.storage.withUnsafeBufferPointer { wp in
                    if rows > 0 && w > 0 && k > 0 {
                        T.gemm(false, false, rows, w, k, 1, zp.baseAddress!, k, wp.baseAddress!, w, 0, o + 1, ld)
                    }
                }
            }
            for r in 0..<rows {
                o[r * ld] = 1
                T.activate(s.hidden, o + r * ld + 1, w)
            }
        }
        let out = Tensor<T>(unchecked: [rows, ld], storage)
        try checkFinite(out, "Z_\(i)", layer: i)
        return out
    }

    func checkFinite(_ t: Tensor<T>, _ what: String, layer i: Int) throws {
        guard t.allFinite else {
            throw DLError.input("\(what) overflowed to Inf or NaN in float\(s.precision) at layer \(i)",
                                hint: s.precision == 32 ? "add --ridge, lower --target-scale/--label-scale, or use --precision 64"
                                    : "add --ridge or lower --target-scale/--label-scale")
        }
    }

    /// d_j = λ d_j + (1 − λ) e_j, e_j = ‖y_j − ŷ_j‖² (Th. 7.9.3).
    mutating func updateWeights(_ fit: DecisionFit<T>, lambda: T) {
        for r in 0..<m {
            var e: T = 0
            for j in 0..<K { let x = fit.residual.storage[r * K + j]; e += x * x }
            d[r] = lambda * d[r] + (1 - lambda) * e
        }
    }

    /// W̃ [p, w] into the flat layout: W (rows 1…) then b (row 0).
    func appendLayer(_ W: Tensor<T>, to parameters: inout [T]) {
        let w = W.cols
        parameters.append(contentsOf: W.storage[w...])
        parameters.append(contentsOf: W.storage[0..<w])
    }

    func record(layer i: Int, width: Int, chosenTry: Int, fit: DecisionFit<T>, seconds: Double) throws -> ProjectionLayerRecord {
        var rec = ProjectionLayerRecord(layer: i, width: width, chosenTry: chosenTry, lsd: fit.lsd, mse: fit.lsd / Double(K),
                                        trainAccuracy: labels.map { accuracy(fit.fitted, $0) }, testMSE: nil, testAccuracy: nil,
                                        seconds: seconds)
        if let Zt, let Yt {
            let Yhat = try matmul(Zt, fit.Q)
            rec.testMSE = squaredDistance(Yhat, Yt) / Double(max(1, Yt.rows * K))
            rec.testAccuracy = testLabels.map { accuracy(Yhat, $0) }
        }
        return rec
    }
}

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

// MARK: the model file
