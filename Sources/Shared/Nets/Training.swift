import Foundation

// Mini-batch training by backprop (SGD with momentum and weight decay, or AdamW),
// on preallocated buffers: a training step allocates no arrays (only the two
// small closures that hand its phases to the thread team).
//
// Shapes (B = rows in the batch, d_i = widths[i], K = d_k):
//   Z_0 = X batch [B, d_0];  Z_i [B, d_i];  Z_k = logits x [B, K];  Y = head(x) [B, K]
//   T [B, K] targets;  Δ_i [B, d_i];  parameters/gradients/state [P]

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

/// Parameters, optimizer state and batch buffers for one net; reused across epochs.
///
/// A step runs in two parallel phases over `shards` threads, each calling
/// single-threaded BLAS (on 2 cores that beats sharing every small GEMM between
/// OpenBLAS threads):
///  1. rows: each shard takes a contiguous slice of the batch and runs forward,
///     the head, and backward to every layer's delta Δ_i on its rows;
///  2. parameters: each shard takes a contiguous block of rows of every W_i and
///     computes that block's gradient over the whole batch in one GEMM,
///     Z_{i-1}[:, block]ᵀ · Δ_i with K = batch rows, written straight into the
///     optimizer state (SGD: the momentum, by GEMM's β = μ), then updates it.
/// No shard holds a gradient of its own to be summed, every parameter's gradient
/// is one dot product over the batch, and the losses are summed row by row in
/// batch order.
///
/// Buffers (B = maxRows, shared by the shards, each using its rows):
///   Z_i [B, d_i] for i = 0…k (Z_k = logits x), Y and T [B, K], Δ_i [B, d_i] for
///   i = 1…k, per-row losses [B], and w, s1, s2, g [P].
public final class Trainer {
    public private(set) var model: MLP
    let P: Int
    let maxRows: Int
    let shards: Int
    let w: UnsafeMutablePointer<Float>      // parameters [P]
    let s1: UnsafeMutablePointer<Float>     // SGD's momentum, or Adam's first moment [P]
    let s2: UnsafeMutablePointer<Float>     // Adam's second moment [P]
    let g: UnsafeMutablePointer<Float>      // gradients, for AdamW and gradients() [P]
    let acts: [UnsafeMutablePointer<Float>] // Z_0 … Z_k
    let deltas: [UnsafeMutablePointer<Float>] // Δ_1 … Δ_k at indices 1…k (index 0 unused)
    let y: UnsafeMutablePointer<Float>
    let t: UnsafeMutablePointer<Float>
    let ones: UnsafeMutablePointer<Float>   // [B]
    let rowLoss: UnsafeMutablePointer<Double> // [B]
    let shardCorrect: UnsafeMutablePointer<Int> // [shards]
    var adamStep = 0
    let team: ThreadTeam

    /// `maxRows`: the largest batch; `shards`: threads to run each phase on.
    public init(model: MLP, maxRows: Int, shards: Int = 1) {
        self.model = model
        P = model.parameters.count
        let rows = max(1, maxRows)
        self.maxRows = rows
        self.shards = max(1, min(shards, rows))
        let buffer = Trainer.zeroedBuffer
        let weights = buffer(P)
        model.parameters.withUnsafeBufferPointer { weights.update(from: $0.baseAddress!, count: $0.count) }
        w = weights
        s1 = buffer(P); s2 = buffer(P); g = buffer(P)
        acts = model.widths.map { buffer(rows * $0) }
        deltas = model.widths.enumerated().map { buffer($0.offset == 0 ? 1 : rows * $0.element) }
        let K = model.widths.last!
        y = buffer(rows * K); t = buffer(rows * K)
        ones = buffer(rows)
        ones.update(repeating: 1, count: rows)
        rowLoss = .allocate(capacity: rows)
        rowLoss.initialize(repeating: 0, count: rows)
        shardCorrect = .allocate(capacity: self.shards)
        shardCorrect.initialize(repeating: 0, count: self.shards)
        team = ThreadTeam(size: self.shards)
    }

    deinit {
        for p in [w, s1, s2, g, y, t, ones] + acts + deltas { p.deallocate() }
        rowLoss.deallocate()
        shardCorrect.deallocate()
    }

    static func zeroedBuffer(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1))
        return p
    }

    var K: Int { model.widths.last! }

    /// The current parameters as a model.
    public func currentModel() -> MLP {
        var m = model
        m.parameters = Array(UnsafeBufferPointer(start: w, count: P))
        return m
    }

    /// Runs `body(shard)` for every shard, concurrently when there are several.
    func eachShard(_ body: @escaping (Int) -> Void) {
        team.run(body)
    }

    /// Rows lo..<hi (of `n`) that shard `s` takes in phase 1.
    func rowRange(_ n: Int, _ s: Int) -> Range<Int> {
        let per = (n + shards - 1) / shards
        let lo = min(s * per, n)
        return lo..<min(lo + per, n)
    }

    /// Part `s` of 0..<n in phase 2 (blocks of W's rows, of b's entries).
    func block(_ n: Int, _ s: Int) -> Range<Int> { (n * s / shards)..<(n * (s + 1) / shards) }

    // MARK: phase 1, rows

    /// Copies rows `idx` of the task into rows `at…` of Z_0 and T.
    func load(_ task: LearningTask, _ idx: ArraySlice<Int>, at r0: Int, targets: (Float, Float)) {
        let d = model.widths[0], K = self.K
        let z0 = acts[0] + r0 * d, tr = t + r0 * K
        task.X.storage.withUnsafeBufferPointer { X in
            for (r, i) in idx.enumerated() { (z0 + r * d).update(from: X.baseAddress! + i * d, count: d) }
        }
        if let labels = task.labels {
            tr.update(repeating: targets.0, count: idx.count * K)
            for (r, i) in idx.enumerated() { tr[r * K + Int(labels[i])] = targets.1 }
        } else if let Y = task.Y {
            Y.storage.withUnsafeBufferPointer { Yp in
                for (r, i) in idx.enumerated() { (tr + r * K).update(from: Yp.baseAddress! + i * K, count: K) }
            }
        }
    }

    /// Forward pass of rows r0..<r0+n of Z_0: fills those rows of Z_1 … Z_k and Y.
    func forward(_ r0: Int, _ n: Int) {
        let widths = model.widths
        for i in 1...model.layers {
            let z = acts[i] + r0 * widths[i]
            denseForward(z, acts[i - 1] + r0 * widths[i - 1], w + model.weightOffset(i), w + model.biasOffset(i),
                         n, widths[i - 1], widths[i])
            if i < model.layers { model.hidden.forward(z, n * widths[i]) }
        }
        let K = self.K
        model.head.forward(y + r0 * K, acts[model.layers] + r0 * K, rows: n, cols: K)
    }

    /// Each row's implied loss (after `forward`), kept apart so that sums run in
    /// row order whatever the shards.
    func rowLosses(_ r0: Int, _ n: Int) {
        let K = self.K
        for r in r0..<(r0 + n) {
            rowLoss[r] = model.head.loss(x: acts[model.layers] + r * K, y: y + r * K, t: t + r * K, rows: 1, cols: K)
        }
    }

    /// Backward pass of rows r0..<r0+n after `forward`: Δ_k = (Y − T)/total, the
    /// canonical delta of every head (Th. 4.3), then Δ_{i-1} = (Δ_i W_iᵀ) ⊙ σ'.
    func backward(_ r0: Int, _ n: Int, total: Int) {
        let widths = model.widths, k = model.layers, K = self.K
        let inv = 1 / Float(total)
        let dk = deltas[k] + r0 * K, yk = y + r0 * K, tk = t + r0 * K
        for j in 0..<(n * K) { dk[j] = (yk[j] - tk[j]) * inv }
        for i in stride(from: k, to: 1, by: -1) {
            let din = widths[i - 1], prev = deltas[i - 1] + r0 * din
            denseBackwardInput(prev, deltas[i] + r0 * widths[i], w + model.weightOffset(i), n, din, widths[i])
            model.hidden.backward(prev, acts[i - 1] + r0 * din, n * din)
        }
    }

    /// Correct predictions among rows r0..<r0+n (argmax of Y against the label of idx).
    func countCorrect(_ task: LearningTask, _ idx: ArraySlice<Int>, at r0: Int) -> Int {
        guard let labels = task.labels else { return 0 }
        let K = self.K
        var c = 0
        for (r, i) in idx.enumerated() {
            let yr = y + (r0 + r) * K
            var best = 0
            for j in 1..<max(K, 1) where yr[j] > yr[best] { best = j }
            if best == Int(labels[i]) { c += 1 }
        }
        return c
    }

    /// Phase 1 on rows `idx` of the task; with `total` (the batch size for the
    /// deltas' 1/B) also backward. Returns the rows' summed loss (in row order) and
    /// correct count.
    func rowsPhase(_ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float), backwardTotal total: Int?) -> (Double, Int) {
        let n = idx.count
        eachShard { [self] s in
            let r = rowRange(n, s)
            shardCorrect[s] = 0
            guard !r.isEmpty else { return }
            let part = idx[(idx.startIndex + r.lowerBound)..<(idx.startIndex + r.upperBound)]
            load(task, part, at: r.lowerBound, targets: targets)
            forward(r.lowerBound, r.count)
            rowLosses(r.lowerBound, r.count)
            shardCorrect[s] = countCorrect(task, part, at: r.lowerBound)
            if let total { backward(r.lowerBound, r.count, total: total) }
        }
        var loss = 0.0
        for r in 0..<n { loss += rowLoss[r] }
        return (loss, (0..<shards).reduce(0) { $0 + shardCorrect[$1] })
    }

    // MARK: phase 2, parameters

    /// Shard `s`'s block of every layer's gradient over the batch's `n` rows,
    /// written as `into = β·into + gradient` (β = μ folds SGD's momentum in).
    func gradientBlocks(_ s: Int, _ n: Int, into out: UnsafeMutablePointer<Float>, beta: Float) {
        let widths = model.widths
        for i in 1...model.layers {
            let (din, dout) = (widths[i - 1], widths[i])
            let rows = block(din, s), cols = block(dout, s)
            denseWeightGradient(out + model.weightOffset(i), acts[i - 1], deltas[i], rows, n, din, dout, beta: beta)
            denseBiasGradient(out + model.biasOffset(i), deltas[i], ones, cols, n, dout, beta: beta)
        }
    }

    /// Calls `body(lo, hi)` for each contiguous parameter range that shard `s`
    /// owns in phase 2 (its block of rows of each W_i, its block of each b_i).
    func eachOwnedRange(_ s: Int, _ body: (Int, Int) -> Void) {
        let widths = model.widths
        for i in 1...model.layers {
            let (din, dout) = (widths[i - 1], widths[i])
            let rows = block(din, s), cols = block(dout, s)
            if !rows.isEmpty { body(model.weightOffset(i) + rows.lowerBound * dout, model.weightOffset(i) + rows.upperBound * dout) }
            if !cols.isEmpty { body(model.biasOffset(i) + cols.lowerBound, model.biasOffset(i) + cols.upperBound) }
        }
    }

    /// One training step on rows `idx`; returns the batch's summed loss and correct count.
    public func step(_ task: LearningTask, _ idx: ArraySlice<Int>, _ s: TrainingSettings, lr: Float) -> (loss: Double, correct: Int) {
        let n = idx.count
        let result = rowsPhase(task, idx, targets: s.targets, backwardTotal: n)
        eachShard { [self] k in
            switch s.optimizer {
            case .sgd:
                // PyTorch's SGD: v = μv + (g + λw); w −= lr·v.
                gradientBlocks(k, n, into: s1, beta: s.momentum)
                eachOwnedRange(k) { lo, hi in sgdUpdate(w + lo, s1 + lo, hi - lo, lr: lr, weightDecay: s.weightDecay) }
            case .adamw:
                gradientBlocks(k, n, into: g, beta: 0)
                eachOwnedRange(k) { lo, hi in adamUpdate(s, lr: lr, lo, hi) }
            }
        }
        if s.optimizer == .adamw { adamStep += 1 }
        return result
    }

    /// AdamW (decoupled weight decay) on parameters lo..<hi from the gradients in g.
    func adamUpdate(_ s: TrainingSettings, lr: Float, _ lo: Int, _ hi: Int) {
        let t = Double(adamStep + 1)
        let b1 = s.adamBeta1, b2 = s.adamBeta2, eps = s.adamEpsilon
        let c1 = 1 - Float(pow(Double(b1), t))
        let c2 = 1 - Float(pow(Double(b2), t))
        let decay = 1 - lr * s.weightDecay
        for j in lo..<hi {
            let gj = g[j]
            s1[j] = b1 * s1[j] + (1 - b1) * gj
            s2[j] = b2 * s2[j] + (1 - b2) * gj * gj
            w[j] = w[j] * decay - lr * (s1[j] / c1) / ((s2[j] / c2).squareRoot() + eps)
        }
    }

    /// Mean loss and accuracy on a whole task (forward only, in batches of maxRows).
    public func evaluate(_ task: LearningTask, targets: (Float, Float)) -> Evaluation {
        let all = Array(0..<task.rows)
        var loss = 0.0, correct = 0
        var start = 0
        while start < task.rows {
            let idx = all[start..<min(task.rows, start + maxRows)]
            let (l, c) = rowsPhase(task, idx, targets: targets, backwardTotal: nil)
            loss += l; correct += c
            start += idx.count
        }
        let m = Double(max(task.rows, 1))
        return Evaluation(loss: loss / m, accuracy: task.isClassification ? Double(correct) / m : nil)
    }

    /// The net's outputs Y for every row of X.
    public func predict(_ X: Matrix) -> Matrix {
        let d = model.widths[0], K = self.K
        var out = [Float](repeating: 0, count: X.rows * K)
        var start = 0
        X.storage.withUnsafeBufferPointer { Xp in
            while start < X.rows {
                let n = min(maxRows, X.rows - start)
                acts[0].update(from: Xp.baseAddress! + start * d, count: n * d)
                eachShard { [self] s in
                    let r = rowRange(n, s)
                    if !r.isEmpty { forward(r.lowerBound, r.count) }
                }
                for j in 0..<(n * K) { out[start * K + j] = y[j] }
                start += n
            }
        }
        return Matrix(unchecked: [X.rows, K], out)
    }

    /// Mean loss and its gradients on rows `idx`, without an update (gradient checks).
    public func gradients(_ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float)) -> (loss: Double, gradients: [Float]) {
        let n = idx.count
        let (loss, _) = rowsPhase(task, idx, targets: targets, backwardTotal: n)
        eachShard { [self] k in gradientBlocks(k, n, into: g, beta: 0) }
        return (loss / Double(n), Array(UnsafeBufferPointer(start: g, count: P)))
    }
}

/// SGD with momentum after the gradient is in v (v = μv + g): v += λw; w −= lr·v,
/// one pass over n parameters (v is only written back when λ ≠ 0).
func sgdUpdate(_ w: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ n: Int, lr: Float, weightDecay wd: Float) {
    typealias V = SIMD8<Float>
    let wr = UnsafeMutableRawPointer(w), vr = UnsafeMutableRawPointer(v)
    let lrv = V(repeating: lr), wdv = V(repeating: wd)
    var i = 0
    if wd == 0 {
        while i + 8 <= n {
            let o = i * 4
            let wi = wr.loadUnaligned(fromByteOffset: o, as: V.self)
            wr.storeBytes(of: wi - lrv * vr.loadUnaligned(fromByteOffset: o, as: V.self), toByteOffset: o, as: V.self)
            i += 8
        }
        while i < n { w[i] -= lr * v[i]; i += 1 }
        return
    }
    while i + 8 <= n {
        let o = i * 4
        let wi = wr.loadUnaligned(fromByteOffset: o, as: V.self)
        let vi = vr.loadUnaligned(fromByteOffset: o, as: V.self) + wdv * wi
        vr.storeBytes(of: vi, toByteOffset: o, as: V.self)
        wr.storeBytes(of: wi - lrv * vi, toByteOffset: o, as: V.self)
        i += 8
    }
    while i < n {
        v[i] += wd * w[i]
        w[i] -= lr * v[i]
        i += 1
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
    // Our own threads split each phase; BLAS runs single-threaded inside each.
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
