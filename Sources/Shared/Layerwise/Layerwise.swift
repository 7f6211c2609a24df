import Foundation

// Deep layer-wise learning (Th. 6) on the one training engine (Nets/).
//
// Th. Algorithm 3: for each hidden layer i of a k-layer net, train the subnet
// (ψ_i, ψ'_k) — layer i under a temporary decision layer (or a decision block:
// a small MLP) — on D(Z_{i−1}, Y); keep W_i, drop the decision layer, and
// forward Z_i = ψ_i(Z_{i−1}) to the next subnet. The last subnet's decision layer
// is the net's own output layer ψ_k, so the result is the architecture asked for.
// A segment (Th. 6.5) is s consecutive layers trained at once, sliding by a step.
//
// Feeding the layer under training (Th. 6.2.2):
//   checkpoint  Z_{a−1} of every row is computed once (by forEachRepresentation,
//               the same blocks of rows a step file's features come from) and the
//               subnet trains on it: layers a…b + decision.
//   feednet     mini-batches of X go through the frozen layers 1…a−1 inside the
//               subnet (LayerPlan.frozen): layers 1…b + decision, backward
//               stopping at a. Same result up to float rounding of the forward pass.
//
// Schedules of Th. Table 6.3 (segment j counted from 0): lr·decay^j, wd·growth^j,
// input dropout p0·0.95^(e−1) in the segment's epoch e (Th. 6.6.3's forward
// dropout), fixed dropout on the gradient entering the top trained layer from the
// decision block (its backward dropout). Random robin (Th. Algorithm 4) visits
// the segments in rounds; each keeps its trainer (decision block, optimizer
// state) and its epoch count across rounds. Online k-filtering (Th. 6.8.2) trains
// every segment above the first on the rows of its input features Z_{a−1} that
// are not k-redundant.
//
// Randomness: layer i starts from stream initialWeights(i), as in dl-fit;
// segment j's decision block from decisionWeights(j); segment j's row orders
// and masks from a seed of its own (segmentRun(j)), with masks drawn for the
// layer's real depth (LayerPlan.maskLayer), so in-process runs, feednet runs and
// one-step-per-layer runs (`layerwiseStep`) draw the same numbers.

public enum FeedMode: String, CaseIterable, Sendable { case checkpoint, feednet }
public enum RobinOrder: String, CaseIterable, Sendable { case sequential, random }

public struct LayerwiseSettings {
    /// The base run: optimizer, batch, lr and wd of segment 0, seed, threads,
    /// targets; its `epochs` is ignored (see `epochs`).
    public var training = TrainingSettings()
    /// Epochs per segment: one number for all, or one per segment.
    public var epochs: [Int] = [10]
    public var lrDecay: Float = 0.8
    public var wdGrowth: Float = 1.15
    /// Forward dropout on the segment's input at its first epoch, and its decay per epoch.
    public var inputDropout: Float = 0
    public var inputDropoutDecay: Float = 0.95
    /// Backward dropout on the gradient entering the trained layers from the decision block.
    public var gradientDropout: Float = 0
    /// Hidden widths of the decision block ([]: a single decision layer).
    public var decision: [Int] = []
    /// How the decision block's weights are drawn (nil: the hidden activation's default).
    public var decisionInit: Initialization?
    public var subnetSize = 1
    public var step = 1
    public var mode = FeedMode.checkpoint
    /// Random robin: rounds, each training every segment `epochsPerRound` epochs.
    public var rounds = 1
    public var epochsPerRound = 1
    public var order = RobinOrder.sequential
    /// Online k-filtering of the features under every segment above the first.
    public var kfilter: KFilterSettings?

    public init() {}

    /// Epochs of segment j on one visit.
    func visitEpochs(_ j: Int) -> Int { rounds > 1 ? epochsPerRound : (epochs.count == 1 ? epochs[0] : epochs[j]) }

    /// Throws a usage error naming the first setting out of range, for `segments` segments.
    public func validate(segments n: Int) throws {
        try training.validate()
        guard epochs.count == 1 || epochs.count == n else {
            throw DLError.usage("--epochs lists \(epochs.count) numbers for \(n) segment\(n == 1 ? "" : "s")",
                                hint: "give one number, or one per segment (\(n))")
        }
        guard epochs.allSatisfy({ (1...TrainingSettings.maxEpochs).contains($0) }) else {
            throw DLError.usage("every --epochs number must lie in 1…\(TrainingSettings.maxEpochs)")
        }
        guard lrDecay > 0, lrDecay.isFinite, wdGrowth > 0, wdGrowth.isFinite else {
            throw DLError.usage("--lr-decay and --wd-growth must be positive and finite")
        }
        guard (0..<1).contains(inputDropout), (0..<1).contains(gradientDropout) else {
            throw DLError.usage("dropout rates must lie in [0, 1)")
        }
        // The last segment's rate and decay must stay representable (a deep net
        // multiplies them by decay^j and growth^j hundreds of times).
        let j = Float(max(0, n - 1))
        let lastLR = training.learningRate * pow(lrDecay, j)
        let lastWD = training.weightDecay == 0 ? 0 : training.weightDecay * pow(wdGrowth, j)
        guard lastLR > 0, lastLR.isFinite else {
            throw DLError.usage("segment \(n - 1)'s learning rate, --lr × \(lrDecay)^\(n - 1), is \(lastLR) in float32",
                                hint: "use a --lr-decay closer to 1 for a net this deep")
        }
        guard lastWD.isFinite else {
            throw DLError.usage("segment \(n - 1)'s weight decay, --wd × \(wdGrowth)^\(n - 1), overflows float32",
                                hint: "use a --wd-growth closer to 1 for a net this deep")
        }
        guard inputDropoutDecay > 0, inputDropoutDecay <= 1 else { throw DLError.usage("--input-dropout-decay must lie in (0, 1]") }
        guard decision.allSatisfy({ (1...(1 << 24)).contains($0) }) else { throw DLError.usage("decision widths must be positive") }
        guard subnetSize >= 1 else { throw DLError.usage("--subnet-size must be at least 1") }
        guard step >= 1, step <= subnetSize else {
            throw DLError.usage("--stride must lie in 1…\(subnetSize) (the subnet size): a larger stride would skip layers")
        }
        guard (1...1_000_000).contains(rounds) else { throw DLError.usage("--rounds must lie in 1…1000000") }
        guard (1...TrainingSettings.maxEpochs).contains(epochsPerRound) else { throw DLError.usage("--epochs-per-round must be at least 1") }
        if let f = kfilter {
            guard f.k >= 1 else { throw DLError.usage("--kfilter: k must be at least 1") }
            if let m = f.maxFraction, !(0...1).contains(m) { throw DLError.usage("--kfilter: max must lie in [0, 1]") }
        }
    }
}

/// The segments a…b of hidden layers 1…h: size `size`, starting every `step`
/// layers, the last ending at h (Th. 6.5; overlap size − step).
public func layerwiseSegments(hiddenLayers h: Int, size: Int, step: Int) -> [ClosedRange<Int>] {
    guard h >= 1 else { return [] }
    var out: [ClosedRange<Int>] = []
    var a = 1
    while true {
        let b = min(a + size - 1, h)
        out.append(a...b)
        if b == h { return out }
        a += step
    }
}

/// One visit of one segment: what it trained and how it did (the per-layer log).
public struct SegmentRecord: Equatable, Sendable {
    public var round = 1
    /// j, from 0.
    public var segment = 0
    public var firstLayer = 1
    public var lastLayer = 1
    public var epochs = 0
    public var learningRate: Double = 0
    public var weightDecay: Double = 0
    /// Rows trained on (after k-filtering) and their share of /train.
    public var trainRows = 0
    public var keptFraction: Double = 1
    public var trainLoss: Double = .nan
    public var trainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// Th. Table 6.3's memory: the subnet (with its feednet) and full backprop of the whole net, at the same batch.
    public var memory = TrainingMemory()
    public var fullBackpropBytes = 0
    /// Checkpointed features held in memory for this segment (train and test).
    public var featureBytes = 0
    public var seconds: Double = 0
    public var peakResidentBytes = 0

    public init() {}

    public var relativeMemory: Double { fullBackpropBytes > 0 ? Double(memory.total) / Double(fullBackpropBytes) : .nan }

    /// "layer 3" or "layers 2–3".
    public var layersName: String { firstLayer == lastLayer ? "layer \(firstLayer)" : "layers \(firstLayer)–\(lastLayer)" }
}

public struct LayerwiseResult {
    public var model: MLP
    public var segments: [SegmentRecord]
    /// Every epoch of every visit, in order, with the visit it belongs to.
    public var log: [EpochRecord]
    public var logVisit: [Int]
}

/// A layer-wise run over a net: the net as trained so far, each segment's
/// trainer, and the features last computed (checkpoint mode).
public final class LayerwiseRun {
    public private(set) var net: MLP
    public let settings: LayerwiseSettings
    public let segments: [ClosedRange<Int>]
    let train: LearningTask
    let test: LearningTask?
    /// The input's name, for messages.
    let file: String
    /// How often each layer 1…k has been changed (index i − 1); a cached Z_c is
    /// valid while layers 1…c keep the counts it was made with.
    var version: [Int]
    var cache: (layer: Int, version: [Int], train: Matrix, test: Matrix?)?
    /// The layer of the features the run was given (a step), if any.
    let cache0Layer: Int?
    var trainers: [Int: Trainer] = [:]
    var epochsDone: [Int: Int] = [:]
    public private(set) var records: [SegmentRecord] = []
    public private(set) var log: [EpochRecord] = []
    public private(set) var logVisit: [Int] = []

    /// `net`: the whole architecture with its head and starting weights; `train`
    /// and `test` its data (X), or — with `features` — the data under the layers
    /// below `features.layer`, whose weights are then never used (one step of
    /// a Makefile chain: the features come from the file the step before wrote).
    public init(net: MLP, train: LearningTask, test: LearningTask?, settings: LayerwiseSettings, file: String,
                features: (layer: Int, train: Matrix, test: Matrix?)? = nil) throws {
        guard net.head != nil, net.layers >= 2 else {
            throw DLError.usage("layer-wise training needs a net with at least one hidden layer and an output head",
                                hint: "e.g. --arch 784-392-196-50-10")
        }
        let segments = layerwiseSegments(hiddenLayers: net.layers - 1, size: settings.subnetSize, step: settings.step)
        try settings.validate(segments: segments.count)
        if settings.kfilter != nil, !train.isClassification {
            throw DLError.usage("--kfilter needs class labels", hint: "k-filtering keeps samples by their neighbours' classes")
        }
        if settings.mode == .feednet, features != nil {
            throw DLError.usage("a feednet runs on the data itself, not on features")
        }
        self.net = net
        self.settings = settings
        self.segments = segments
        self.train = train
        self.test = test
        self.file = file
        version = Array(repeating: 0, count: net.layers)
        if let f = features {
            cache = (f.layer, Array(repeating: 0, count: f.layer), f.train, f.test)
        }
        cache0Layer = features?.layer
        let l = (features?.layer ?? 0) + 1
        for X in [train.X] + (test.map { [$0.X] } ?? []) where X.cols != net.widths[l - 1] {
            throw DLError.input("\(file): X has \(X.cols) columns, but layer \(l) of \(net.architecture) takes \(net.widths[l - 1]) inputs",
                                hint: l == 1 ? "the architecture's first width must match the data" : "give the features of layer \(l - 1)")
        }
    }

    /// Every visit of every segment: `rounds` rounds in sequential or random order.
    public func run() throws -> LayerwiseResult {
        let n = segments.count
        for round in 1...settings.rounds {
            var order = Array(0..<n)
            if settings.order == .random {
                var rng = RNG(seed: settings.training.seed, stream: .robinOrder, index: UInt64(round))
                order = rng.permutation(n)
            }
            for j in order { try visit(j, round: round) }
        }
        return result
    }

    /// Trains segment j alone (one step of a Makefile chain): its layers, with
    /// the output layer and head when it is the last.
    public func trainSegment(_ j: Int) throws -> MLP {
        try visit(j, round: 1)
        let (a, b) = (segments[j].lowerBound, segments[j].upperBound)
        return try net.slice(a...(b == net.layers - 1 ? net.layers : b))
    }

    public var result: LayerwiseResult { LayerwiseResult(model: net, segments: records, log: log, logVisit: logVisit) }

    /// Z_c of the train (and test) rows under the net's current layers 1…c.
    func features(_ c: Int) throws -> (Matrix, Matrix?) {
        if let f = cache, f.layer == c, Array(version[0..<c]) == f.version { return (f.train, f.test) }
        var from = 0, Z = train.X, Zt = test?.X
        if let f = cache, f.layer < c, Array(version[0..<f.layer]) == f.version {
            from = f.layer; Z = f.train; Zt = f.test
        }
        if c > from {
            let part = try net.slice((from + 1)...c)
            Z = try part.representation(Z, layer: c - from, threads: settings.training.threads)
            Zt = try Zt.map { try part.representation($0, layer: c - from, threads: settings.training.threads) }
        }
        cache = (c, Array(version[0..<c]), Z, Zt)
        return (Z, Zt)
    }

    /// Segment j's top: the decision block (drawn once), or the net's output layer for the last segment.
    func decisionBlock(_ j: Int, top b: Int) throws -> MLP {
        let k = net.layers
        if segments[j].upperBound == k - 1 { return try net.slice(k...k) }
        let widths = [net.widths[b]] + settings.decision + [net.widths[k]]
        let hidden = net.activation(b)
        var block = try MLP(widths: widths, activations: Array(repeating: hidden, count: widths.count - 2) + [.linear], head: net.head)
        let scheme = settings.decisionInit ?? hidden.defaultInit
        for l in 1...block.layers {
            var rng = RNG(seed: settings.training.seed, stream: .decisionWeights(segment: j), index: UInt64(l))
            block.initializeLayer(l, scheme, rng: &rng)
        }
        return block
    }

    /// A learning task of `rows` (all when nil) of the training set, with inputs
    /// `X`; `made`: X are features this run computed (not the data's, which were checked).
    func task(_ base: LearningTask, X: Matrix, rows: [Int]?, what: String, made: Bool) throws -> LearningTask {
        var split = Split(name: base.name, X: X, y: base.labels, Y: base.Y)
        if let rows { split = split.selecting(rows) }
        do {
            return try LearningTask(split: split, file: what)
        } catch let e as DLError where e.kind == .input && made {
            throw DLError.input(e.what, hint: "the layers below diverged: lower --lr, --wd or --wd-growth")
        }
    }

    /// One visit of segment j: train it `visitEpochs(j)` epochs, from where its last visit ended.
    func visit(_ j: Int, round: Int) throws {
        let (a, b) = (segments[j].lowerBound, segments[j].upperBound)
        let k = net.layers, last = b == k - 1
        let s0 = settings.training
        let t0 = monotonicSeconds()
        var rec = SegmentRecord()
        rec.round = round; rec.segment = j; rec.firstLayer = a; rec.lastLayer = b

        // The input: Z_{a−1} (checkpoint), or X through the frozen feednet.
        let what = "\(file): " + (a == 1 ? "the data" : "the features under layer \(a)")
        var trainX = train.X, testX = test?.X
        var zForFilter: Matrix?
        if settings.mode == .checkpoint {
            (trainX, testX) = try features(a - 1)
            zForFilter = trainX
            rec.featureBytes = a == 1 ? 0 : MemoryLayout<Float>.stride * (trainX.storage.count + (testX?.storage.count ?? 0))
        } else if settings.kfilter != nil, a > 1 {
            zForFilter = try net.slice(1...(a - 1)).representation(train.X, layer: a - 1, threads: s0.threads)
        }
        var rows: [Int]?
        if let f = settings.kfilter, a > 1, let Z = zForFilter, let labels = train.labels {
            var fs = f
            fs.seed = s0.seed
            fs.knn.threads = s0.threads
            let keep: [Bool]
            do {
                keep = try kFilterKeepMask(X: Z, labels: labels, settings: fs)
            } catch let e as DLError where e.kind == .input {
                throw e.within("k-filtering \(what)")
            }
            rows = (0..<Z.rows).filter { keep[$0] }
            guard rows!.count >= s0.batchSize else {
                throw DLError.input("k-filtering \(what) kept \(rows!.count) rows, fewer than a batch of \(s0.batchSize)",
                                    hint: "use a larger max-fraction= in --kfilter, or a smaller --batch-size")
            }
        }
        let made = settings.mode == .checkpoint && a - 1 > (cache0Layer ?? 0)
        let trainTask = try task(train, X: trainX, rows: rows, what: what, made: made)
        let testTask = try test.map { try task($0, X: testX!, rows: nil, what: what, made: made) }
        rec.trainRows = trainTask.rows
        rec.keptFraction = Double(trainTask.rows) / Double(max(1, train.rows))

        // The subnet: [frozen 1…a−1] + trained a…b + decision block.
        let below = settings.mode == .feednet ? a - 1 : 0
        let trained = b - a + 1
        var plans = Array(repeating: LayerPlan.frozen, count: below) + Array(repeating: LayerPlan(), count: trained)
        let trainer: Trainer
        var s = s0
        s.epochs = settings.visitEpochs(j)
        s.firstEpoch = (epochsDone[j] ?? 0) + 1
        var seedRNG = RNG(seed: s0.seed, stream: .segmentRun(segment: j))
        s.seed = seedRNG.next()
        s.learningRate = s0.learningRate * pow(settings.lrDecay, Float(j))
        // 0 × growth^j stays 0 however deep (validate checked that growth^j is finite when wd > 0).
        s.weightDecay = s0.weightDecay == 0 ? 0 : s0.weightDecay * pow(settings.wdGrowth, Float(j))
        s.snapshots = false
        s.logLabel = (settings.rounds > 1 ? "round \(round): " : "") + rec.layersName + ": "
        let lowestParameter = net.weightOffset(a - below)
        if let t = trainers[j] {
            trainer = t
            // Layers below and in the segment may have changed since (robin rounds, overlapping segments).
            trainer.withParameters { w in
                net.parameters.withUnsafeBufferPointer { p in
                    w.baseAddress!.update(from: p.baseAddress! + lowestParameter, count: net.endOffset(b) - lowestParameter)
                }
            }
        } else {
            var sub = try net.slice((a - below)...b).stacked(with: try decisionBlock(j, top: b))
            if last { sub = try net.slice((a - below)...k) }
            let top = sub.layers - below - trained
            plans += Array(repeating: LayerPlan(), count: top)
            trainer = try Trainer(model: sub, settings: s, plans: plans)
            // Only random robin comes back to a segment: bottom up, its state
            // (and the thread team of its workspace) goes when the visit ends.
            if settings.rounds > 1 { trainers[j] = trainer }
        }
        // Dropout: on layer a's input, and on the gradient entering layer b.
        let ia = below, ib = below + trained - 1
        func inputRate(_ epoch: Int) -> Float { settings.inputDropout * pow(settings.inputDropoutDecay, Float(epoch - 1)) }
        trainer.plans[ia].maskLayer = a
        trainer.plans[ia].inputDropout = inputRate(s.firstEpoch)
        trainer.plans[ib].maskLayer = b
        trainer.plans[ib].gradientDropout = settings.gradientDropout
        s.layers = trainer.plans
        let hooks = TrainingHooks(afterEpoch: { t, r in
            t.plans[ia].inputDropout = inputRate(r.epoch + 1)
            return .proceed
        })
        let result = try trainEpochs(trainer, on: trainTask, test: testTask, settings: s, hooks: hooks)
        epochsDone[j] = (epochsDone[j] ?? 0) + result.log.count

        // Keep layers a…b (and the output layer, from the last segment).
        let end = last ? net.endOffset(k) : net.endOffset(b)
        let first = net.weightOffset(a)
        let params = trainer.parameters
        let skip = first - lowestParameter
        net.parameters.replaceSubrange(first..<end, with: params[skip..<(skip + end - first)])
        for i in a...(last ? k : b) { version[i - 1] += 1 }

        rec.epochs = result.log.count
        rec.learningRate = decimalDouble(s.learningRate)
        rec.weightDecay = decimalDouble(s.weightDecay)
        if let e = result.log.last {
            rec.trainLoss = e.trainLoss; rec.trainAccuracy = e.trainAccuracy
            rec.testLoss = e.testLoss; rec.testAccuracy = e.testAccuracy
        }
        rec.memory = TrainingMemory(model: trainer.model, plans: trainer.plans, batch: s.batchSize, optimizer: s.optimizer)
        rec.fullBackpropBytes = TrainingMemory.fullBackprop(net, batch: s.batchSize, optimizer: s.optimizer).total
        rec.seconds = monotonicSeconds() - t0
        rec.peakResidentBytes = peakResidentBytes()
        records.append(rec)
        log += result.log
        logVisit += Array(repeating: records.count - 1, count: result.log.count)
        if s.logEpochs { Log.info(segmentSummary(rec, mode: settings.mode)) }
    }
}

/// "layer 2: test accuracy 87.10%, kept 61.3% of rows; memory 1.2 MB = 23.1% of full backprop (5.3 MB); peak RSS 310 MB; 12.3s".
public func segmentSummary(_ r: SegmentRecord, mode: FeedMode) -> String {
    func mb(_ b: Int) -> String { String(format: "%.2f MB", Double(b) / 1e6) }
    var s = r.layersName + ":"
    if let a = r.testAccuracy { s += String(format: " test accuracy %.2f%%", 100 * a) }
    else if let l = r.testLoss { s += String(format: " test loss %.4g", l) }
    else { s += String(format: " train loss %.4g", r.trainLoss) }
    if r.keptFraction < 1 { s += String(format: ", kept %.1f%% of the rows", 100 * r.keptFraction) }
    s += "; memory \(mb(r.memory.total))" + (mode == .feednet ? " with the feednet" : "")
    s += String(format: " = %.1f%% of full backprop (%@)", 100 * r.relativeMemory, mb(r.fullBackpropBytes))
    s += "; peak RSS \(mb(r.peakResidentBytes))" + String(format: "; %.1fs", r.seconds)
    return s
}
