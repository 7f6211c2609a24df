import Foundation

// Layer-wise model files (docs/FORMAT.md): a model file in dl-fit's format, so
// every tool reads the net, plus what the layer-wise run recorded:
//   /model/layerwise       attrs: arch (the whole net), source (the data's
//                          fingerprint), layer (a step file: the layer it
//                          trained), and the run's settings
//   /model/layerwise/<col> one row per visit of a segment (SegmentRecord): round,
//                          segment, first_layer, last_layer, epochs, train_rows,
//                          lr, weight_decay, kept_fraction, train/test loss and
//                          accuracy, the memory columns; seconds and peak_rss
//                          only with --record-time (they change run to run)
//   /model/log/visit       int32 per epoch row: the visit (row above) it belongs to
// A step file holds layer i alone (no head), or layers i…k with the head when i
// is the last hidden layer; `stack` joins them.

/// What identifies the data a layer-wise chain trains on: carried by every
/// feature file a step writes (root attribute layerwise_source), or a hash of
/// the splits (their names, X, labels and targets) of a file without one.
public func layerwiseSource(_ data: DataFile) -> String {
    if let s = data.attributes["layerwise_source"]?.string { return s }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ v: UInt64) { h = (h ^ v) &* 0x0000_0100_0000_01b3 }
    func mix<T>(_ a: [T]) {
        a.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= raw.count { mix(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)); i += 8 }
            while i < raw.count { mix(UInt64(raw[i])); i += 1 }
        }
    }
    for s in data.splits {
        mix(Array(s.name.utf8)); mix(UInt64(s.rows)); mix(UInt64(s.features))
        mix(s.X.storage)
        if let y = s.y { mix(y) }
        if let Y = s.Y { mix(Y.storage) }
    }
    return String(format: "fnv1a64:%016llx", h)
}

/// How the run was set, as attributes of /model/layerwise.
func layerwiseAttributes(_ s: LayerwiseSettings) -> [(String, H5AttributeValue)] {
    var a: [(String, H5AttributeValue)] = [
        ("mode", .string(s.mode.rawValue)), ("subnet_size", .integer(Int64(s.subnetSize))), ("step", .integer(Int64(s.step))),
        ("epochs", .integers(s.epochs.map { Int64($0) })), ("lr_decay", .float(decimalDouble(s.lrDecay))),
        ("wd_growth", .float(decimalDouble(s.wdGrowth))), ("input_dropout", .float(decimalDouble(s.inputDropout))),
        ("input_dropout_decay", .float(decimalDouble(s.inputDropoutDecay))),
        ("grad_dropout", .float(decimalDouble(s.gradientDropout))),
        ("decision", .string(s.decision.isEmpty ? "none" : s.decision.map(String.init).joined(separator: "-"))),
        ("rounds", .integer(Int64(s.rounds))), ("epochs_per_round", .integer(Int64(s.epochsPerRound))),
        ("order", .string(s.order.rawValue)),
    ]
    if let f = s.kfilter { a.append(("kfilter", .string(kFilterSpec(f)))) } else { a.append(("kfilter", .string("none"))) }
    return a
}

/// "k=10,batch=6148,max-fraction=0.6": the --kfilter spec of these settings
/// (its keys are dl-kfilter's flags: -k, --batch, --max-fraction).
public func kFilterSpec(_ f: KFilterSettings) -> String {
    var parts = ["k=\(f.k)"]
    if let b = f.batch { parts.append("batch=\(b)") }
    if let m = f.maxFraction { parts.append("max-fraction=\(m)") }
    return parts.joined(separator: ",")
}

/// Parses a --kfilter spec: k=K[,batch=N][,max-fraction=F].
public func parseKFilterSpec(_ spec: String) throws -> KFilterSettings {
    var f = KFilterSettings()
    var sawK = false
    for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
        let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let bad = DLError.usage("bad --kfilter '\(spec)'", hint: "k=K[,batch=N][,max-fraction=F], e.g. k=10,batch=6148,max-fraction=0.6")
        guard kv.count == 2 else { throw bad }
        switch kv[0] {
        case "k": guard let k = Int(kv[1]), (1...100_000).contains(k) else { throw bad }; f.k = k; sawK = true
        case "batch": guard let b = Int(kv[1]), b >= 2 else { throw bad }; f.batch = b
        case "max-fraction": guard let m = Double(kv[1]), (0...1).contains(m) else { throw bad }; f.maxFraction = m
        default: throw bad
        }
    }
    guard sawK else { throw DLError.usage("bad --kfilter '\(spec)': no k=", hint: "k=K[,batch=N][,max-fraction=F], e.g. k=10,batch=6148,max-fraction=0.6") }
    return f
}

/// A column of the per-visit log: its dataset (int64 or float64) and the field
/// of SegmentRecord it holds, read back by `set` (nil: derived, written only).
struct SegmentColumn {
    let name: String
    let integer: Bool
    let get: (SegmentRecord) -> Double
    let set: ((inout SegmentRecord, Double) -> Void)?

    static func int(_ name: String, _ k: WritableKeyPath<SegmentRecord, Int>) -> SegmentColumn {
        SegmentColumn(name: name, integer: true, get: { Double($0[keyPath: k]) }, set: { $0[keyPath: k] = Int($1) })
    }
    static func float(_ name: String, _ k: WritableKeyPath<SegmentRecord, Double>) -> SegmentColumn {
        SegmentColumn(name: name, integer: false, get: { $0[keyPath: k] }, set: { $0[keyPath: k] = $1 })
    }
    /// NaN in the file for a value not measured.
    static func optional(_ name: String, _ k: WritableKeyPath<SegmentRecord, Double?>) -> SegmentColumn {
        SegmentColumn(name: name, integer: false, get: { $0[keyPath: k] ?? .nan }, set: { $0[keyPath: k] = $1.isNaN ? nil : $1 })
    }
    /// Computed from the other fields: written for readers, not read back.
    static func derived(_ name: String, integer: Bool, _ get: @escaping (SegmentRecord) -> Double) -> SegmentColumn {
        SegmentColumn(name: name, integer: integer, get: get, set: nil)
    }
}

/// The per-visit log's columns, in the order they are written: the integer
/// ones, then the floats; the wall-clock ones only with `recordTime`.
func segmentColumns(recordTime: Bool) -> [SegmentColumn] {
    let ints: [SegmentColumn] = [
        .int("round", \.round), .int("segment", \.segment), .int("first_layer", \.firstLayer), .int("last_layer", \.lastLayer),
        .int("epochs", \.epochs), .int("train_rows", \.trainRows),
        .int("memory_parameters", \.memory.parameters), .int("memory_optimizer", \.memory.optimizerState),
        .int("memory_activations", \.memory.activations), .int("memory_feednet", \.memory.feednet),
        .derived("memory_total", integer: true) { Double($0.memory.total) }, .int("memory_full_backprop", \.fullBackpropBytes), .int("feature_bytes", \.featureBytes),
    ]
    let floats: [SegmentColumn] = [
        .float("lr", \.learningRate), .float("weight_decay", \.weightDecay), .float("kept_fraction", \.keptFraction),
        .float("train_loss", \.trainLoss), .optional("train_accuracy", \.trainAccuracy),
        .optional("test_loss", \.testLoss), .optional("test_accuracy", \.testAccuracy),
        .derived("relative_memory", integer: false) { $0.relativeMemory },
    ]
    return ints + (recordTime ? [.int("peak_rss", \.peakResidentBytes)] : []) + floats
        + (recordTime ? [.float("seconds", \.seconds)] : [])
}

/// What a layer-wise model file records beside the net.
public struct LayerwiseRecord {
    /// The run's settings, as /model/layerwise attributes (layerwiseAttributes).
    public var attributes: [(String, H5AttributeValue)]
    public var arch: String
    public var source: String
    /// A step file's layer (nil: a whole net).
    public var layer: Int?
    public var segments: [SegmentRecord]
    public var log: [EpochRecord]
    public var logVisit: [Int]
    /// Whether the wall-clock columns (seconds, peak RSS) are written.
    public var recordTime: Bool

    public init(settings: LayerwiseSettings, arch: String, source: String, layer: Int?, result: LayerwiseResult, recordTime: Bool) {
        self.init(attributes: layerwiseAttributes(settings), arch: arch, source: source, layer: layer, segments: result.segments,
                  log: result.log, logVisit: result.logVisit, recordTime: recordTime)
    }

    init(attributes: [(String, H5AttributeValue)], arch: String, source: String, layer: Int?, segments: [SegmentRecord],
         log: [EpochRecord], logVisit: [Int], recordTime: Bool) {
        self.attributes = attributes
        self.arch = arch
        self.source = source
        self.layer = layer
        self.segments = segments
        self.log = log
        self.logVisit = logVisit
        self.recordTime = recordTime
    }
}

/// Writes a layer-wise model file into an empty file.
public func writeLayerwiseModel(_ model: MLP, _ r: LayerwiseRecord, metadata: ModelMetadata,
                                to file: H5File, history: [String], command: String) throws {
    let recordTime = r.recordTime
    try writeModelFile(model, log: r.log, metadata: metadata, recordTime: recordTime, to: file, history: history, command: command)
    let m = try file.root.openGroup("model")
    if !r.log.isEmpty { try m.openGroup("log").write("visit", shape: [r.logVisit.count], values: r.logVisit.map { Int32($0) }) }
    let g = try m.createGroup("layerwise")
    try g.setAttribute("arch", r.arch)
    try g.setAttribute("source", r.source)
    if let l = r.layer { try g.setAttribute("layer", l) }
    for (k, v) in r.attributes { try g.setAttribute(k, v) }
    let n = r.segments.count
    for c in segmentColumns(recordTime: recordTime) {
        if c.integer {
            try g.write(c.name, shape: [n], values: r.segments.map { Int64(c.get($0)) })
        } else {
            try g.write(c.name, shape: [n], values: r.segments.map(c.get))
        }
    }
}

/// Reads a model file that dl-layerwise wrote.
public func readLayerwiseModel(_ file: H5File) throws -> (model: MLP, metadata: ModelMetadata, record: LayerwiseRecord) {
    let (model, meta) = try readModelFile(file)
    let m = try file.root.openGroup("model")
    guard m.kind(of: "layerwise") == .group else {
        throw DLError.input("\(file.name) is a model file, but not one dl-layerwise wrote (no /model/layerwise)",
                            hint: "stack joins the files of dl-layerwise step")
    }
    let g = try m.openGroup("layerwise")
    guard let arch = try g.attribute("arch")?.string, let source = try g.attribute("source")?.string else {
        throw DLError.input("\(file.name): /model/layerwise has no arch or source attribute")
    }
    let layer = try g.attribute("layer")?.integer.map { Int($0) }
    let attributes = try g.attributeNames().filter { !["arch", "source", "layer"].contains($0) }.map { ($0, try g.attribute($0)!) }
    guard g.exists("round") else { throw DLError.input("\(file.name): /model/layerwise has no per-visit log") }
    let n = try g.read("round", as: Int64.self).values.count
    var segments = Array(repeating: SegmentRecord(), count: n)
    let recordTime = g.exists("seconds")
    for c in segmentColumns(recordTime: recordTime) {
        guard let set = c.set else { continue }
        let v = !g.exists(c.name) ? nil
            : c.integer ? try g.read(c.name, as: Int64.self).values.map(Double.init) : try g.read(c.name, as: Double.self).values
        guard let v, v.count == n else { throw DLError.input("\(file.name): /model/layerwise/\(c.name) is missing or has the wrong length") }
        for i in 0..<n { set(&segments[i], v[i]) }
    }
    // The epoch log (as writeModelFile wrote it).
    var log: [EpochRecord] = []
    var visit: [Int] = []
    if m.kind(of: "log") == .group {
        let l = try m.openGroup("log")
        let epochs = try l.read("epoch", as: Int32.self).values
        func col(_ name: String) throws -> [Double?] {
            guard l.exists(name) else { return Array(repeating: nil, count: epochs.count) }
            let v = try l.read(name, as: Double.self).values
            guard v.count == epochs.count else { throw DLError.input("\(file.name): /model/log/\(name) has the wrong length") }
            return v.map { $0.isNaN ? nil : $0 }
        }
        let lr = try col("lr"), tl = try col("train_loss"), ta = try col("train_accuracy")
        let vl = try col("test_loss"), va = try col("test_accuracy"), sec = try col("seconds")
        for e in 0..<epochs.count {
            log.append(EpochRecord(epoch: Int(epochs[e]), learningRate: Float(lr[e] ?? 0), trainLoss: tl[e] ?? .nan,
                                   trainAccuracy: ta[e], testLoss: vl[e], testAccuracy: va[e], seconds: sec[e] ?? 0))
        }
        visit = l.exists("visit") ? try l.read("visit", as: Int32.self).values.map { Int($0) } : Array(repeating: 0, count: epochs.count)
        guard visit.count == epochs.count else { throw DLError.input("\(file.name): /model/log/visit has the wrong length") }
    }
    return (model, meta, LayerwiseRecord(attributes: attributes, arch: arch, source: source, layer: layer, segments: segments,
                                         log: log, logVisit: visit, recordTime: recordTime))
}

/// Joins step files (layer 1, 2, …, the last with the output layer) into the
/// whole net, checking that they belong together: one architecture, one source,
/// every layer once and in order, widths that chain.
public func stackLayerwise(_ steps: [(name: String, model: MLP, record: LayerwiseRecord)]) throws -> (MLP, LayerwiseRecord) {
    guard let first = steps.first else { throw DLError.usage("stack needs the step files, layer 1 first") }
    let widths = try parseArchitecture(first.record.arch)
    var net: MLP?
    var segments: [SegmentRecord] = []
    var log: [EpochRecord] = []
    var visit: [Int] = []
    for (n, (name, part, f)) in steps.enumerated() {
        guard let layer = f.layer else { throw DLError.input("\(name) is a whole layer-wise net, not a step file", hint: "stack joins the files of dl-layerwise step") }
        guard f.arch == first.record.arch else {
            throw DLError.input("\(name) is a layer of \(f.arch), but \(first.name) of \(first.record.arch)", hint: "stack the steps of one architecture")
        }
        guard f.source == first.record.source else {
            throw DLError.input("\(name) was trained on other data than \(first.name) (source \(f.source), not \(first.record.source))",
                                hint: "stack the steps of one chain")
        }
        guard layer == n + 1 else {
            throw DLError.input("\(name) holds layer \(layer), but the stack needs layer \(n + 1) there", hint: "give the step files in order, layer 1 first")
        }
        let isLast = n == steps.count - 1
        guard isLast == (part.head != nil) else {
            throw DLError.input(isLast ? "\(name) (layer \(layer)) is not the last layer of \(f.arch): the stack misses layers \(layer + 1)…\(widths.count - 2)"
                                       : "\(name) holds the output layer, but more step files follow it",
                                hint: "give every step file of the chain, in order")
        }
        if let below = net {
            guard below.widths.last == part.widths.first else {
                throw DLError.input("\(name) takes \(part.widths[0]) inputs, but the layers below it give \(below.widths.last!)")
            }
            net = try below.stacked(with: part)
        } else {
            net = part
        }
        visit += f.logVisit.map { $0 + segments.count }
        log += f.log
        segments += f.segments
    }
    guard let whole = net, whole.widths == widths else {
        throw DLError.input("the stacked widths \(net?.architecture ?? "") are not the architecture \(first.record.arch)")
    }
    var out = steps.last!.record
    out.layer = nil
    out.segments = segments
    out.log = log
    out.logVisit = visit
    out.recordTime = steps.allSatisfy { $0.record.recordTime }
    return (whole, out)
}

/// The per-visit log as a tidy table (a row per visit): what `--report` writes,
/// with the file's column names and order (/model/layerwise). Its wall-clock
/// columns are always there, NA where a run did not measure them (a stack).
public func segmentTable(_ segments: [SegmentRecord]) -> String {
    let columns = segmentColumns(recordTime: true)
    var s = columns.map(\.name).joined(separator: "\t") + "\n"
    for r in segments {
        s += columns.map { c -> String in
            let v = c.get(r)
            if v.isNaN || ((c.name == "seconds" || c.name == "peak_rss") && v == 0) { return "NA" }
            if c.integer { return String(Int64(v)) }
            return String(format: c.name == "seconds" ? "%.3f" : "%.6g", v)
        }.joined(separator: "\t") + "\n"
    }
    return s
}
