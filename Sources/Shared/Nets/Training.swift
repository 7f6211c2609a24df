import Foundation

// Mini-batch training by backprop (SGD with momentum and weight decay, or AdamW),
// on preallocated buffers: nothing is allocated inside a training step.
//
// Shapes (B = rows in the batch, d_i = widths[i], K = d_k):
//   Z_0 = X batch [B, d_0];  Z_i [B, d_i];  Z_k = logits x [B, K];  Y = head(x) [B, K]
//   T [B, K] targets;  delta buffers [B, max d_i];  parameters/gradients/state [P]

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

    public init() {}

    /// The learning rate during `epoch` (1-based).
    public func learningRate(epoch: Int) -> Float {
        lrSteps.reduce(learningRate) { $1.epoch < epoch ? $0 * $1.factor : $0 }
    }
}

/// What a net learns from: inputs and either class labels or regression targets.
public struct LearningTask {
    public let name: String
    public let X: Matrix               // [m, d]
    public let labels: [Int32]?        // [m]
    public let Y: Matrix?              // [m, K]
    public var rows: Int { X.rows }
    public var isClassification: Bool { labels != nil }

    public init(split: Split, file: String) throws {
        name = split.name
        X = split.X
        labels = split.y
        Y = split.Y
        guard labels != nil || Y != nil else {
            throw DLError.input("\(file): /\(split.name) has neither labels y nor targets Y", hint: "dl-fit needs labelled data")
        }
        if let bad = firstNonFinite(X) {
            throw DLError.input("\(file): /\(split.name)/X has a NaN or Inf value in row \(bad)", hint: "clean or re-make the data")
        }
        if let Y, let bad = firstNonFinite(Y) {
            throw DLError.input("\(file): /\(split.name)/Y has a NaN or Inf value in row \(bad)")
        }
    }
}

func firstNonFinite(_ m: Matrix) -> Int? {
    let c = m.cols
    return m.storage.withUnsafeBufferPointer { p in
        for i in 0..<p.count where !p[i].isFinite { return c > 0 ? i / c : 0 }
        return nil
    }
}

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

public struct Evaluation: Equatable, Sendable {
    public var loss: Double        // mean implied loss per sample
    public var accuracy: Double?   // classification only
}

/// One shard's buffers: forward/backward of a slice of the batch.
/// Shapes: Z_i [maxRows, d_i], Y and T [maxRows, K], deltas [maxRows, max d], G [P].
final class Worker {
    let model: MLP
    let maxRows: Int
    let acts: [UnsafeMutablePointer<Float>] // Z_0 … Z_k
    let y: UnsafeMutablePointer<Float>
    let t: UnsafeMutablePointer<Float>
    let d0: UnsafeMutablePointer<Float>
    let d1: UnsafeMutablePointer<Float>
    let ones: UnsafeMutablePointer<Float>   // [maxRows]
    let g: UnsafeMutablePointer<Float>      // this shard's gradients [P]
    var loss = 0.0
    var correct = 0

    init(model: MLP, maxRows: Int) {
        self.model = model
        self.maxRows = maxRows
        let buffer = Trainer.zeroedBuffer
        var layerBuffers: [UnsafeMutablePointer<Float>] = []
        for d in model.widths { layerBuffers.append(buffer(maxRows * d)) }
        acts = layerBuffers
        let K = model.widths.last!, maxWidth = model.widths.max()!
        y = buffer(maxRows * K); t = buffer(maxRows * K)
        d0 = buffer(maxRows * maxWidth); d1 = buffer(maxRows * maxWidth)
        ones = buffer(maxRows)
        ones.update(repeating: 1, count: maxRows)
        g = buffer(model.parameters.count)
    }

    deinit { for p in [y, t, d0, d1, ones, g] + acts { p.deallocate() } }

    var K: Int { model.widths.last! }

    /// Copies rows `idx` of the task into Z_0 and T.
    func load(_ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float)) {
        let d = model.widths[0], K = self.K
        task.X.storage.withUnsafeBufferPointer { X in
            for (r, i) in idx.enumerated() { (acts[0] + r * d).update(from: X.baseAddress! + i * d, count: d) }
        }
        if let labels = task.labels {
            t.update(repeating: targets.0, count: idx.count * K)
            for (r, i) in idx.enumerated() { t[r * K + Int(labels[i])] = targets.1 }
        } else if let Y = task.Y {
            Y.storage.withUnsafeBufferPointer { Yp in
                for (r, i) in idx.enumerated() { (t + r * K).update(from: Yp.baseAddress! + i * K, count: K) }
            }
        }
    }

    /// Forward pass of the first B rows of Z_0 with parameters w: fills Z_1 … Z_k and Y.
    func forward(_ w: UnsafePointer<Float>, _ B: Int) {
        let widths = model.widths
        for i in 1...model.layers {
            denseForward(acts[i], acts[i - 1], w + model.weightOffset(i), w + model.biasOffset(i), B, widths[i - 1], widths[i])
            if i < model.layers { model.hidden.forward(acts[i], B * widths[i]) }
        }
        model.head.forward(y, acts[model.layers], rows: B, cols: K)
    }

    /// Backward pass after `forward(w, B)`: G = gradients of (1/total)·Σ loss over
    /// these B rows, where `total` is the whole batch's size.
    func backward(_ w: UnsafePointer<Float>, _ B: Int, total: Int) {
        let widths = model.widths, k = model.layers
        // delta_k = (Y − T) / total: the canonical gradient of every head (Th. 4.3).
        let inv = 1 / Float(total)
        for j in 0..<(B * K) { d0[j] = (y[j] - t[j]) * inv }
        var cur = d0, next = d1
        for i in stride(from: k, through: 1, by: -1) {
            denseBackward(i > 1 ? next : nil, g + model.weightOffset(i), g + model.biasOffset(i), cur,
                          acts[i - 1], w + model.weightOffset(i), ones, B, widths[i - 1], widths[i])
            if i > 1 {
                model.hidden.backward(next, acts[i - 1], B * widths[i - 1])
                swap(&cur, &next)
            }
        }
    }

    /// Summed implied loss of the first B rows (after forward).
    func batchLoss(_ B: Int) -> Double {
        model.head.loss(x: acts[model.layers], y: y, t: t, rows: B, cols: K)
    }

    /// Correct predictions among the rows `idx` just forwarded (argmax of Y against the label).
    func countCorrect(_ task: LearningTask, _ idx: ArraySlice<Int>) -> Int {
        guard let labels = task.labels else { return 0 }
        let K = self.K
        var n = 0
        for (r, i) in idx.enumerated() {
            let yr = y + r * K
            var best = 0
            for j in 1..<max(K, 1) where yr[j] > yr[best] { best = j }
            if best == Int(labels[i]) { n += 1 }
        }
        return n
    }
}

/// Parameters, optimizer state and shards for one net; reused across epochs.
///
/// A batch is cut into `shards` contiguous slices, each run forward and backward
/// on its own thread with single-threaded BLAS (on 2 cores this beats sharing
/// every small GEMM between BLAS threads); shard gradients are then summed in
/// a fixed order, so results depend on the shard count, never on timing.
public final class Trainer {
    public private(set) var model: MLP
    let P: Int
    let w: UnsafeMutablePointer<Float>      // parameters [P]
    let s1: UnsafeMutablePointer<Float>     // momentum, or Adam's first moment [P]
    let s2: UnsafeMutablePointer<Float>     // Adam's second moment [P]
    let workers: [Worker]
    let maxRows: Int
    var adamStep = 0

    /// `maxRows`: the largest batch; `shards`: threads to split it over.
    public init(model: MLP, maxRows: Int, shards: Int = 1) {
        self.model = model
        P = model.parameters.count
        let rows = max(1, maxRows)
        self.maxRows = rows
        let n = max(1, min(shards, rows))
        let weights = Trainer.zeroedBuffer(P)
        model.parameters.withUnsafeBufferPointer { weights.update(from: $0.baseAddress!, count: $0.count) }
        w = weights
        s1 = Trainer.zeroedBuffer(P)
        s2 = Trainer.zeroedBuffer(P)
        let perShard = (rows + n - 1) / n
        workers = (0..<n).map { _ in Worker(model: model, maxRows: perShard) }
    }

    deinit {
        for p in [w, s1, s2] { p.deallocate() }
    }

    static func zeroedBuffer(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1))
        return p
    }

    /// The current parameters as a model.
    public func currentModel() -> MLP {
        var m = model
        m.parameters = Array(UnsafeBufferPointer(start: w, count: P))
        return m
    }

    /// Runs `body(shard)` for every shard, concurrently when there are several.
    func eachShard(_ body: (Int) -> Void) {
        if workers.count == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: workers.count, execute: body)
    }

    /// The slice of `idx` that shard `s` takes.
    func shardSlice(_ idx: ArraySlice<Int>, _ s: Int) -> ArraySlice<Int> {
        let per = (idx.count + workers.count - 1) / workers.count
        let lo = min(idx.startIndex + s * per, idx.endIndex)
        return idx[lo..<min(lo + per, idx.endIndex)]
    }

    /// One training step on rows `idx`; returns the batch's summed loss and correct count.
    public func step(_ task: LearningTask, _ idx: ArraySlice<Int>, _ s: TrainingSettings, lr: Float) -> (loss: Double, correct: Int) {
        let total = idx.count
        eachShard { k in
            let wk = workers[k], part = shardSlice(idx, k)
            wk.loss = 0; wk.correct = 0
            guard !part.isEmpty else {
                wk.g.update(repeating: 0, count: P)
                return
            }
            wk.load(task, part, targets: s.targets)
            wk.forward(w, part.count)
            wk.loss = wk.batchLoss(part.count)
            wk.correct = wk.countCorrect(task, part)
            wk.backward(w, part.count, total: total)
        }
        // Sum the shard gradients and update, each thread over its own parameter range.
        let per = (P + workers.count - 1) / workers.count
        eachShard { k in
            let lo = k * per, hi = min(P, lo + per)
            if lo < hi { update(s, lr: lr, lo, hi) }
        }
        return (workers.reduce(0) { $0 + $1.loss }, workers.reduce(0) { $0 + $1.correct })
    }

    /// Sums the shard gradients into G_0 and applies one optimizer update to
    /// parameters lo..<hi.
    func update(_ s: TrainingSettings, lr: Float, _ lo: Int, _ hi: Int) {
        let g = workers[0].g
        // Shards beyond the second add in their own pass; the second is fused
        // into the SGD loop (the common 2-core case reads each gradient once).
        for wk in workers.dropFirst(2) {
            let gk = wk.g
            for j in lo..<hi { g[j] += gk[j] }
        }
        let wd = s.weightDecay
        if workers.count >= 2 && s.optimizer == .sgd {
            let g1 = workers[1].g, mu = s.momentum
            for j in lo..<hi {
                let gj = g[j] + g1[j] + wd * w[j]
                s1[j] = mu * s1[j] + gj
                w[j] -= lr * s1[j]
            }
            return
        }
        if workers.count >= 2 {
            let g1 = workers[1].g
            for j in lo..<hi { g[j] += g1[j] }
        }
        switch s.optimizer {
        case .sgd:
            // PyTorch's SGD: v = μv + (g + λw); w −= lr·v.
            let mu = s.momentum
            for j in lo..<hi {
                let gj = g[j] + wd * w[j]
                s1[j] = mu * s1[j] + gj
                w[j] -= lr * s1[j]
            }
        case .adamw:
            let t = Double(adamStep + 1)
            let b1 = s.adamBeta1, b2 = s.adamBeta2, eps = s.adamEpsilon
            let c1 = 1 - Float(pow(Double(b1), t))
            let c2 = 1 - Float(pow(Double(b2), t))
            let decay = 1 - lr * wd
            for j in lo..<hi {
                let gj = g[j]
                s1[j] = b1 * s1[j] + (1 - b1) * gj
                s2[j] = b2 * s2[j] + (1 - b2) * gj * gj
                w[j] = w[j] * decay - lr * (s1[j] / c1) / ((s2[j] / c2).squareRoot() + eps)
            }
        }
        if s.optimizer == .adamw && hi == P { adamStep += 1 }
    }

    /// Mean loss and accuracy on a whole task (forward only; shards take turns at chunks).
    public func evaluate(_ task: LearningTask, targets: (Float, Float)) -> Evaluation {
        let chunk = workers[0].maxRows
        let chunks = (task.rows + chunk - 1) / chunk
        let all = Array(0..<task.rows)
        eachShard { k in
            let wk = workers[k]
            wk.loss = 0; wk.correct = 0
            for c in stride(from: k, to: chunks, by: workers.count) {
                let idx = all[(c * chunk)..<min(task.rows, (c + 1) * chunk)]
                wk.load(task, idx, targets: targets)
                wk.forward(w, idx.count)
                wk.loss += wk.batchLoss(idx.count)
                wk.correct += wk.countCorrect(task, idx)
            }
        }
        let m = Double(max(task.rows, 1))
        let loss = workers.reduce(0) { $0 + $1.loss }
        let correct = workers.reduce(0) { $0 + $1.correct }
        return Evaluation(loss: loss / m, accuracy: task.isClassification ? Double(correct) / m : nil)
    }

    /// The net's outputs Y for every row of X.
    public func predict(_ X: Matrix) -> Matrix {
        let d = model.widths[0], K = model.widths.last!
        let wk = workers[0]
        var out = [Float](repeating: 0, count: X.rows * K)
        var start = 0
        X.storage.withUnsafeBufferPointer { Xp in
            while start < X.rows {
                let n = min(wk.maxRows, X.rows - start)
                wk.acts[0].update(from: Xp.baseAddress! + start * d, count: n * d)
                wk.forward(w, n)
                for j in 0..<(n * K) { out[start * K + j] = wk.y[j] }
                start += n
            }
        }
        return Matrix(unchecked: [X.rows, K], out)
    }

    /// Mean loss and its gradients on rows `idx`, without an update (gradient checks).
    public func gradients(_ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float)) -> (loss: Double, gradients: [Float]) {
        var settings = TrainingSettings()
        settings.targets = targets
        let total = idx.count
        eachShard { k in
            let wk = workers[k], part = shardSlice(idx, k)
            wk.loss = 0
            guard !part.isEmpty else { wk.g.update(repeating: 0, count: P); return }
            wk.load(task, part, targets: targets)
            wk.forward(w, part.count)
            wk.loss = wk.batchLoss(part.count)
            wk.backward(w, part.count, total: total)
        }
        var g = [Float](repeating: 0, count: P)
        for wk in workers { for j in 0..<P { g[j] += wk.g[j] } }
        return (workers.reduce(0) { $0 + $1.loss } / Double(total), g)
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

/// Trains `model` on `train`, evaluating on `test` after every epoch.
public func train(_ model: MLP, on train: LearningTask, test: LearningTask?, settings s: TrainingSettings) throws -> TrainingResult {
    guard s.epochs >= 1 else { throw DLError.usage("--epochs must be at least 1") }
    guard s.batchSize >= 1 else { throw DLError.usage("--batch-size must be at least 1") }
    guard s.batchSize <= train.rows else {
        throw DLError.usage("batch size \(s.batchSize) is larger than the \(train.rows) training rows",
                            hint: "use --batch-size \(train.rows) or less")
    }
    // Our own threads split each batch; BLAS runs single-threaded inside each.
    let shards = s.batchSize >= 32 ? max(1, s.threads) : 1
    return try withBLASThreads(1) {
        try trainEpochs(Trainer(model: model, maxRows: s.batchSize, shards: shards), on: train, test: test, settings: s)
    }
}

func trainEpochs(_ trainer: Trainer, on train: LearningTask, test: LearningTask?, settings s: TrainingSettings) throws -> TrainingResult {
    var log: [EpochRecord] = []
    var snapshots: [[Float]] = []
    let live = isatty(2) == 1
    for epoch in 1...s.epochs {
        let lr = s.learningRate(epoch: epoch)
        var rng = RNG(seed: s.seed, stream: UInt64(10_000 + epoch))
        let order = rng.permutation(train.rows)
        let progress = live ? Progress("epoch \(epoch)/\(s.epochs)", total: train.rows, unit: "samples") : nil
        let t0 = monotonicSeconds()
        var loss = 0.0, correct = 0
        var start = 0
        while start < train.rows {
            let idx = order[start..<min(train.rows, start + s.batchSize)]
            let r = trainer.step(train, idx, s, lr: lr)
            loss += r.loss
            correct += r.correct
            start += idx.count
            progress?.update(start)
        }
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
        if s.snapshots { snapshots.append(trainer.currentModel().parameters) }
        Log.info(formatEpoch(rec, epochs: s.epochs, rows: train.rows, testName: test?.name))
    }
    return TrainingResult(model: trainer.currentModel(), log: log, snapshots: snapshots,
                          convergenceEpoch: convergenceEpoch(log))
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

func formatEpoch(_ r: EpochRecord, epochs: Int, rows: Int, testName: String?) -> String {
    var s = "epoch \(r.epoch)/\(epochs): train loss \(String(format: "%.4f", r.trainLoss))"
    if let a = r.trainAccuracy { s += String(format: " acc %.2f%%", 100 * a) }
    if let l = r.testLoss {
        s += " | \(testName ?? "test") loss \(String(format: "%.4f", l))"
        if let a = r.testAccuracy { s += String(format: " acc %.2f%%", 100 * a) }
    }
    s += " | " + formatRate(Double(rows) / max(r.seconds, 1e-9), "samples") + String(format: ", %.2fs", r.seconds)
    return s
}
