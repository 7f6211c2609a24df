// dl-fit's library calls: data file in, model file out (SPEC §4 dl-fit (a)), and a
// model's loss and accuracy on a data file.

public struct FitOptions {
    /// The net to train: widths, hidden activation, head. Ignored when training
    /// starts from `initialModel`, whose net it is.
    public var architecture: [Int]
    public var hidden = Activation.relu
    public var head: HeadKind?
    public var alpha: Float?
    public var beta: Float?
    public var initialization: Initialization?
    /// Start from these weights instead of random ones (its widths, activations and head).
    public var initialModel: MLP?
    public var settings = TrainingSettings()
    public var recordTime = false

    public init(architecture: [Int]) { self.architecture = architecture }

    public init(initialModel: MLP) {
        architecture = initialModel.widths
        self.initialModel = initialModel
    }
}

/// Trains on /train of `data` (evaluating on /test, else /val, each epoch) and
/// returns the result with the metadata the model file records.
public func fit(_ data: DataFile, file: String, _ o: FitOptions, hooks: TrainingHooks = TrainingHooks()) throws -> (TrainingResult, ModelMetadata) {
    guard let trainSplit = data.train else {
        throw DLError.input("\(file) has no /train split", hint: "make data files with dl-data")
    }
    let (model, initialization) = try initialNet(o, regression: trainSplit.y == nil)
    let (trainTask, evalTask) = try fitTasks(data, model: model, file: file, o)
    let result = try train(model, on: trainTask, test: evalTask, settings: o.settings, hooks: hooks)
    var meta = fitMetadata(trainSplit, o, initialization: initialization, evaluatedOn: evalTask?.name)
    meta.convergenceEpoch = result.convergenceEpoch
    return (result, meta)
}

/// The net training starts from: the initial model, or the architecture drawn
/// by its initialization from the seed; and the name of that initialization.
public func initialNet(_ o: FitOptions, regression: Bool) throws -> (MLP, String) {
    if let start = o.initialModel {
        guard start.head != nil else {
            throw DLError.usage("the starting model has no output head", hint: "stack a decision layer on it first")
        }
        return (start, "model")
    }
    let kind = o.head ?? (regression ? .linear : .softmax)
    var model = try MLP(widths: o.architecture, hidden: o.hidden, head: OutputHead(kind, alpha: o.alpha, beta: o.beta))
    let scheme = o.initialization ?? o.hidden.defaultInit
    model.initialize(scheme, seed: o.settings.seed)
    return (model, scheme.rawValue)
}

/// /train and the split evaluated after it (/test, else /val) as tasks, checked
/// against the net (`model`'s widths): what every fit of a data file starts from
/// (backprop's `fitTasks`, Platonic Projections' `fitProjection`).
public func learningTasks(_ data: DataFile, model: MLP, file: String) throws -> (train: LearningTask, eval: LearningTask?, classes: Int?) {
    guard let trainSplit = data.train else {
        throw DLError.input("\(file) has no /train split", hint: "make data files with dl-data")
    }
    try checkModelFits(model, trainSplit, file: file)
    let evalSplit = data["test"] ?? data["val"]
    if let evalSplit { try checkModelFits(model, evalSplit, file: file) }
    if trainSplit.y != nil, let classes = trainSplit.classes, classes < 2 {
        throw DLError.input("\(file): /train has \(classes) class; classification needs at least 2")
    }
    return (try LearningTask(split: trainSplit, file: file), try evalSplit.map { try LearningTask(split: $0, file: file) },
            trainSplit.classes)
}

/// `learningTasks` for backprop, with the options' own check.
public func fitTasks(_ data: DataFile, model: MLP, file: String, _ o: FitOptions) throws -> (LearningTask, LearningTask?) {
    if let alpha = o.alpha, !(alpha > 0) {
        throw DLError.usage("--alpha must be positive (the GA heads need α > 0)")
    }
    let t = try learningTasks(data, model: model, file: file)
    return (t.train, t.eval)
}

/// What a model file records of a run with these options on `trainSplit`.
public func fitMetadata(_ trainSplit: Split, _ o: FitOptions, initialization: String, evaluatedOn: String?) -> ModelMetadata {
    let regression = trainSplit.y == nil
    var meta = ModelMetadata()
    meta.task = regression ? .regression : .classification
    meta.classes = regression ? nil : trainSplit.classes
    meta.targets = o.settings.targets
    meta.training = TrainingRecord(o.settings, initialization: initialization, evaluatedOn: evaluatedOn ?? "none")
    return meta
}

/// Loss and accuracy of a model on every split of a data file, chunks shared
/// over `threads` threads.
public func evaluateModel(_ model: MLP, targets: (Float, Float), on data: DataFile, file: String,
                          threads: Int = 1) throws -> [(split: String, rows: Int, eval: Evaluation)] {
    for split in data.splits { try checkModelFits(model, split, file: file) }
    let tasks = try data.splits.map { try LearningTask(split: $0, file: file) }
    let evaluator = try Evaluator(model: model, maxRows: 2048 * max(1, threads), shards: max(1, threads))
    return try withBLASThreads(1) {
        try zip(data.splits, tasks).map { ($0.name, $0.rows, try evaluator.evaluate($1, targets: targets)) }
    }
}
