import ArgumentParser

extension ProjectionSolver: ExpressibleByArgument {}
extension LstsqDriver: ExpressibleByArgument {}
extension ProjectionMethod: ExpressibleByArgument {}

/// --precision: the arithmetic of a closed-form fit.
public enum Precision: Int, CaseIterable, ExpressibleByArgument {
    case float32 = 32, float64 = 64
}

/// dl-fit project's flags (Th. 7): the net, the projections, the solver.
public struct ProjectionOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("Layer widths from input to output, e.g. 2-32-32-32-32-2.", valueName: "widths"))
    public var arch: String
    @Option(help: "Hidden activation.") public var hidden = Activation.relu
    @Option(help: ArgumentHelp("How P_i is chosen: random (N(0,1), best of --tries by LSD), pca (Platonic PCA), random-w (no P: W ~ N(0,1), the Extreme Learning Machine).",
                               valueName: "method"))
    public var projection = ProjectionMethod.random
    @Flag(help: "The first layer's weights by Sorted PCA (Th. 7.8.2): samples evenly spaced along X's first principal component.")
    public var sortedPca = false
    @Flag(help: "Fully deterministic Platonic Projections (Th. 7.8.3): --sorted-pca --projection pca.")
    public var deterministic = false
    @Option(help: ArgumentHelp("Random P's tried per layer; the one whose Z_i has the lowest LSD is kept (Th. 7.5.1).", valueName: "n"))
    public var tries = 1
    @Option(help: ArgumentHelp("α of T_i = α[Z | βY]P_i: the targets' scale.", valueName: "α")) public var targetScale = 1.0
    @Option(help: ArgumentHelp("β of T_i = α[Z | βY]P_i: the labels' scale beside Z.", valueName: "β")) public var labelScale = 10.0
    @Option(help: ArgumentHelp("Weighted Platonic PCA (Th. 7.9.3): λ_EMA of the per-sample squared errors that scale Y's rows.", valueName: "λ"))
    public var ema: Double?
    @Option(help: "Solver of W_i = Z⁺T_i: pinv (SVD), lstsq (LAPACK), ridge (normal equations + λI; default when --ridge is given).")
    public var solver: ProjectionSolver?
    @Option(help: "LAPACK driver of --solver lstsq.") public var lstsqDriver = LstsqDriver.gelsy
    @Option(help: ArgumentHelp("Singular values below rcond·σ_max count as zero (pinv, lstsq; default max(m, n)·ε, torch's).", valueName: "r"))
    public var rcond: Double?
    @Option(help: ArgumentHelp("λ of the ridge solver (default 0.001).", valueName: "λ"))
    public var ridge: Double?
    @Option(help: "Arithmetic: float 32 or 64 bits (a float64 fit stores float64 weights).") public var precision = Precision.float64
    @Option(help: ArgumentHelp("One-hot target values NEG,POS for classification (default 0,1).", valueName: "neg,pos"))
    public var targets: String?
    @Flag(help: "Store per-layer wall time in /model/log/seconds (the file is then no longer byte-reproducible).")
    public var recordTime = false

    public func validate() throws {
        do { _ = try settings(seed: 0) } catch let e as DLError { throw ValidationError(e.description) }
    }

    /// The fit's settings (checked).
    public func settings(seed: UInt64) throws -> ProjectionSettings {
        var s = ProjectionSettings(widths: try parseArchitecture(arch))
        s.hidden = hidden
        s.method = deterministic ? .pca : projection
        if deterministic && projection != .random && projection != .pca {
            throw DLError.usage("--deterministic uses Platonic PCA: drop --projection \(projection.rawValue)")
        }
        s.sortedPCA = sortedPca || deterministic
        s.tries = tries
        s.alpha = targetScale
        s.beta = labelScale
        s.ema = ema
        s.solver = solver ?? (ridge != nil ? .ridge : .pinv)
        if ridge != nil && s.solver != .ridge { throw DLError.usage("--ridge is the λ of --solver ridge, not of \(s.solver.rawValue)") }
        s.driver = lstsqDriver
        s.rcond = rcond
        if rcond != nil && s.solver == .ridge { throw DLError.usage("--rcond cuts singular values of pinv and lstsq; ridge has λ (--ridge)") }
        s.ridge = ridge ?? 1e-3
        s.precision = precision.rawValue
        s.seed = seed
        if let targets { s.targets = try parseTargets(targets) }
        if let p = s.problem() { throw DLError.usage(p) }
        return s
    }
}
