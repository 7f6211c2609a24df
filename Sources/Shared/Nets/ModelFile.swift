// Model files (dl_kind = "model", docs/FORMAT.md):
//
//   /model                 attrs: architecture ("784-392-50-10"), widths, hidden, head,
//                                 alpha, beta, targets [lo, hi], task, n_classes,
//                                 convergence_epoch, and the training settings
//   /model/layers/i/W      float32 [d_{i-1}, d_i]   (i = 1 … k, as W_i in the thesis)
//   /model/layers/i/b      float32 [d_i]
//   /model/log/…           float64 [E] per epoch: epoch, lr, train_loss, train_accuracy,
//                                 test_loss, test_accuracy (seconds only with --record-time)
//   /model/snapshots/epoch_E/layers/i/{W,b}   parameters after epoch E (--snapshots)

public struct ModelMetadata: Equatable {
    public var task = "classification"
    public var classes: Int?
    public var targets: (Float, Float) = (0, 1)
    public var convergenceEpoch: Int?
    public var settings: [String: H5AttributeValue] = [:]

    public static func == (a: ModelMetadata, b: ModelMetadata) -> Bool {
        a.task == b.task && a.classes == b.classes && a.targets == b.targets
            && a.convergenceEpoch == b.convergenceEpoch && a.settings == b.settings
    }

    public init() {}
}

func writeLayers(_ model: MLP, parameters: [Float], into g: H5Group) throws {
    let layers = try g.createGroup("layers")
    var m = model
    m.parameters = parameters
    for i in 1...model.layers {
        let l = try layers.createGroup(String(i))
        try l.write("W", m.weight(i))
        try l.write("b", shape: [model.widths[i]], values: m.bias(i))
    }
}

/// Writes a trained model (and its log and snapshots) into an empty file.
public func writeModelFile(_ result: TrainingResult, metadata: ModelMetadata, recordTime: Bool,
                           to file: H5File, history: [String], command: String) throws {
    let root = file.root
    try root.setAttribute("dl_kind", "model")
    try root.setAttribute("dl_format", dlFormatVersion)
    try root.setAttribute("dl_history", history + [command])
    let g = try root.createGroup("model")
    try writeModelAttributes(result.model, metadata, to: g)
    if let c = metadata.convergenceEpoch { try g.setAttribute("convergence_epoch", c) }
    try writeLayers(result.model, parameters: result.model.parameters, into: g)
    let log = try g.createGroup("log")
    let r = result.log
    func column(_ name: String, _ f: (EpochRecord) -> Double?) throws {
        let v = r.map(f)
        if v.allSatisfy({ $0 == nil }) { return }
        try log.write(name, shape: [v.count], values: v.map { $0 ?? .nan })
    }
    try log.write("epoch", shape: [r.count], values: r.map { Int32($0.epoch) })
    try column("lr") { decimalDouble($0.learningRate) }
    try column("train_loss") { $0.trainLoss }
    try column("train_accuracy") { $0.trainAccuracy }
    try column("test_loss") { $0.testLoss }
    try column("test_accuracy") { $0.testAccuracy }
    if recordTime { try column("seconds") { $0.seconds } }
    if !result.snapshots.isEmpty {
        let snaps = try g.createGroup("snapshots")
        for (e, p) in result.snapshots.enumerated() {
            try writeLayers(result.model, parameters: p, into: try snaps.createGroup("epoch_\(e + 1)"))
        }
    }
}

/// A Float as the Double of its shortest decimal form (0.1, not 0.10000000149),
/// so attributes read back as the values the user typed.
public func decimalDouble(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

func writeModelAttributes(_ model: MLP, _ meta: ModelMetadata, to g: H5Group) throws {
    try g.setAttribute("architecture", model.architecture)
    try g.setAttribute("widths", model.widths)
    try g.setAttribute("hidden", model.hidden.rawValue)
    try g.setAttribute("head", model.head.kind.rawValue)
    try g.setAttribute("alpha", decimalDouble(model.head.alpha))
    try g.setAttribute("beta", decimalDouble(model.head.beta))
    try g.setAttribute("targets", .floats([decimalDouble(meta.targets.0), decimalDouble(meta.targets.1)]))
    try g.setAttribute("task", meta.task)
    if let c = meta.classes { try g.setAttribute("n_classes", c) }
    for (k, v) in meta.settings.sorted(by: { $0.key < $1.key }) { try g.setAttribute(k, v) }
}

/// Reads the model of a model file: its final parameters, or those of the
/// snapshot taken after epoch `snapshot` (dl-fit --snapshots).
public func readModelFile(_ file: H5File, snapshot: Int? = nil) throws -> (model: MLP, metadata: ModelMetadata) {
    _ = try checkDLFile(file, kinds: ["model"])
    let g = try file.root.openGroup("model")
    func attr(_ name: String) throws -> H5AttributeValue {
        guard let v = try g.attribute(name) else {
            throw DLError.input("\(file.name): /model has no \(name) attribute", hint: "was it written by dl-fit?")
        }
        return v
    }
    guard let widths = try attr("widths").integerArray?.map({ Int($0) }) else {
        throw DLError.input("\(file.name): /model widths is not a list of integers")
    }
    guard let hiddenName = try attr("hidden").string, let hidden = Activation(rawValue: hiddenName) else {
        throw DLError.input("\(file.name): unknown hidden activation in /model")
    }
    guard let headName = try attr("head").string, let kind = HeadKind(rawValue: headName) else {
        throw DLError.input("\(file.name): unknown output head in /model")
    }
    if let problem = MLP.problem(widths: widths) {
        throw DLError.input("\(file.name): /model widths: \(problem)", hint: "was it written by dl-fit?")
    }
    let head = OutputHead(kind, alpha: Float(try attr("alpha").double ?? 0.1), beta: Float(try attr("beta").double ?? 0))
    guard head.alpha.isFinite, head.beta.isFinite, !(kind == .expGA || kind == .pow3GA) || head.alpha > 0 else {
        throw DLError.input("\(file.name): /model has head \(kind.rawValue) with α = \(head.alpha), β = \(head.beta)",
                            hint: "the GA heads need a finite α > 0")
    }
    var model = try MLP(widths: widths, hidden: hidden, head: head)
    var source = g
    var path = "/model"
    if let snapshot {
        let snaps = g.kind(of: "snapshots") == .group ? try g.openGroup("snapshots") : nil
        guard let snaps, snaps.kind(of: "epoch_\(snapshot)") == .group else {
            let have = try (snaps?.children() ?? []).compactMap { name -> Int? in
                guard name.hasPrefix("epoch_"), snaps?.kind(of: name) == .group else { return nil }
                return Int(name.dropFirst(6))
            }.sorted()
            throw DLError.input("\(file.name) has no snapshot of epoch \(snapshot)",
                                hint: have.isEmpty ? "train with dl-fit --snapshots to keep them"
                                    : "it has epoch\(have.count > 1 ? "s" : "") \(have.map(String.init).joined(separator: ", "))")
        }
        source = try snaps.openGroup("epoch_\(snapshot)")
        path = "/model/snapshots/epoch_\(snapshot)"
    }
    let layers = try source.openGroup("layers")
    for i in 1...model.layers {
        let l = try layers.openGroup(String(i))
        let W = try l.read("W", as: Float.self)
        let b = try l.read("b", as: Float.self)
        guard W.shape == [widths[i - 1], widths[i]], b.shape == [widths[i]] else {
            throw DLError.input("\(file.name): \(path)/layers/\(i) has W \(W.shape) and b \(b.shape), expected [\(widths[i - 1]), \(widths[i])] and [\(widths[i])]")
        }
        model.parameters.replaceSubrange(model.weightOffset(i)..<(model.weightOffset(i) + W.values.count), with: W.values)
        model.parameters.replaceSubrange(model.biasOffset(i)..<(model.biasOffset(i) + b.values.count), with: b.values)
    }
    var meta = ModelMetadata()
    meta.task = try g.attribute("task")?.string ?? "classification"
    meta.classes = try g.attribute("n_classes")?.integer.map { Int($0) }
    if case .floats(let t)? = try g.attribute("targets"), t.count == 2 { meta.targets = (Float(t[0]), Float(t[1])) }
    meta.convergenceEpoch = try g.attribute("convergence_epoch")?.integer.map { Int($0) }
    return (model, meta)
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
