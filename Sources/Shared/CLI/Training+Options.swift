import ArgumentParser
import Foundation

/// --init-from: a trainer that can continue a model (dl-fit, dl-layerwise train)
/// takes this group beside TrainingOptions; one that cannot (dl-layerwise step)
/// does not show it.
public struct InitFromOption: ParsableArguments {
    @Option(help: ArgumentHelp("Start from the weights of this model file (its net: widths, activations, head) instead of random ones.",
                               valueName: "model"))
    public var initFrom: String?

    public init() {}
}

/// The net and how to train it: the flags dl-fit (and every trainer after it)
/// shares. `validate()` runs the library's own checks (TrainingSettings.validate);
/// `checkNet(initFrom:)` the net's (--arch or --init-from); `fitOptions` turns the
/// flags into the library's FitOptions.
public struct TrainingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Layer widths from input to output, e.g. 784-392-50-10.", valueName: "widths"))
    public var arch: String?
    @Option(help: "Hidden activation (default: relu).") public var hidden: Activation?
    @Option(help: "Output head (default: softmax for labels, linear for regression targets).") public var head: HeadKind?
    @Option(help: "α of the exp-GA (default 0.1) and pow3-GA (default 0.001) heads.") public var alpha: Float?
    @Option(help: "β of the pow3-GA head (default 0.4).") public var beta: Float?
    @Option(help: ArgumentHelp("One-hot target values NEG,POS for classification (Th. 4.5 uses 0,16 with exp-GA; default 0,1, or the --init-from model's).",
                               valueName: "neg,pos"))
    public var targets: String?
    @Option(help: ArgumentHelp("Epochs (default: 10); dl-layerwise takes one per segment too, e.g. 30,40,50,60.", valueName: "n"))
    public var epochs: String?
    @Option(help: "Rows per mini-batch.") public var batchSize = 128
    @Option(help: "Learning rate.") public var lr: Float = 0.02
    @Option(help: "Momentum (SGD).") public var momentum: Float = 0.9
    @Option(help: "Weight decay (L2 for SGD, decoupled for AdamW).") public var wd: Float = 0
    @Option(help: ArgumentHelp("Multiply the rate by FACTOR after EPOCH (repeatable), e.g. 8:0.1.", valueName: "epoch:factor"))
    public var lrStep: [String] = []
    @Option(help: "Optimizer.") public var optimizer = OptimizerKind.sgd
    @Option(help: "Weight initialization (default: he for relu/celu, glorot otherwise).") public var initialization: Initialization?
    @Flag(help: "Store per-epoch wall time in /model/log/seconds (the file is then no longer byte-reproducible).")
    public var recordTime = false

    public init() {}

    public func validate() throws {
        if alpha != nil, head != .expGA && head != .pow3GA {
            throw ValidationError("--alpha is the α of the exp-ga and pow3-ga heads: add --head exp-ga or pow3-ga, or drop it")
        }
        if beta != nil, head != .pow3GA {
            throw ValidationError("--beta is the β of the pow3-ga head: add --head pow3-ga, or drop it")
        }
        do {
            if let arch { _ = try parseArchitecture(arch) }
            _ = try epochList()
            try settings(seed: 0, threads: 1, targets: nil, snapshots: false).validate()
        } catch let e as DLError {
            throw ValidationError(e.description)
        }
    }

    /// The net comes from --arch or from the --init-from model, never both;
    /// the model's net then takes no net flags. Call from the command's validate().
    public func checkNet(initFrom: String?) throws {
        if (arch == nil) == (initFrom == nil) {
            throw ValidationError(arch == nil ? "give the net: --arch WIDTHS, or --init-from MODEL"
                                              : "--init-from takes the net from the model: drop --arch")
        }
        if initFrom != nil {
            let net = [("--hidden", hidden != nil), ("--head", head != nil), ("--alpha", alpha != nil), ("--beta", beta != nil),
                       ("--initialization", initialization != nil)]
            if let given = net.first(where: { $0.1 }) {
                throw ValidationError("--init-from takes the net from the model: drop \(given.0)")
            }
        }
    }

    /// Throws when the data (`input`) and the --init-from model would both be standard input.
    public func checkInputs(data input: String, initFrom: String?) throws {
        if input == "-" && initFrom == "-" {
            throw ValidationError("the data and the --init-from model cannot both come from standard input")
        }
    }

    /// --epochs as a list (one number, or one per segment).
    public func epochList() throws -> [Int] {
        guard let epochs else { return [10] }
        let parts = epochs.split(separator: ",", omittingEmptySubsequences: false)
        let v = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == parts.count, !v.isEmpty else {
            throw DLError.usage("bad --epochs '\(epochs)'", hint: "a number, or numbers joined by commas (one per segment), e.g. 30,40,50")
        }
        for e in v where !(1...TrainingSettings.maxEpochs).contains(e) {
            throw DLError.usage(e < 1 ? "--epochs must be at least 1" : "--epochs must be at most \(TrainingSettings.maxEpochs)")
        }
        return v
    }

    /// The training settings these flags give (`targets` when --targets is not given).
    func settings(seed: UInt64, threads: Int, targets fallback: (Float, Float)?, snapshots: Bool) throws -> TrainingSettings {
        var s = TrainingSettings()
        s.epochs = try epochList()[0]
        s.batchSize = batchSize
        s.learningRate = lr
        s.momentum = momentum
        s.weightDecay = wd
        s.lrSteps = try lrStep.map(LRStep.init(parsing:))
        s.optimizer = optimizer
        s.targets = try targets.map(parseTargets) ?? fallback ?? (0, 1)
        s.seed = seed
        s.snapshots = snapshots
        s.threads = threads
        return s
    }

    /// The library's options: the net (read from `initFrom`, if given), the
    /// settings, the seed and the threads. `epochLists`: whether --epochs may
    /// list several numbers (a trainer of several nets); `snapshots`: keep every
    /// epoch's weights (dl-fit --snapshots).
    public func fitOptions(_ common: CommonOptions, initFrom: String? = nil, epochLists: Bool = false,
                           snapshots: Bool = false) throws -> FitOptions {
        if !epochLists, try epochList().count > 1 {
            throw DLError.usage("--epochs takes one number here", hint: "lists are for dl-layerwise, one per segment")
        }
        var o: FitOptions
        var modelTargets: (Float, Float)?
        if let initFrom {
            let (model, meta) = try readModelFile(try openInput(initFrom))
            if model.parameters64 != nil {
                Log.warning("\(displayName(initFrom)) has float64 weights (a closed-form fit, dl-fit project): training starts from their float32 rounding")
            }
            o = FitOptions(initialModel: model)
            modelTargets = meta.targets
        } else {
            o = FitOptions(architecture: try parseArchitecture(arch ?? ""))
            o.hidden = hidden ?? .relu
            o.head = head
            o.alpha = alpha
            o.beta = beta
            o.initialization = initialization
        }
        o.recordTime = recordTime
        o.settings = try settings(seed: common.seed, threads: common.threadCount, targets: modelTargets, snapshots: snapshots)
        return o
    }
}

/// Parses "NEG,POS", e.g. "0,16".
public func parseTargets(_ s: String) throws -> (Float, Float) {
    let p = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard p.count == 2, p.allSatisfy(\.isFinite) else {
        throw DLError.usage("bad --targets '\(s)'", hint: "two numbers NEG,POS, e.g. 0,16")
    }
    return (p[0], p[1])
}
