// dl-fit's library call: data file in, model file out (SPEC §4 dl-fit (a)).

public struct FitOptions {
    public var architecture: [Int]
    public var hidden = Activation.relu
    public var head: HeadKind?
    public var alpha: Float?
    public var beta: Float?
    public var initialization: Initialization?
    public var settings = TrainingSettings()
    public var recordTime = false

    public init(architecture: [Int]) { self.architecture = architecture }
}

/// Trains on /train of `data` (evaluating on /test, else /val, each epoch) and
/// returns the result with the metadata the model file records.
public func fit(_ data: DataFile, file: String, _ o: FitOptions) throws -> (TrainingResult, ModelMetadata) {
    guard let trainSplit = data.train else {
        throw DLError.input("\(file) has no /train split", hint: "make data files with dl-data")
    }
    let regression = trainSplit.y == nil
    let kind = o.head ?? (regression ? .linear : .softmax)
    var model = try MLP(widths: o.architecture, hidden: o.hidden, head: OutputHead(kind, alpha: o.alpha, beta: o.beta))
    try checkModelFits(model, trainSplit, file: file)
    let evalSplit = data["test"] ?? data["val"]
    if let evalSplit { try checkModelFits(model, evalSplit, file: file) }
    if !regression, let classes = trainSplit.classes, classes < 2 {
        throw DLError.input("\(file): /train has \(classes) class; classification needs at least 2")
    }
    if let alpha = o.alpha, !(alpha > 0) {
        throw DLError.usage("--alpha must be positive (the GA heads need α > 0)")
    }
    let trainTask = try LearningTask(split: trainSplit, file: file)
    let evalTask = try evalSplit.map { try LearningTask(split: $0, file: file) }
    model.initialize(o.initialization ?? o.hidden.defaultInit, seed: o.settings.seed)
    let result = try train(model, on: trainTask, test: evalTask, settings: o.settings)

    var meta = ModelMetadata()
    meta.task = regression ? "regression" : "classification"
    meta.classes = regression ? nil : trainSplit.classes
    meta.targets = o.settings.targets
    meta.convergenceEpoch = result.convergenceEpoch
    let s = o.settings
    meta.settings = [
        "epochs": .integer(Int64(s.epochs)),
        "batch_size": .integer(Int64(s.batchSize)),
        "lr": .float(decimalDouble(s.learningRate)),
        "momentum": .float(decimalDouble(s.momentum)),
        "weight_decay": .float(decimalDouble(s.weightDecay)),
        "lr_steps": .strings(s.lrSteps.map { "\($0.epoch):\($0.factor)" }),
        "optimizer": .string(s.optimizer.rawValue),
        "init": .string((o.initialization ?? o.hidden.defaultInit).rawValue),
        "seed": .integer(Int64(bitPattern: s.seed)),
        "evaluated_on": .string(evalSplit?.name ?? "none"),
    ]
    return (result, meta)
}

/// Loss and accuracy of a model on every split of a data file, chunks shared
/// over `threads` threads.
public func evaluateModel(_ model: MLP, targets: (Float, Float), on data: DataFile, file: String,
                          threads: Int = 1) throws -> [(split: String, rows: Int, eval: Evaluation)] {
    for split in data.splits { try checkModelFits(model, split, file: file) }
    let tasks = try data.splits.map { try LearningTask(split: $0, file: file) }
    let trainer = Trainer(model: model, maxRows: 2048 * max(1, threads), shards: max(1, threads))
    return withBLASThreads(1) {
        zip(data.splits, tasks).map { ($0.name, $0.rows, trainer.evaluate($1, targets: targets)) }
    }
}
