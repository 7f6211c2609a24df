// Model files (dl_kind = "model", docs/FORMAT.md):
//
//   /model                 attrs: architecture ("784-392-50-10"), widths, hidden, head,
//                                 alpha, beta (with a head), targets [lo, hi], task,
//                                 n_classes, the training record (TrainingRecord),
//                                 convergence_epoch
//   /model/layers/i/W      float32 [d_{i-1}, d_i]   (i = 1 … k, as W_i in the thesis)
//   /model/layers/i/b      float32 [d_i]
//   /model/log/epoch       int32 [E]; and float64 [E] per epoch: lr, train_loss,
//                          train_accuracy, test_loss, test_accuracy (seconds only
//                          with --record-time); no log for a model no run trained
//   /model/snapshots/epoch_E/layers/i/{W,b}   parameters after epoch E (--snapshots)
//
// `hidden` names the activation of every hidden layer, or lists one per hidden
// layer when they differ ("none" when there is none); `head` is an output head,
// or "none" for a stack of hidden layers (then every layer is hidden).

public enum ModelTask: String, Sendable { case classification, regression }

/// What a model file records beside the net.
public struct ModelMetadata: Equatable {
    public var task = ModelTask.classification
    public var classes: Int?
    public var targets: (Float, Float) = (0, 1)
    public var convergenceEpoch: Int?
    /// How the net was trained (nil: not recorded, e.g. a model stacked from others).
    public var training: TrainingRecord?

    public static func == (a: ModelMetadata, b: ModelMetadata) -> Bool {
        a.task == b.task && a.classes == b.classes && a.targets == b.targets
            && a.convergenceEpoch == b.convergenceEpoch && a.training == b.training
    }

    public init() {}
}

/// The training settings a model file records, as attributes of /model.
public struct TrainingRecord: Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    /// nil when no one rate applied (a layer-wise run's decaying rates).
    public var learningRate: Double?
    public var momentum: Double
    public var weightDecay: Double?
    /// "EPOCH:FACTOR" each.
    public var lrSteps: [String]
    public var optimizer: String
    /// he, glorot, or model (weights taken from a model file).
    public var initialization: String
    public var seed: UInt64
    /// The split evaluated after each epoch, or "none".
    public var evaluatedOn: String

    public init(_ s: TrainingSettings, initialization: String, evaluatedOn: String) {
        epochs = s.epochs
        batchSize = s.batchSize
        learningRate = decimalDouble(s.learningRate)
        momentum = decimalDouble(s.momentum)
        weightDecay = decimalDouble(s.weightDecay)
        lrSteps = s.lrSteps.map { "\($0.epoch):\($0.factor)" }
        optimizer = s.optimizer.rawValue
        self.initialization = initialization
        seed = s.seed
        self.evaluatedOn = evaluatedOn
    }

    /// The attributes, in the order they are written (by name); a rate that is
    /// nil is left out.
    var attributes: [(String, H5AttributeValue)] {
        [("batch_size", .integer(Int64(batchSize))), ("epochs", .integer(Int64(epochs))),
         ("evaluated_on", .string(evaluatedOn)), ("init", .string(initialization))]
            + (learningRate.map { [("lr", .float($0))] } ?? [])
            + [("lr_steps", .strings(lrSteps)), ("momentum", .float(momentum)),
               ("optimizer", .string(optimizer)), ("seed", .integer(Int64(bitPattern: seed)))]
            + (weightDecay.map { [("weight_decay", .float($0))] } ?? [])
    }

    /// The record of /model, or nil when it has none.
    init?(_ g: H5Group) throws {
        guard let epochs = try g.attribute("epochs")?.integer, let batch = try g.attribute("batch_size")?.integer else { return nil }
        self.epochs = Int(epochs)
        batchSize = Int(batch)
        learningRate = try g.attribute("lr")?.double
        momentum = try g.attribute("momentum")?.double ?? .nan
        weightDecay = try g.attribute("weight_decay")?.double
        lrSteps = try g.attribute("lr_steps")?.stringArray ?? []
        optimizer = try g.attribute("optimizer")?.string ?? ""
        initialization = try g.attribute("init")?.string ?? ""
        seed = UInt64(bitPattern: try g.attribute("seed")?.integer ?? 0)
        evaluatedOn = try g.attribute("evaluated_on")?.string ?? "none"
    }
}

/// A Float as the Double of its shortest decimal form (0.1, not 0.10000000149),
/// so attributes read back as the values the user typed.
public func decimalDouble(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

// MARK: writing

/// W_i and b_i of every layer: float32, or float64 when `exact` holds the
/// parameters a float64 fit made (MLP.parameters64).
func writeLayers(_ model: MLP, parameters: [Float], exact: [Double]? = nil, into g: H5Group) throws {
    let layers = try g.createGroup("layers")
    var m = model
    m.parameters = parameters
    for i in 1...model.layers {
        let l = try layers.createGroup(String(i))
        let (din, dout) = (model.widths[i - 1], model.widths[i])
        if let exact {
            let w = model.weightOffset(i), b = model.biasOffset(i)
            try l.write("W", shape: [din, dout], values: Array(exact[w..<(w + din * dout)]))
            try l.write("b", shape: [dout], values: Array(exact[b..<(b + dout)]))
        } else {
            try l.write("W", m.weight(i))
            try l.write("b", shape: [dout], values: m.bias(i))
        }
    }
}

func writeModelAttributes(_ model: MLP, _ meta: ModelMetadata, to g: H5Group) throws {
    try g.setAttribute("architecture", model.architecture)
    try g.setAttribute("widths", model.widths)
    let hidden = model.hiddenActivations.map(\.rawValue)
    if let first = hidden.first, hidden.allSatisfy({ $0 == first }) {
        try g.setAttribute("hidden", first)
    } else {
        try g.setAttribute("hidden", hidden.isEmpty ? .string("none") : .strings(hidden))
    }
    try g.setAttribute("head", model.head?.kind.rawValue ?? "none")
    // α and β only where the head has them (Th. 4): exp-GA α; pow3-GA α and β.
    if let head = model.head, head.kind == .expGA || head.kind == .pow3GA {
        try g.setAttribute("alpha", decimalDouble(head.alpha))
        if head.kind == .pow3GA { try g.setAttribute("beta", decimalDouble(head.beta)) }
    }
    try g.setAttribute("targets", .floats([decimalDouble(meta.targets.0), decimalDouble(meta.targets.1)]))
    try g.setAttribute("task", meta.task.rawValue)
    if let c = meta.classes { try g.setAttribute("n_classes", c) }
    for (k, v) in meta.training?.attributes ?? [] { try g.setAttribute(k, v) }
    if let c = meta.convergenceEpoch { try g.setAttribute("convergence_epoch", c) }
}

/// Writes a model (its training log and snapshots, if any) into an empty file.
public func writeModelFile(_ model: MLP, log: [EpochRecord] = [], snapshots: [[Float]] = [], metadata: ModelMetadata,
                           recordTime: Bool = false, to file: H5File, history: [String], command: String) throws {
    let root = file.root
    try root.setAttribute("dl_kind", DLKind.model.rawValue)
    try root.setAttribute("dl_format", dlFormatVersion)
    try root.setAttribute("dl_history", history + [command])
    let g = try root.createGroup("model")
    try writeModelAttributes(model, metadata, to: g)
    try writeLayers(model, parameters: model.parameters, exact: model.parameters64, into: g)
    if !log.isEmpty {
        let group = try g.createGroup("log")
        func column(_ name: String, _ f: (EpochRecord) -> Double?) throws {
            let v = log.map(f)
            if v.allSatisfy({ $0 == nil }) { return }
            try group.write(name, shape: [v.count], values: v.map { $0 ?? .nan })
        }
        try group.write("epoch", shape: [log.count], values: log.map { Int32($0.epoch) })
        try column("lr") { decimalDouble($0.learningRate) }
        try column("train_loss") { $0.trainLoss }
        try column("train_accuracy") { $0.trainAccuracy }
        try column("test_loss") { $0.testLoss }
        try column("test_accuracy") { $0.testAccuracy }
        if recordTime { try column("seconds") { $0.seconds } }
    }
    if !snapshots.isEmpty {
        let snaps = try g.createGroup("snapshots")
        for (e, p) in zip(log.map(\.epoch), snapshots) {
            try writeLayers(model, parameters: p, into: try snaps.createGroup("epoch_\(e)"))
        }
    }
}

/// Writes a trained model with its log and snapshots.
public func writeModelFile(_ result: TrainingResult, metadata: ModelMetadata, recordTime: Bool,
                           to file: H5File, history: [String], command: String) throws {
    try writeModelFile(result.model, log: result.log, snapshots: result.snapshots, metadata: metadata,
                       recordTime: recordTime, to: file, history: history, command: command)
}

// MARK: reading

/// The net /model describes (widths, activations, head), its parameters zero.
func readNetDescription(_ g: H5Group, file: String) throws -> MLP {
    func attr(_ name: String) throws -> H5AttributeValue {
        guard let v = try g.attribute(name) else {
            throw DLError.input("\(file): /model has no \(name) attribute", hint: "was it written by dl-fit?")
        }
        return v
    }
    guard let widths = try attr("widths").integerArray?.map({ Int($0) }) else {
        throw DLError.input("\(file): /model widths is not a list of integers")
    }
    if let problem = MLP.problem(widths: widths) {
        throw DLError.input("\(file): /model widths: \(problem)", hint: "was it written by dl-fit?")
    }
    guard let headName = try attr("head").string, headName == "none" || HeadKind(rawValue: headName) != nil else {
        throw DLError.input("\(file): unknown output head in /model")
    }
    var head: OutputHead?
    if let kind = HeadKind(rawValue: headName) {
        // A head without α or β (softmax, linear, …) has none in the file.
        let alpha = try kind == .expGA || kind == .pow3GA ? attr("alpha").double.map(Float.init) : nil
        let beta = try kind == .pow3GA ? attr("beta").double.map(Float.init) : nil
        let h = OutputHead(kind, alpha: alpha, beta: beta)
        guard h.alpha.isFinite, h.beta.isFinite, !(kind == .expGA || kind == .pow3GA) || h.alpha > 0 else {
            throw DLError.input("\(file): /model has head \(kind.rawValue) with α = \(h.alpha), β = \(h.beta)",
                                hint: "the GA heads need a finite α > 0")
        }
        head = h
    }
    let hiddenCount = widths.count - 1 - (head == nil ? 0 : 1)
    let names: [String]
    switch try attr("hidden") {
    case .string(let s): names = Array(repeating: s, count: hiddenCount)
    case .strings(let v) where v.count == hiddenCount: names = v
    default: throw DLError.input("\(file): /model hidden must name one activation or list \(hiddenCount)")
    }
    let hidden = try names.map { name -> Activation in
        guard let a = Activation(rawValue: name) else { throw DLError.input("\(file): unknown hidden activation '\(name)' in /model") }
        return a
    }
    return try MLP(widths: widths, activations: hidden + (head == nil ? [] : [.linear]), head: head)
}

/// Reads W_i and b_i of every layer from `source` (/model or a snapshot) into `model`.
func readLayers(_ source: H5Group, into model: inout MLP, file: String) throws {
    let layers = try source.openGroup("layers")
    let widths = model.widths
    for i in 1...model.layers {
        let l = try layers.openGroup(String(i))
        let W = try l.read("W", as: Float.self)
        let b = try l.read("b", as: Float.self)
        guard W.shape == [widths[i - 1], widths[i]], b.shape == [widths[i]] else {
            throw DLError.input("\(file): \(source.path)/layers/\(i) has W \(W.shape) and b \(b.shape), expected [\(widths[i - 1]), \(widths[i])] and [\(widths[i])]")
        }
        model.parameters.replaceSubrange(model.weightOffset(i)..<(model.weightOffset(i) + W.values.count), with: W.values)
        model.parameters.replaceSubrange(model.biasOffset(i)..<(model.biasOffset(i) + b.values.count), with: b.values)
    }
    // A float64 fit's weights (dl-fit project --precision 64) are kept exact: every
    // layer float64, or the model reads as float32.
    let exact = try (1...model.layers).allSatisfy { i in
        let l = try layers.openGroup(String(i))
        return try l.datasetInfo("W").dtype == "float64" && l.datasetInfo("b").dtype == "float64"
    }
    guard exact else {
        try checkFiniteParameters(model.parameters, model, source: source.path, file: file)
        return
    }
    var p64 = [Double](repeating: 0, count: model.parameters.count)
    for i in 1...model.layers {
        let l = try layers.openGroup(String(i))
        let W = try l.read("W", as: Double.self).values, b = try l.read("b", as: Double.self).values
        p64.replaceSubrange(model.weightOffset(i)..<(model.weightOffset(i) + W.count), with: W)
        p64.replaceSubrange(model.biasOffset(i)..<(model.biasOffset(i) + b.count), with: b)
    }
    try checkFiniteParameters(p64, model, source: source.path, file: file)
    model.parameters64 = p64
}

/// The suite's rule for every reader of a model: no NaN or Inf weight (a
/// diverged run's model would print nan losses and pack nothing).
func checkFiniteParameters<T: BinaryFloatingPoint>(_ p: [T], _ model: MLP, source: String, file: String) throws {
    guard let k = p.firstIndex(where: { !$0.isFinite }) else { return }
    let i = (1...model.layers).last { model.weightOffset($0) <= k } ?? 1
    let which = k >= model.biasOffset(i) ? "b" : "W"
    throw DLError.input("\(file): \(source)/layers/\(i)/\(which) has a NaN or Inf value", hint: "did its training diverge?")
}

func readModelMetadata(_ g: H5Group, file: String) throws -> ModelMetadata {
    var meta = ModelMetadata()
    if let task = try g.attribute("task")?.string {
        guard let t = ModelTask(rawValue: task) else { throw DLError.input("\(file): /model has unknown task '\(task)'") }
        meta.task = t
    }
    meta.classes = try g.attribute("n_classes")?.integer.map { Int($0) }
    if case .floats(let t)? = try g.attribute("targets"), t.count == 2 { meta.targets = (Float(t[0]), Float(t[1])) }
    meta.convergenceEpoch = try g.attribute("convergence_epoch")?.integer.map { Int($0) }
    meta.training = try TrainingRecord(g)
    return meta
}

/// The epochs a model file holds snapshots of (dl-fit --snapshots), in order.
public func modelSnapshots(_ file: H5File) throws -> [Int] {
    try expectKind(file, [.model])
    let g = try file.root.openGroup("model")
    guard g.kind(of: "snapshots") == .group else { return [] }
    let snaps = try g.openGroup("snapshots")
    return try snaps.children().compactMap { name -> Int? in
        guard name.hasPrefix("epoch_"), snaps.kind(of: name) == .group else { return nil }
        return Int(name.dropFirst(6))
    }.sorted()
}

/// A model file's widths, from /model's attributes alone (no weights read).
public func modelWidths(_ file: H5File) throws -> [Int] {
    try expectKind(file, [.model])
    return try readNetDescription(try file.root.openGroup("model"), file: file.name).widths
}

/// Reads the model of a model file: its final parameters, or those of the
/// snapshot taken after epoch `snapshot` (dl-fit --snapshots).
public func readModelFile(_ file: H5File, snapshot: Int? = nil) throws -> (model: MLP, metadata: ModelMetadata) {
    try expectKind(file, [.model])
    let g = try file.root.openGroup("model")
    var model = try readNetDescription(g, file: file.name)
    var source = g
    if let snapshot {
        let have = try modelSnapshots(file)
        guard have.contains(snapshot) else {
            throw DLError.input("\(file.name) has no snapshot of epoch \(snapshot)",
                                hint: have.isEmpty ? "train with dl-fit --snapshots to keep them"
                                    : "it has epoch\(have.count > 1 ? "s" : "") \(have.map(String.init).joined(separator: ", "))")
        }
        source = try g.openGroup("snapshots").openGroup("epoch_\(snapshot)")
    }
    try readLayers(source, into: &model, file: file.name)
    return (model, try readModelMetadata(g, file: file.name))
}

/// Checks that a model fits a data split: input width, and output width against
/// the classes or the targets.
public func checkModelFits(_ model: MLP, _ split: Split, file: String) throws {
    guard model.widths[0] == split.features else {
        throw DLError.input("the model takes \(model.widths[0]) inputs but \(file): /\(split.name)/X has \(split.features) columns",
                            hint: "the architecture's first width must match the data")
    }
    let K = model.widths.last!
    if let Y = split.Y, split.y == nil {
        guard Y.cols == K else {
            throw DLError.input("the model has \(K) outputs but \(file): /\(split.name)/Y has \(Y.cols) columns")
        }
    } else if let classes = split.classes {
        guard K == classes else {
            throw DLError.input("the model has \(K) outputs but \(file): /\(split.name) has \(classes) class\(classes == 1 ? "" : "es")",
                                hint: "the architecture's last width must be the number of classes")
        }
    }
}

/// A model file's training log (/model/log) as a tidy TSV, a row per epoch
/// record: `epoch`, then the log's other [E] columns (dl-fit's in their order,
/// any others by name), and for `dl-fit --quantize` the mean N per parameter
/// (`quantize_mean_bits`, from `quantize_bits` weighted by the tensors' sizes).
/// NaN cells (a column an epoch has no value for) are NA.
public func trainingLogTable(_ file: H5File) throws -> String {
    let (model, _) = try readModelFile(file)
    guard try file.root.openGroup("model").kind(of: "log") == .group else {
        throw DLError.input("\(file.name) has no training log", hint: "only a model a run trained has one (dl-fit, dl-layerwise)")
    }
    let g = try file.root.openGroup("model").openGroup("log")
    // A row per epoch, or per layer for a closed-form fit (dl-fit project).
    let index = g.kind(of: "epoch") == .dataset ? "epoch" : "layer"
    let epochs = try g.read(index, as: Int32.self)
    let E = epochs.values.count
    guard epochs.shape == [E] else { throw DLError.input("\(file.name): /model/log/\(index) is not a list") }
    let known = ["visit", "lr", "width", "try", "lsd", "mse", "train_loss", "train_accuracy", "test_loss", "test_mse", "test_accuracy",
                 "seconds", "quantize_total_bits_per_param"]
    var names: [String] = []
    // Numeric [E] datasets only: others (a future text column, a table) are not epoch columns.
    for name in try g.children().sorted() where name != index && g.kind(of: name) == .dataset {
        if let v = try? g.read(name, as: Double.self), v.shape == [E] { names.append(name) }
    }
    names.sort { (known.firstIndex(of: $0) ?? known.count, $0) < (known.firstIndex(of: $1) ?? known.count, $1) }
    var columns = try names.map { try g.read($0, as: Double.self).values }
    if g.kind(of: "quantize_bits") == .dataset {
        let q = try g.read("quantize_bits", as: Double.self)
        let sizes = (1...model.layers).flatMap { [model.widths[$0 - 1] * model.widths[$0], model.widths[$0]] }
        guard q.shape == [E, sizes.count] else {
            throw DLError.input("\(file.name): /model/log/quantize_bits has shape \(q.shape), not [\(E), \(sizes.count)]")
        }
        let total = Double(sizes.reduce(0, +))
        names.append("quantize_mean_bits")
        columns.append((0..<E).map { e in zip(q.values[(e * sizes.count)...], sizes).reduce(0) { $0 + $1.0 * Double($1.1) } / total })
    }
    var s = ([index] + names).joined(separator: "\t") + "\n"
    for e in 0..<E {
        s += ([String(epochs.values[e])] + columns.map { $0[e].isNaN ? "NA" : String(format: "%.9g", $0[e]) }).joined(separator: "\t") + "\n"
    }
    return s
}
