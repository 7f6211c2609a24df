import Foundation

// dl-measure's library calls: what it measures, over which splits and layers.

/// A model and/or data, as given on the command line (in either order).
public struct MeasureInputs {
    public var model: MLP?
    public var metadata: ModelMetadata?
    public var modelName: String?
    public var data: DataFile?
    public var dataName: String?

    public init() {}

    /// Reads one or two files and sorts them by their dl_kind (model or data);
    /// `snapshot`: take the model's weights after that epoch.
    public static func load(_ paths: [String], snapshot: Int? = nil) throws -> MeasureInputs {
        guard !paths.isEmpty, paths.count <= 2 else {
            throw DLError.usage("give one or two files (a model, data, or both)")
        }
        if paths.filter({ $0 == "-" }).count > 1 {
            throw DLError.usage("only one of the files can come from standard input")
        }
        var inputs = MeasureInputs()
        for path in paths {
            let file = try openInput(path)
            let name = displayName(path)
            switch try dlKind(of: file) {
            case .model:
                guard inputs.model == nil else { throw DLError.usage("two model files given (\(inputs.modelName!) and \(name))") }
                let (model, meta) = try readModelFile(file, snapshot: snapshot)
                inputs.model = model
                inputs.metadata = meta
                inputs.modelName = name
            case .packed:
                throw DLError.input("\(name) is a packed model", hint: "decode it first: dl-compress -d \(name) -o model.h5")
            case .neurashed:
                throw DLError.input("\(name) is a neurashed run, not a model or data file", hint: "its analyses are dl-neurashed's subcommands")
            case .data:
                guard inputs.data == nil else { throw DLError.usage("two data files given (\(inputs.dataName!) and \(name))") }
                inputs.data = try readDataFile(file)
                inputs.dataName = name
            }
        }
        if snapshot != nil && inputs.model == nil {
            throw DLError.usage("--epoch picks a model snapshot, but no model file was given")
        }
        return inputs
    }

    public func requireModel(for what: String) throws -> MLP {
        guard let model else {
            throw DLError.usage("\(what) needs a model file", hint: what == "rank" ? "e.g. dl-measure rank model.h5"
                                    : "e.g. dl-measure \(what) model.h5 data.h5")
        }
        return model
    }

    /// The splits to measure: `names` (or every split for ["all"]), each cut to its
    /// first `limit` rows and checked against the model and for NaN.
    public func splits(_ names: [String], limit: Int?) throws -> [Split] {
        guard let data, let dataName else {
            throw DLError.usage("this measure needs a data file", hint: "give the data after the model: dl-measure … model.h5 data.h5")
        }
        let chosen: [Split]
        if names == ["all"] {
            chosen = data.splits
        } else {
            var seen = Set<String>()
            chosen = try names.filter { seen.insert($0).inserted }.map { name in
                guard let s = data[name] else {
                    throw DLError.input("\(dataName) has no /\(name) split",
                                        hint: "it has \(data.splits.map { "/" + $0.name }.joined(separator: ", "))")
                }
                return s
            }
        }
        return try chosen.map { full in
            var s = full
            if let limit, limit < s.rows { s = s.selecting(Array(0..<limit)) }
            guard s.rows > 0 else {
                throw DLError.input("\(dataName): /\(s.name) has no rows", hint: "there is nothing to measure")
            }
            if let model {
                try checkModelFits(model, s, file: dataName)
                if metadata?.task == .classification && s.y == nil {
                    throw DLError.input("\(modelName ?? "the model") is a classifier but \(dataName): /\(s.name) has no class labels y",
                                        hint: "measure it on labelled data")
                }
            }
            try s.checkValues(file: dataName)
            return s
        }
    }

    /// The class labels of a split, for the measures that need them, renumbered
    /// 0..<c over the c classes present: a class without samples changes no
    /// measure here, and a file may declare up to 2^20 classes.
    func labels(_ s: Split, for what: String) throws -> (labels: [Int32], classes: Int) {
        guard let y = s.y else {
            throw DLError.input("\(dataName ?? "the data"): /\(s.name) has no class labels y",
                                hint: "\(what) needs class labels")
        }
        var index = [Int32: Int32]()
        for l in Set(y).sorted() { index[l] = Int32(index.count) }
        return (y.map { index[$0]! }, index.count)
    }

    /// Runs `body`, naming the split and layer in any error it throws.
    func within<R>(_ s: Split, layer: Int, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as DLError {
            throw e.within("\(dataName ?? "the data"): /\(s.name) layer \(layer)")
        }
    }

    /// The largest layer index (0 = X).
    public var topLayer: Int { model?.layers ?? 0 }

    func checkLayers(_ layers: Set<Int>?) throws {
        if let layers, let bad = layers.first(where: { $0 > topLayer }) {
            throw DLError.usage("there is no layer \(bad): layers run from 0 (the input) to \(topLayer)",
                                hint: model == nil ? "give a model to measure its layers" : nil)
        }
    }
}

/// LSD(Y, Z_i) per split and layer (Th. eq. 5.3), plus the numerical rank of each Z_i.
public func measureLSD(_ inputs: MeasureInputs, splits: [Split], layers: Set<Int>?, intercept: Bool,
                       rcond: Double? = nil, threads: Int = 1) throws -> [MeasureRow] {
    try inputs.checkLayers(layers)
    var rows: [MeasureRow] = []
    for s in splits {
        let Y: Matrix64
        if s.y != nil {
            let (labels, classes) = try inputs.labels(s, for: "LSD")
            Y = oneHot(labels, classes: classes)
        } else if let targets = s.Y {
            Y = targets.toDouble()
        } else {
            throw DLError.input("\(inputs.dataName ?? "the data"): /\(s.name) has neither labels y nor targets Y",
                                hint: "LSD measures the distance to the targets")
        }
        try forEachRepresentation(of: inputs.model, on: s.X, layers: layers, threads: threads) { r in
            let t0 = monotonicSeconds()
            let result = try inputs.within(s, layer: r.layer) {
                try leastSquaresDistance(r.Z, Y, intercept: intercept, rcond: rcond, threads: threads)
            }
            Log.info(String(format: "/%@ layer %d: LSD %.6f (rank %d of %d) in %.2fs", s.name, r.layer, result.lsd,
                            result.rank, r.Z.cols + (intercept ? 1 : 0), monotonicSeconds() - t0))
            rows.append(MeasureRow("lsd", split: s.name, layer: r.layer, value: result.lsd))
            rows.append(MeasureRow("feature_rank", split: s.name, layer: r.layer, value: Double(result.rank)))
        }
    }
    return rows
}

/// k-redundancy (Th. Def. 8) per split, layer and k: the fraction of samples whose
/// k nearest neighbours in Z_i all share their class.
public func measureRedundancy(_ inputs: MeasureInputs, splits: [Split], layers: Set<Int>?, ks: [Int],
                              settings: KFilterSettings) throws -> [MeasureRow] {
    let threads = settings.knn.threads
    try inputs.checkLayers(layers)
    var rows: [MeasureRow] = []
    let ks = Array(Set(ks)).sorted()
    for s in splits {
        let (labels, _) = try inputs.labels(s, for: "k-redundancy")
        warnSingleSampleClasses(s.y ?? [], split: s.name)  // the file's class numbers, not the renumbered ones
        try forEachRepresentation(of: inputs.model, on: s.X, layers: layers, threads: threads) { r in
            let t0 = monotonicSeconds()
            let progress = Progress("/\(s.name) layer \(r.layer) kNN", total: s.rows, unit: "rows")
            let masks = try inputs.within(s, layer: r.layer) {
                try redundancyMasks(X: r.Z, labels: labels, ks: ks, settings: settings, progress: progress)
            }
            var line = "/\(s.name) layer \(r.layer):"
            for k in ks {
                let fraction = s.rows > 0 ? Double(masks[k]!.lazy.filter { $0 }.count) / Double(s.rows) : 0
                rows.append(MeasureRow("k_redundancy", split: s.name, layer: r.layer, param: k, value: fraction))
                line += String(format: " k=%d %.2f%%", k, 100 * fraction)
            }
            Log.info(line + String(format: " in %.2fs", monotonicSeconds() - t0))
        }
    }
    return rows
}

/// H(Y) and H(Y|Z_i) per split and layer (Th. 5.5.4), with the dead features a
/// layer has; with a model, the entropy of each weight tensor for each bit width.
public func measureEntropy(_ inputs: MeasureInputs, splits: [Split], layers: Set<Int>?, bits: [Int],
                           sampleFraction: Double, seed: UInt64, threads: Int = 1) throws -> [MeasureRow] {
    try inputs.checkLayers(layers)
    var rows: [MeasureRow] = []
    for s in splits {
        let (labels, classes) = try inputs.labels(s, for: "H(Y|Z)")
        var counts = [Int](repeating: 0, count: classes)
        for l in labels { counts[Int(l)] += 1 }
        rows.append(MeasureRow("class_entropy", split: s.name, value: entropyBits(counts)))
        try forEachRepresentation(of: inputs.model, on: s.X, layers: layers, threads: threads, selections: true) { r in
            let selection = r.selection ?? r.Z
            let h = try inputs.within(s, layer: r.layer) {
                try conditionalEntropy(selection, labels: labels, classes: classes, threshold: r.threshold)
            }
            Log.info(String(format: "/%@ layer %d: H(Y|Z) %.4f bits over %d features (%d dead; a feature selects %.1f%% of the samples)",
                            s.name, r.layer, h.mean, selection.cols - h.dead, h.dead, 100 * h.selectedFraction))
            rows.append(MeasureRow("conditional_entropy", split: s.name, layer: r.layer, value: h.mean))
            rows.append(MeasureRow("dead_features", split: s.name, layer: r.layer, value: Double(h.dead)))
        }
    }
    if let model = inputs.model {
        for i in 1...model.layers where layers?.contains(i) ?? true {
            let W = model.weight(i).storage
            for b in bits {
                let h = try weightEntropy(W, bits: b, sampleFraction: sampleFraction, seed: seed &+ UInt64(i))
                rows.append(MeasureRow("weight_entropy", layer: i, param: b, value: h))
            }
        }
    }
    return rows
}

/// The stable rank ‖W‖²_F/‖W‖²₂ of each layer's weights.
public func measureRank(_ model: MLP, layers: Set<Int>?) throws -> [MeasureRow] {
    if let layers, let bad = layers.first(where: { !(1...model.layers).contains($0) }) {
        throw DLError.usage("the model has no weights at layer \(bad): its layers run from 1 to \(model.layers)")
    }
    return try (1...model.layers).filter { layers?.contains($0) ?? true }.map { i in
        MeasureRow("stable_rank", layer: i, value: try stableRank(model.weight(i)))
    }
}

/// Accuracy (classification) and the head's implied loss per split, as dl-fit eval computes them.
public func measureAccuracy(_ inputs: MeasureInputs, splits: [Split], threads: Int) throws -> [MeasureRow] {
    let model = try inputs.requireModel(for: "accuracy")
    let data = DataFile(splits: splits)
    var rows: [MeasureRow] = []
    for r in try evaluateModel(model, targets: inputs.metadata?.targets ?? (0, 1), on: data,
                               file: inputs.dataName ?? "the data", threads: threads) {
        if let a = r.eval.accuracy { rows.append(MeasureRow("accuracy", split: r.split, value: a)) }
        rows.append(MeasureRow("loss", split: r.split, value: r.eval.loss))
    }
    return rows
}
