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
