// dl-layerwise's library calls: a data file in, a layer-wise model out — all
// layers in one process, or one layer per call on the features of the layer
// below (a Makefile target per layer), with the features it makes.

/// All segments of `o`'s net on `data` (Th. Algorithms 3 and 4).
public func layerwiseFit(_ data: DataFile, file: String, _ o: FitOptions, _ s: LayerwiseSettings) throws
    -> (model: MLP, record: LayerwiseRecord, metadata: ModelMetadata) {
    guard let trainSplit = data.train else { throw DLError.input("\(file) has no /train split", hint: "make data files with dl-data") }
    let (net, initialization) = try initialNet(o, regression: trainSplit.y == nil)
    let (train, test) = try fitTasks(data, model: net, file: file, o)
    let run = try LayerwiseRun(net: net, train: train, test: test, settings: s, file: file)
    let result = try run.run()
    let record = LayerwiseRecord(settings: s, arch: net.architecture, source: layerwiseSource(data), layer: nil,
                                 result: result, recordTime: o.recordTime)
    return (result.model, record, layerwiseMetadata(trainSplit, o, initialization: initialization, test: test, record))
}

/// Layer i of `o`'s net alone, on `data`: the data itself for i = 1, else the
/// features of layer i − 1 (a step's feature file). Returns layer i (with the
/// output layer when i is the last hidden layer), its record, and the feature
/// file of its output Z_i.
public func layerwiseStep(_ data: DataFile, file: String, layer i: Int, _ o: FitOptions, _ s: LayerwiseSettings) throws
    -> (model: MLP, record: LayerwiseRecord, metadata: ModelMetadata, features: DataFile) {
    guard let trainSplit = data.train else { throw DLError.input("\(file) has no /train split", hint: "make data files with dl-data") }
    let (net, initialization) = try initialNet(o, regression: trainSplit.y == nil)
    guard (1...(net.layers - 1)).contains(i) else {
        throw DLError.usage("--layer \(i) is not a hidden layer of \(net.architecture)", hint: "hidden layers run from 1 to \(net.layers - 1)")
    }
    let have = data.attributes["feature_layer"]?.integer.map { Int($0) } ?? 0
    guard have == i - 1 else {
        throw DLError.input("\(file) holds \(have == 0 ? "data, not features" : "the features of layer \(have)"), but layer \(i) trains on \(i == 1 ? "the data" : "the features of layer \(i - 1)")",
                            hint: i == 1 ? "give the data file" : "give the feature file of step \(i - 1)")
    }
    if i > 1, let model = data.attributes["feature_model"]?.string, model != net.architecture {
        throw DLError.input("\(file) holds features of \(model), not of \(net.architecture)", hint: "use the --arch of the steps below")
    }
    guard s.subnetSize == 1, s.rounds == 1, s.mode == .checkpoint else {
        throw DLError.usage("a step trains one layer on checkpointed features", hint: "segments, rounds and feednets need the whole net: dl-layerwise train")
    }
    // The net's widths from layer i on must fit the features and the labels.
    let upper = try net.slice(i...net.layers)
    let train: LearningTask, test: LearningTask?
    do {
        (train, test) = try fitTasks(data, model: upper, file: file, o)
    } catch let e as DLError where e.kind == .input {
        throw i == 1 ? e : DLError.input("layer \(i): \(e.what)", hint: "re-make the features of layer \(i - 1)")
    }
    let run = try LayerwiseRun(net: net, train: train, test: test, settings: s, file: file,
                               features: (i - 1, train.X, test?.X))
    let part = try run.trainSegment(i - 1)
    let source = layerwiseSource(data)
    let record = LayerwiseRecord(settings: s, arch: net.architecture, source: source, layer: i, result: run.result,
                                 recordTime: o.recordTime)
    let features = try nextFeatures(data, layer: try part.slice(1...1), i, of: net, source: source, file: file,
                                    threads: s.training.threads)
    return (part, record, layerwiseMetadata(trainSplit, o, initialization: initialization, test: test, record), features)
}

/// The feature file of layer i of `net` from the feature file of layer i − 1
/// (or the data): layer i alone over `below`'s X, so a chain of steps and
/// `forEachLayerwiseFeatures` compute the same bits.
func nextFeatures(_ below: DataFile, layer: MLP, _ i: Int, of net: MLP, source: String, file: String, threads: Int) throws -> DataFile {
    var f = try featureData(below, model: layer, layer: 1, file: file, threads: threads)
    f.attributes["feature_layer"] = .integer(Int64(i))
    f.attributes["feature_model"] = .string(net.architecture)
    f.attributes["layerwise_source"] = .string(source)
    return f
}

/// Calls `body` with the feature file of every hidden layer 1…k−1 of a
/// layer-wise net in turn (`--checkpoint-dir`), each from the one below.
public func forEachLayerwiseFeatures(_ data: DataFile, model: MLP, file: String, threads: Int,
                                     _ body: (Int, DataFile) throws -> Void) throws {
    let source = layerwiseSource(data)
    var below = data
    for i in 1..<model.layers {
        below = try nextFeatures(below, layer: try model.slice(i...i), i, of: model, source: source, file: file, threads: threads)
        try body(i, below)
    }
}

/// A stacked net's metadata: the last step's, its epochs those of every step.
public func stackedMetadata(_ last: ModelMetadata, _ record: LayerwiseRecord) -> ModelMetadata {
    var meta = withLayerwiseEpochs(last, record)
    meta.convergenceEpoch = nil
    return meta
}

func layerwiseMetadata(_ trainSplit: Split, _ o: FitOptions, initialization: String, test: LearningTask?,
                       _ record: LayerwiseRecord) -> ModelMetadata {
    withLayerwiseEpochs(fitMetadata(trainSplit, o, initialization: initialization, evaluatedOn: test?.name), record)
}

/// `meta` recording as its epochs the sum over every visit of every segment,
/// and a learning rate or weight decay only when every visit ran at it (with
/// --lr-decay or --wd-growth they differ: each visit's own are in the per-visit log).
func withLayerwiseEpochs(_ meta: ModelMetadata, _ record: LayerwiseRecord) -> ModelMetadata {
    var m = meta
    m.training?.epochs = record.segments.reduce(0) { $0 + $1.epochs }
    if Set(record.segments.map(\.learningRate)).count > 1 { m.training?.learningRate = nil }
    if Set(record.segments.map(\.weightDecay)).count > 1 { m.training?.weightDecay = nil }
    return m
}
