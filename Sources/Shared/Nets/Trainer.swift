import Foundation

/// Parameters, optimizer state and a backprop workspace for one net; reused
/// across epochs (and across runs, e.g. the rounds of Th. Algorithm 4). A step
/// allocates no arrays, only the closures that hand its phases to the threads.
///
/// Phase 2 of a step (Backprop.swift has phase 1): each shard takes a block of
/// rows of every trainable W_i and b_i and computes its gradient over the whole
/// batch in one GEMM — for SGD straight into the momentum (GEMM's β = μ), for
/// AdamW into g and then the moments — and updates that block. Frozen layers get neither;
/// the backward pass stops at the lowest trainable layer.
///
/// Buffers: w, s1, s2, g [P] (P parameters).
public final class Trainer {
    public let model: MLP
    let P: Int
    let space: Workspace
    let w: UnsafeMutablePointer<Float>      // parameters [P]
    let s1: UnsafeMutablePointer<Float>     // SGD's momentum, or Adam's first moment [P]
    let s2: UnsafeMutablePointer<Float>     // Adam's second moment [P]
    let g: UnsafeMutablePointer<Float>      // gradients, for AdamW and gradients() [P]
    var adamStep = 0
    /// How each layer trains (1…k at index i − 1). A callback may change it
    /// between steps, e.g. to decay a dropout rate after each epoch.
    public var plans: [LayerPlan]

    /// `model`'s parameters are the starting weights; `maxRows`: the largest
    /// batch; `shards`: threads to run each phase on; `plans`: per layer (empty:
    /// every layer trains alike).
    public init(model: MLP, maxRows: Int, shards: Int = 1, plans: [LayerPlan] = []) throws {
        guard model.head != nil else {
            throw DLError.usage("a net without an output head cannot be trained", hint: "stack a decision layer on it")
        }
        guard plans.isEmpty || plans.count == model.layers else {
            throw DLError.usage("\(plans.count) layer plans for a net of \(model.layers) layers")
        }
        for (i, p) in plans.enumerated() { try p.validate(layer: i + 1) }
        self.model = model
        self.plans = plans.isEmpty ? Array(repeating: LayerPlan(), count: model.layers) : plans
        P = model.parameters.count
        space = try Workspace(model: model, maxRows: maxRows, shards: shards, backprop: true)
        let weights = zeroedBuffer(P)
        model.parameters.withUnsafeBufferPointer { weights.update(from: $0.baseAddress!, count: $0.count) }
        w = weights
        s1 = zeroedBuffer(P); s2 = zeroedBuffer(P); g = zeroedBuffer(P)
    }

    /// A trainer for `settings`: batches of up to its batch size, split over its
    /// threads when a batch has at least 32 rows (on fewer, one thread is faster).
    public convenience init(model: MLP, settings s: TrainingSettings, plans: [LayerPlan]? = nil) throws {
        try self.init(model: model, maxRows: s.batchSize, shards: s.batchSize >= 32 ? max(1, s.threads) : 1,
                      plans: plans ?? s.layers)
    }

    deinit { for p in [w, s1, s2, g] { releaseBuffer(p) } }

    public var maxRows: Int { space.maxRows }

    /// The current parameters as a model.
    public func currentModel() -> MLP {
        var m = model
        m.parameters = parameters
        return m
    }

    /// A copy of the current parameters (MLP's layout).
    public var parameters: [Float] { Array(UnsafeBufferPointer(start: w, count: P)) }

    /// Reads or changes the parameters in place (e.g. to quantize them, or to
    /// average them with other processes'); the optimizer state stays.
    public func withParameters<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: w, count: P))
    }

    /// The lowest layer that trains: backward stops there (nil: none does).
    var lowestTrainable: Int? { plans.firstIndex { $0.trainable }.map { $0 + 1 } }

    /// Calls `body(lo, hi)` for each contiguous parameter range of layer i that
    /// shard `s` owns in phase 2 (its block of rows of W_i, its block of b_i).
    func eachOwnedRange(_ i: Int, _ s: Int, _ body: (Int, Int) -> Void) {
        let (din, dout) = (model.widths[i - 1], model.widths[i])
        let rows = space.block(din, s), cols = space.block(dout, s)
        if !rows.isEmpty { body(model.weightOffset(i) + rows.lowerBound * dout, model.weightOffset(i) + rows.upperBound * dout) }
        if !cols.isEmpty { body(model.biasOffset(i) + cols.lowerBound, model.biasOffset(i) + cols.upperBound) }
    }

    /// Shard `s`'s block of layer i's gradient over the batch's `n` rows, written
    /// as `into = β·into + gradient` (β = μ folds SGD's momentum in).
    func gradientBlock(_ i: Int, _ s: Int, _ n: Int, into out: UnsafeMutablePointer<Float>, beta: Float) {
        let (din, dout) = (model.widths[i - 1], model.widths[i])
        denseWeightGradient(out + model.weightOffset(i), space.input(i), space.deltas[i], space.block(din, s), n, din, dout, beta: beta)
        denseBiasGradient(out + model.biasOffset(i), space.deltas[i], space.ones!, space.block(dout, s), n, dout, beta: beta)
    }

    /// Phase 1 of a training step on rows `idx`, the run's rows from `position`
    /// on (for the dropout masks).
    func backpropRows(_ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float), seed: UInt64, position: Int) -> (Double, Int) {
        space.setDropout(plans, draw: DropoutDraw(seed: seed, position: position))
        return space.rowsPhase(w, task, idx, targets: targets, backwardTotal: idx.count, lowest: lowestTrainable ?? model.layers)
    }

    /// One training step on rows `idx` (the run's rows from `position` on);
    /// returns the batch's summed loss and correct count.
    public func step(_ task: LearningTask, _ idx: ArraySlice<Int>, _ s: TrainingSettings, lr: Float, position: Int = 0) -> (loss: Double, correct: Int) {
        let n = idx.count
        let result = backpropRows(task, idx, targets: s.targets, seed: s.seed, position: position)
        if s.optimizer == .adamw { adamStep += 1 }
        let t = adamStep
        let plans = self.plans
        space.eachShard { [self] k in
            for i in 1...model.layers where plans[i - 1].trainable {
                let lri = lr * plans[i - 1].lrFactor, wdi = s.weightDecay * plans[i - 1].wdFactor
                switch s.optimizer {
                case .sgd:
                    gradientBlock(i, k, n, into: s1, beta: s.momentum)
                    eachOwnedRange(i, k) { lo, hi in sgdUpdate(w + lo, s1 + lo, hi - lo, lr: lri, weightDecay: wdi) }
                case .adamw:
                    gradientBlock(i, k, n, into: g, beta: 0)
                    eachOwnedRange(i, k) { lo, hi in
                        adamUpdate(w + lo, s1 + lo, s2 + lo, g + lo, hi - lo, step: t, lr: lri, weightDecay: wdi,
                                   beta1: s.adamBeta1, beta2: s.adamBeta2, epsilon: s.adamEpsilon)
                    }
                }
            }
        }
        return result
    }

    /// Mean loss and accuracy on a whole task (forward only, in batches of maxRows).
    public func evaluate(_ task: LearningTask, targets: (Float, Float)) -> Evaluation {
        space.evaluate(w, task, targets: targets)
    }

    /// Mean loss and its gradients on rows `idx`, without an update (gradient
    /// checks): dropout as a step at `position` with `seed` would draw it; frozen
    /// layers' gradients are 0.
    public func gradients(_ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float),
                          seed: UInt64 = 0, position: Int = 0) -> (loss: Double, gradients: [Float]) {
        let n = idx.count
        let (loss, _) = backpropRows(task, idx, targets: targets, seed: seed, position: position)
        g.update(repeating: 0, count: P)
        let plans = self.plans
        space.eachShard { [self] k in
            for i in 1...model.layers where plans[i - 1].trainable { gradientBlock(i, k, n, into: g, beta: 0) }
        }
        return (loss / Double(n), Array(UnsafeBufferPointer(start: g, count: P)))
    }
}
