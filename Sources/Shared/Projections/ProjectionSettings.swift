import Foundation

// What a Platonic Projections fit is asked to do (Th. 7) and what it reports:
// the solver, the projection method, the settings with their checks, a row of
// the per-layer log, and the result.

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
