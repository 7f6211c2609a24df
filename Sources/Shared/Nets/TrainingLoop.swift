import Foundation

// The training loop and what it records: epochs of shuffled mini-batches through
// a Trainer, an evaluation after each, and hooks after every step and epoch for
// what other trainers add (stop early, log, quantize or exchange the weights).

public struct EpochRecord: Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var seconds: Double

    public init(epoch: Int, learningRate: Float, trainLoss: Double, trainAccuracy: Double?,
                testLoss: Double?, testAccuracy: Double?, seconds: Double) {
        self.epoch = epoch
        self.learningRate = learningRate
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.seconds = seconds
    }
}

/// A step just taken: which, and its batch's summed loss and correct count.
public struct StepRecord: Sendable {
    public var epoch: Int
    /// 0-based within the epoch.
    public var step: Int
    public var rows: Int
    public var loss: Double
    public var correct: Int
}

public enum TrainingDecision: Sendable { case proceed, stop }

/// Called by the loop; each may change the trainer (its parameters, its plans).
public struct TrainingHooks {
    /// After every step's update.
    public var afterStep: ((Trainer, StepRecord) throws -> Void)?
    /// After an epoch's last step, before the epoch is evaluated, with its number:
    /// where the weights a node would send or receive replace its own (quantized,
    /// averaged), so the epoch's record measures those.
    public var beforeEvaluation: ((Trainer, Int) throws -> Void)?
    /// After every epoch's evaluation, with its record; `.stop` ends the run
    /// there (the epoch counts, and the model is the one after it).
    public var afterEpoch: ((Trainer, EpochRecord) throws -> TrainingDecision)?

    public init(afterStep: ((Trainer, StepRecord) throws -> Void)? = nil,
                beforeEvaluation: ((Trainer, Int) throws -> Void)? = nil,
                afterEpoch: ((Trainer, EpochRecord) throws -> TrainingDecision)? = nil) {
        self.afterStep = afterStep
        self.beforeEvaluation = beforeEvaluation
        self.afterEpoch = afterEpoch
    }
}

public struct TrainingResult {
    public var model: MLP
    public var log: [EpochRecord]
    /// Parameters after each epoch (with `snapshots`).
    public var snapshots: [[Float]]
    /// Epoch of the lowest evaluation error (test, else train), earliest on ties (Th. 4.3).
    public var convergenceEpoch: Int

    public init(model: MLP, log: [EpochRecord], snapshots: [[Float]], convergenceEpoch: Int) {
        self.model = model
        self.log = log
        self.snapshots = snapshots
        self.convergenceEpoch = convergenceEpoch
    }
}

/// Trains `model` from its parameters on `train`, evaluating on `test` after every epoch.
public func train(_ model: MLP, on train: LearningTask, test: LearningTask?, settings s: TrainingSettings,
                  hooks: TrainingHooks = TrainingHooks()) throws -> TrainingResult {
    try s.validate()
    try checkBatch(s, train)
    // Our own threads split each phase; BLAS runs single-threaded inside each.
    let trainer = try Trainer(model: model, settings: s)
    return try trainEpochs(trainer, on: train, test: test, settings: s, hooks: hooks)
}

func checkBatch(_ s: TrainingSettings, _ train: LearningTask) throws {
    guard s.batchSize <= train.rows else {
        throw DLError.usage("batch size \(s.batchSize) is larger than the \(train.rows) training rows",
                            hint: "use --batch-size \(train.rows) or less")
    }
}

/// Epochs `s.firstEpoch`… of `s.epochs` through `trainer` (its parameters, state
/// and plans as they are: a later call continues an earlier one). Rows of epoch e
/// come in the order of stream `.epochOrder(e)`.
public func trainEpochs(_ trainer: Trainer, on train: LearningTask, test: LearningTask?, settings s: TrainingSettings,
                        hooks: TrainingHooks = TrainingHooks()) throws -> TrainingResult {
    try s.validate()
    try checkBatch(s, train)
    guard s.batchSize <= trainer.maxRows else {
        throw DLError.usage("batch size \(s.batchSize) is larger than the trainer's \(trainer.maxRows) rows")
    }
    return try withBLASThreads(1) {
        var log: [EpochRecord] = []
        var snapshots: [[Float]] = []
        let live = s.logEpochs && isatty(2) == 1
        let last = s.firstEpoch + s.epochs - 1
        for epoch in s.firstEpoch...last {
            let lr = s.learningRate(epoch: epoch)
            var rng = RNG(seed: s.seed, stream: .epochOrder(epoch: epoch))
            let order = rng.permutation(train.rows)
            let progress = live ? Progress("\(s.logLabel)epoch \(epoch)/\(last)", total: train.rows, unit: "samples") : nil
            let t0 = monotonicSeconds()
            var loss = 0.0, correct = 0
            var start = 0, step = 0
            let position = (epoch - 1) * train.rows
            while start < train.rows {
                let idx = order[start..<min(train.rows, start + s.batchSize)]
                let r = trainer.step(train, idx, s, lr: lr, position: position + start)
                loss += r.loss
                correct += r.correct
                try hooks.afterStep?(trainer, StepRecord(epoch: epoch, step: step, rows: idx.count, loss: r.loss, correct: r.correct))
                start += idx.count
                step += 1
                progress?.update(start)
            }
            try hooks.beforeEvaluation?(trainer, epoch)
            let seconds = monotonicSeconds() - t0
            let trainLoss = loss / Double(train.rows)
            guard trainLoss.isFinite else {
                throw DLError.input("training diverged in epoch \(epoch) (loss is \(trainLoss))",
                                    hint: "lower --lr, or pick other --targets/--alpha for this head")
            }
            let ev = test.map { trainer.evaluate($0, targets: s.targets) }
            let rec = EpochRecord(epoch: epoch, learningRate: lr, trainLoss: trainLoss,
                                  trainAccuracy: train.isClassification ? Double(correct) / Double(train.rows) : nil,
                                  testLoss: ev?.loss, testAccuracy: ev?.accuracy, seconds: seconds)
            log.append(rec)
            if s.logEpochs { Log.info(s.logLabel + formatEpoch(rec, last: last, rows: train.rows, testName: test?.name)) }
            let decision = try hooks.afterEpoch?(trainer, rec) ?? .proceed
            if s.snapshots { snapshots.append(trainer.parameters) }
            if decision == .stop { break }
        }
        return TrainingResult(model: trainer.currentModel(), log: log, snapshots: snapshots,
                              convergenceEpoch: convergenceEpoch(log))
    }
}

/// Epoch of the lowest error: test accuracy when known, else test loss, else
/// train accuracy, else train loss; the earliest on ties.
public func convergenceEpoch(_ log: [EpochRecord]) -> Int {
    func error(_ r: EpochRecord) -> Double {
        if let a = r.testAccuracy { return 1 - a }
        if let l = r.testLoss { return l }
        if let a = r.trainAccuracy { return 1 - a }
        return r.trainLoss
    }
    return log.min { error($0) < error($1) }?.epoch ?? 0
}

func formatEpoch(_ r: EpochRecord, last: Int, rows: Int, testName: String?) -> String {
    var s = "epoch \(r.epoch)/\(last): train loss \(String(format: "%.4f", r.trainLoss))"
    if let a = r.trainAccuracy { s += String(format: " acc %.2f%%", 100 * a) }
    if let l = r.testLoss {
        s += " | \(testName ?? "test") loss \(String(format: "%.4f", l))"
        if let a = r.testAccuracy { s += String(format: " acc %.2f%%", 100 * a) }
    }
    s += " | " + formatRate(Double(rows) / max(r.seconds, 1e-9), "samples") + String(format: ", %.2fs", r.seconds)
    return s
}
