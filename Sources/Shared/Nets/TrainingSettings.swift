// What a training run is told: the optimizer and its schedule, the batches, and
// how each layer trains (LayerPlan). The checks live here, once: the command-line
// groups (CLI/Training+Options.swift) and every library caller share them.

public enum OptimizerKind: String, CaseIterable, Sendable { case sgd, adamw }

public struct LRStep: Equatable, Sendable {
    /// After this epoch (1-based) the rate is multiplied by `factor`.
    public var epoch: Int
    public var factor: Float
    public init(epoch: Int, factor: Float) { self.epoch = epoch; self.factor = factor }

    /// Parses "EPOCH:FACTOR", e.g. "8:0.1".
    public init(parsing s: String) throws {
        let p = s.split(separator: ":")
        guard p.count == 2, let e = Int(p[0]), e >= 1, let f = Float(p[1]), f > 0, f.isFinite else {
            throw DLError.usage("bad --lr-step '\(s)'", hint: "EPOCH:FACTOR, e.g. 8:0.1 divides the rate by 10 after epoch 8")
        }
        self.init(epoch: e, factor: f)
    }
}

/// How one layer trains. The default trains it like every other layer.
public struct LayerPlan: Equatable, Sendable {
    /// False: the layer is frozen (a feednet layer, Th. 6.2.2); its W and b never change.
    public var trainable = true
    /// Its learning rate and weight decay are the run's times these (Th. 6.3: 0.8ⁱ and 1.15ⁱ).
    public var lrFactor: Float = 1
    public var wdFactor: Float = 1
    /// Dropout on the layer's input Z_{i−1} while training: each value is zeroed
    /// with this probability and the rest scaled by 1/(1 − p) (Th. 6.6.3's
    /// forward dropout).
    public var inputDropout: Float = 0
    /// Dropout on the gradient entering the layer from above, ∂L/∂Z_i, scaled the
    /// same way (Th. 6.6.3's backward dropout, the "grad noise" of Table 6.3).
    public var gradientDropout: Float = 0
    /// The layer number whose dropout streams the masks come from (nil: the
    /// layer's own index), so that a layer trained on checkpointed features draws
    /// the masks it would draw under a feednet, where it sits at its real depth.
    public var maskLayer: Int?

    public init(trainable: Bool = true, lrFactor: Float = 1, wdFactor: Float = 1, inputDropout: Float = 0, gradientDropout: Float = 0,
                maskLayer: Int? = nil) {
        self.trainable = trainable
        self.lrFactor = lrFactor
        self.wdFactor = wdFactor
        self.inputDropout = inputDropout
        self.gradientDropout = gradientDropout
        self.maskLayer = maskLayer
    }

    public static let frozen = LayerPlan(trainable: false)

    func validate(layer i: Int) throws {
        guard lrFactor >= 0, lrFactor.isFinite, wdFactor >= 0, wdFactor.isFinite else {
            throw DLError.usage("layer \(i): learning-rate and weight-decay factors must be finite and ≥ 0")
        }
        guard (0..<1).contains(inputDropout), (0..<1).contains(gradientDropout) else {
            throw DLError.usage("layer \(i): dropout rates must lie in [0, 1)")
        }
        if let m = maskLayer, m < 1 { throw DLError.usage("layer \(i): the mask layer must be at least 1") }
    }
}

public struct TrainingSettings: Sendable {
    public var epochs = 10
    public var batchSize = 128
    public var learningRate: Float = 0.02
    public var momentum: Float = 0.9
    public var weightDecay: Float = 0
    public var lrSteps: [LRStep] = []
    public var optimizer = OptimizerKind.sgd
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.999
    public var adamEpsilon: Float = 1e-8
    /// One-hot target values (negative class, positive class), e.g. (0, 16) (Th. 4.5).
    public var targets: (Float, Float) = (0, 1)
    public var seed: UInt64 = 0
    public var snapshots = false
    /// Threads, each training a slice of every batch (results depend on this count).
    public var threads = 1
    /// How each layer trains, for layers 1…k (empty: every layer alike).
    public var layers: [LayerPlan] = []
    /// The number of the run's first epoch: a run that resumes an earlier one
    /// (a later round of Th. Algorithm 4) continues its schedule, row orders and
    /// dropout masks instead of repeating them.
    public var firstEpoch = 1
    /// Log a line per epoch (and a live progress line on a terminal), each after `logLabel`.
    public var logEpochs = true
    public var logLabel = ""

    /// The most epochs a run may have.
    public static let maxEpochs = 10_000_000

    public init() {}

    /// The learning rate during `epoch` (1-based).
    public func learningRate(epoch: Int) -> Float {
        lrSteps.reduce(learningRate) { $1.epoch < epoch ? $0 * $1.factor : $0 }
    }

    /// The plan of layer i (1…k).
    public func plan(_ i: Int) -> LayerPlan { layers.isEmpty ? LayerPlan() : layers[i - 1] }

    /// Throws a usage error naming the first setting out of range.
    public func validate() throws {
        guard (1...Self.maxEpochs).contains(epochs) else { throw DLError.usage(epochs < 1 ? "--epochs must be at least 1" : "--epochs must be at most \(Self.maxEpochs)") }
        guard (1...Self.maxEpochs).contains(firstEpoch), firstEpoch + epochs <= RandomStream.maxEpoch else {
            throw DLError.usage("the first epoch must lie in 1…\(Self.maxEpochs)")
        }
        guard batchSize >= 1 else { throw DLError.usage("--batch-size must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw DLError.usage("--lr must be positive") }
        guard momentum >= 0, momentum < 1 else { throw DLError.usage("--momentum must lie in [0, 1)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw DLError.usage("--wd cannot be negative") }
        guard (0..<1).contains(adamBeta1), (0..<1).contains(adamBeta2), adamEpsilon > 0 else {
            throw DLError.usage("AdamW needs β₁, β₂ in [0, 1) and ε > 0")
        }
        guard targets.0.isFinite, targets.1.isFinite else { throw DLError.usage("--targets must be finite") }
        guard threads >= 1 else { throw DLError.usage("--threads must be at least 1") }
        for (i, p) in layers.enumerated() { try p.validate(layer: i + 1) }
    }
}
