import Foundation

// The backprop workers: the buffers a batch runs through and the two parallel
// phases of a step over them. Trainer (optimizer state and updates) and Evaluator
// (forward only) each own one Workspace.
//
// Shapes (B = rows in the batch, d_i = widths[i], K = d_k):
//   Z_0 = X batch [B, d_0];  Z_i [B, d_i];  Z_k = logits x [B, K];  Y = head(x) [B, K]
//   T [B, K] targets;  Δ_i = ∂L/∂A_i [B, d_i];  M_{i−1} input-dropout scales [B, d_{i−1}]
//
// A step runs in two phases over `shards` threads, each calling single-threaded
// BLAS (on 2 cores that beats sharing every small GEMM between OpenBLAS threads):
//  1. rows: each shard takes a contiguous slice of the batch and runs forward,
//     the head, and backward to every layer's delta Δ_i on its rows;
//  2. parameters: each shard takes a contiguous block of rows of every W_i and
//     computes that block's gradient over the whole batch in one GEMM,
//     Z_{i-1}[:, block]ᵀ · Δ_i with K = batch rows (Trainer.swift).
// No shard holds a gradient of its own to be summed, every parameter's gradient
// is one dot product over the batch, and the losses are summed row by row in
// batch order.

/// Where a batch sits in a training run, for its dropout masks: row r of the
/// batch is the run's row `position + r` (epochs counted from the first).
struct DropoutDraw {
    var seed: UInt64
    var position: Int
}

final class Workspace {
    let model: MLP
    let maxRows: Int
    let shards: Int
    let acts: [UnsafeMutablePointer<Float>]    // Z_0 … Z_k [B, d_i]
    let y: UnsafeMutablePointer<Float>         // [B, K]
    let t: UnsafeMutablePointer<Float>         // [B, K]
    let rowLoss: UnsafeMutablePointer<Double>  // [B]
    let shardCorrect: UnsafeMutablePointer<Int> // [shards]
    /// Backprop only: Δ_1 … Δ_k at indices 1…k (index 0 unused), and ones [B].
    let deltas: [UnsafeMutablePointer<Float>]
    let ones: UnsafeMutablePointer<Float>?
    /// Input dropout of layer i (made on first use): its scales M_{i−1} and its
    /// dropped input Z_{i−1} ⊙ M_{i−1}, at index i − 1.
    var dropScale: [UnsafeMutablePointer<Float>?]
    var dropped: [UnsafeMutablePointer<Float>?]
    /// This step's rates (0: off), per layer 1…k at index i − 1.
    var inputRate: [Float]
    var gradientRate: [Float]
    /// The layer number each layer's masks are drawn for (LayerPlan.maskLayer).
    var maskLayer: [Int]
    var draw = DropoutDraw(seed: 0, position: 0)
    let team: ThreadTeam

    /// `maxRows`: the largest batch; `shards`: threads to run each phase on;
    /// `backprop`: also the buffers of the backward pass.
    init(model: MLP, maxRows: Int, shards: Int, backprop: Bool) throws {
        self.model = model
        let rows = max(1, maxRows)
        self.maxRows = rows
        self.shards = max(1, min(shards, rows))
        acts = model.widths.map { zeroedBuffer(rows * $0) }
        let K = model.widths.last!
        y = zeroedBuffer(rows * K)
        t = zeroedBuffer(rows * K)
        rowLoss = .allocate(capacity: rows)
        rowLoss.initialize(repeating: 0, count: rows)
        shardCorrect = .allocate(capacity: self.shards)
        shardCorrect.initialize(repeating: 0, count: self.shards)
        deltas = backprop ? model.widths.enumerated().map { zeroedBuffer($0.offset == 0 ? 1 : rows * $0.element) } : []
        ones = backprop ? zeroedBuffer(rows) : nil
        ones?.update(repeating: 1, count: rows)
        dropScale = Array(repeating: nil, count: model.layers)
        dropped = Array(repeating: nil, count: model.layers)
        inputRate = Array(repeating: 0, count: model.layers)
        gradientRate = Array(repeating: 0, count: model.layers)
        maskLayer = Array(1...model.layers)
        team = try ThreadTeam(size: self.shards)
    }

    deinit {
        for p in [y, t] + acts + deltas + dropScale.compactMap({ $0 }) + dropped.compactMap({ $0 }) { releaseBuffer(p) }
        ones.map(releaseBuffer)
        rowLoss.deallocate()
        shardCorrect.deallocate()
    }

    var K: Int { model.widths.last! }

    /// Sets this step's dropout rates from the layer plans (nil: none, as in evaluation).
    func setDropout(_ plans: [LayerPlan]?, draw: DropoutDraw) {
        for i in 1...model.layers {
            let p = plans.map { $0.isEmpty ? LayerPlan() : $0[i - 1] }
            inputRate[i - 1] = p?.inputDropout ?? 0
            gradientRate[i - 1] = p?.gradientDropout ?? 0
            maskLayer[i - 1] = p?.maskLayer ?? i
            if inputRate[i - 1] > 0 && dropScale[i - 1] == nil {
                dropScale[i - 1] = zeroedBuffer(maxRows * model.widths[i - 1])
                dropped[i - 1] = zeroedBuffer(maxRows * model.widths[i - 1])
            }
        }
        self.draw = draw
    }

    /// What layer i multiplies: Z_{i−1}, or its dropped copy while input dropout is on.
    func input(_ i: Int) -> UnsafeMutablePointer<Float> {
        inputRate[i - 1] > 0 ? dropped[i - 1]! : acts[i - 1]
    }

    /// Runs `body(shard)` for every shard, concurrently when there are several.
    func eachShard(_ body: @escaping (Int) -> Void) { team.run(body) }

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

    /// Forward pass of rows r0..<r0+n of Z_0: fills those rows of Z_1 … Z_k and Y
    /// (input dropout applied where this step has it on).
    func forward(_ w: UnsafePointer<Float>, _ r0: Int, _ n: Int) {
        let widths = model.widths
        for i in 1...model.layers {
            let din = widths[i - 1]
            if inputRate[i - 1] > 0 {
                drawScales(dropScale[i - 1]! + r0 * din, rows: r0..<(r0 + n), cols: din, rate: inputRate[i - 1],
                           stream: .inputDropout(layer: maskLayer[i - 1]))
                let z = acts[i - 1] + r0 * din, m = dropScale[i - 1]! + r0 * din, o = dropped[i - 1]! + r0 * din
                for j in 0..<(n * din) { o[j] = z[j] * m[j] }
            }
            layerForward(acts[i] + r0 * widths[i], input(i) + r0 * din, w, model, layer: i, rows: n)
        }
        let K = self.K
        model.head!.forward(y + r0 * K, acts[model.layers] + r0 * K, rows: n, cols: K)
    }

    /// The dropout scales of rows `rows` of this batch (dropoutScales), into `out`.
    func drawScales(_ out: UnsafeMutablePointer<Float>, rows: Range<Int>, cols: Int, rate: Float, stream: RandomStream) {
        for (r, row) in rows.enumerated() {
            let o = out + r * cols
            dropoutScales(seed: draw.seed, stream: stream, position: draw.position + row, count: cols, rate: rate) { o[$0] = $1 }
        }
    }

    /// Each row's implied loss (after `forward`), kept apart so that sums run in
    /// row order whatever the shards.
    func rowLosses(_ r0: Int, _ n: Int) {
        let K = self.K, head = model.head!
        for r in r0..<(r0 + n) {
            rowLoss[r] = head.loss(x: acts[model.layers] + r * K, y: y + r * K, t: t + r * K, rows: 1, cols: K)
        }
    }

    /// Backward pass of rows r0..<r0+n after `forward`, down to layer `lowest`:
    /// Δ_k = (Y − T)/total, the canonical delta of every head (Th. 4.3), then
    /// Δ_{i-1} = (Δ_i W_iᵀ) ⊙ M_{i−1} ⊙ σ'_{i−1}; gradient dropout scales the
    /// gradient entering a layer (the same as scaling its Δ, elementwise).
    func backward(_ w: UnsafePointer<Float>, _ r0: Int, _ n: Int, total: Int, lowest: Int) {
        let widths = model.widths, k = model.layers, K = self.K
        let inv = 1 / Float(total)
        let dk = deltas[k] + r0 * K, yk = y + r0 * K, tk = t + r0 * K
        for j in 0..<(n * K) { dk[j] = (yk[j] - tk[j]) * inv }
        dropGradient(k, r0, n)
        for i in stride(from: k, to: lowest, by: -1) {
            let din = widths[i - 1], prev = deltas[i - 1] + r0 * din
            denseBackwardInput(prev, deltas[i] + r0 * widths[i], w + model.weightOffset(i), n, din, widths[i])
            if inputRate[i - 1] > 0 {
                let m = dropScale[i - 1]! + r0 * din
                for j in 0..<(n * din) { prev[j] *= m[j] }
            }
            model.activation(i - 1).backward(prev, acts[i - 1] + r0 * din, n * din)
            dropGradient(i - 1, r0, n)
        }
    }

    /// Gradient dropout on Δ_i of rows r0..<r0+n, when this step has it on.
    func dropGradient(_ i: Int, _ r0: Int, _ n: Int) {
        let rate = gradientRate[i - 1]
        guard rate > 0 else { return }
        let d = model.widths[i], delta = deltas[i] + r0 * d
        for (r, row) in (r0..<(r0 + n)).enumerated() {
            let o = delta + r * d
            dropoutScales(seed: draw.seed, stream: .gradientDropout(layer: maskLayer[i - 1]), position: draw.position + row, count: d, rate: rate) {
                o[$0] *= $1
            }
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
    /// deltas' 1/B) also backward down to layer `lowest`. Returns the rows' summed
    /// loss (in row order) and correct count.
    func rowsPhase(_ w: UnsafePointer<Float>, _ task: LearningTask, _ idx: ArraySlice<Int>, targets: (Float, Float),
                   backwardTotal total: Int?, lowest: Int = 1) -> (Double, Int) {
        let n = idx.count
        eachShard { [self] s in
            let r = rowRange(n, s)
            shardCorrect[s] = 0
            guard !r.isEmpty else { return }
            let part = idx[(idx.startIndex + r.lowerBound)..<(idx.startIndex + r.upperBound)]
            load(task, part, at: r.lowerBound, targets: targets)
            forward(w, r.lowerBound, r.count)
            rowLosses(r.lowerBound, r.count)
            shardCorrect[s] = countCorrect(task, part, at: r.lowerBound)
            if let total { backward(w, r.lowerBound, r.count, total: total, lowest: lowest) }
        }
        var loss = 0.0
        for r in 0..<n { loss += rowLoss[r] }
        return (loss, (0..<shards).reduce(0) { $0 + shardCorrect[$1] })
    }

    /// Mean loss and accuracy on a whole task (forward only, no dropout, in batches of maxRows).
    func evaluate(_ w: UnsafePointer<Float>, _ task: LearningTask, targets: (Float, Float)) -> Evaluation {
        setDropout(nil, draw: draw)
        let all = Array(0..<task.rows)
        var loss = 0.0, correct = 0
        var start = 0
        while start < task.rows {
            let idx = all[start..<min(task.rows, start + maxRows)]
            let (l, c) = rowsPhase(w, task, idx, targets: targets, backwardTotal: nil)
            loss += l; correct += c
            start += idx.count
        }
        let m = Double(max(task.rows, 1))
        return Evaluation(loss: loss / m, accuracy: task.isClassification ? Double(correct) / m : nil)
    }

    /// The net's outputs Y for every row of X (no dropout).
    func predict(_ w: UnsafePointer<Float>, _ X: Matrix) -> Matrix {
        setDropout(nil, draw: draw)
        let d = model.widths[0], K = self.K
        var out = [Float](repeating: 0, count: X.rows * K)
        var start = 0
        X.storage.withUnsafeBufferPointer { Xp in
            while start < X.rows {
                let n = min(maxRows, X.rows - start)
                acts[0].update(from: Xp.baseAddress! + start * d, count: n * d)
                eachShard { [self] s in
                    let r = rowRange(n, s)
                    if !r.isEmpty { forward(w, r.lowerBound, r.count) }
                }
                for j in 0..<(n * K) { out[start * K + j] = y[j] }
                start += n
            }
        }
        return Matrix(unchecked: [X.rows, K], out)
    }
}

public struct Evaluation: Equatable, Sendable {
    public var loss: Double        // mean implied loss per sample
    public var accuracy: Double?   // classification only
}

/// A net's loss, accuracy and outputs on whole tasks: the forward half of the
/// engine, without optimizer state or backward buffers.
public final class Evaluator {
    public let model: MLP
    let space: Workspace

    /// `maxRows`: rows per forward chunk, split over `shards` threads.
    public init(model: MLP, maxRows: Int, shards: Int = 1) throws {
        guard model.head != nil else {
            throw DLError.usage("a net without an output head has no loss or accuracy", hint: "stack a decision layer on it")
        }
        self.model = model
        space = try Workspace(model: model, maxRows: maxRows, shards: shards, backprop: false)
    }

    /// A float64 model (parameters64) is evaluated in float64 only: its float32
    /// rounding may be another net (ExactForward.swift).
    public func evaluate(_ task: LearningTask, targets: (Float, Float)) throws -> Evaluation {
        if model.parameters64 != nil { return try exactEvaluation(task, targets: targets) }
        return model.parameters.withUnsafeBufferPointer { space.evaluate($0.baseAddress!, task, targets: targets) }
    }

    /// Ŷ for every row of X.
    public func predict(_ X: Matrix) throws -> Matrix {
        if model.parameters64 != nil { return try model.representation(X, layer: model.layers) }
        return model.parameters.withUnsafeBufferPointer { space.predict($0.baseAddress!, X) }
    }
}

/// The dropout scales of one row, the run's row `position`: `count` values, each 0
/// with probability `rate` and 1/(1 − rate) otherwise, from the row's own
/// substream of `stream` (so any shard draws the same mask), handed to `body`
/// as (index, scale).
@inline(__always)
public func dropoutScales(seed: UInt64, stream: RandomStream, position: Int, count: Int, rate: Float,
                          _ body: (Int, Float) -> Void) {
    let keep = 1 / (1 - rate)
    var rng = RNG(seed: seed, stream: stream, index: UInt64(position))
    for j in 0..<count { body(j, rng.uniformFloat() < rate ? 0 : keep) }
}

/// n zero floats from calloc: pages no step touches (the optimizer state and
/// deltas of frozen layers, AdamW's buffers under SGD) are never made resident,
/// so the memory a run holds is what TrainingMemory counts. Free with `releaseBuffer`.
func zeroedBuffer(_ n: Int) -> UnsafeMutablePointer<Float> {
    // calloc fails only where `allocate` would (Linux overcommits: sizes are capped by MLP.maxParameters).
    calloc(max(n, 1), MemoryLayout<Float>.stride)!.bindMemory(to: Float.self, capacity: max(n, 1))
}

func releaseBuffer(_ p: UnsafeMutablePointer<Float>) { free(p) }
