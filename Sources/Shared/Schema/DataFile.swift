import Foundation

// The dl file schema (SPEC §3, docs/FORMAT.md).
//
//   /                  attrs: dl_kind ("data", "model", …), dl_format (1),
//                             dl_history (string array: one command line per tool run),
//                             source, class_names (optional); a feature file also
//                             feature_layer and feature_model (Features.swift)
//   /train, /test, /val  attrs: n_classes (int, classification only), sample_shape (int array)
//     X   float32 [m, d]   one sample per row
//     y   int32   [m]      class index in 0..<n_classes        (classification)
//     Y   float32 [m, k]   targets                              (regression)
//     index int64 [m]      original row of each sample (optional; written by filters)
//     keep  uint8 [m]      1 = kept by a filter run with --mask-only (optional)

public let dlFormatVersion = 1
public let dlVersion = "0.1.0"

/// The splits a data file may hold, in the order tools list them.
public let splitNames = ["train", "val", "test"]

/// One split of a data file: samples and their labels or targets.
/// The largest magnitude a data value may have (Split.checkValues).
public let dataMagnitudeLimit: Float = 1e15

/// The first row holding a value that is not finite or exceeds `limit` in
/// magnitude, with that value.
func firstOutOfRange(_ m: Matrix, limit: Float) -> (row: Int, value: Float)? {
    let c = m.cols
    return m.storage.withUnsafeBufferPointer { p in
        for i in 0..<p.count where !(abs(p[i]) <= limit) { return (c > 0 ? i / c : 0, p[i]) }
        return nil
    }
}

public struct Split: Equatable {
    public var name: String
    public var X: Matrix                 // [m, d]
    public var y: [Int32]?               // [m] class labels
    public var Y: Matrix?                // [m, k] regression targets
    public var index: [Int64]?           // [m] original row numbers
    public var keep: [UInt8]?            // [m] filter keep-mask
    public var classes: Int?             // number of classes (labels lie in 0..<classes)
    public var sampleShape: [Int]        // e.g. [28, 28]; product == d
    /// Other attributes of the split group (e.g. what a filter did), kept as they are.
    public var attributes: [String: H5AttributeValue] = [:]

    public init(name: String, X: Matrix, y: [Int32]? = nil, Y: Matrix? = nil, index: [Int64]? = nil,
                classes: Int? = nil, sampleShape: [Int]? = nil) {
        self.name = name
        self.X = X
        self.y = y
        self.Y = Y
        self.index = index
        self.classes = classes
        self.sampleShape = sampleShape ?? [X.cols]
    }

    public var rows: Int { X.rows }
    public var features: Int { X.cols }

    /// The suite's rule for every reader that computes on data: X and Y hold
    /// finite values of magnitude at most `dataMagnitudeLimit` (past it, float32
    /// squares and sums of squares overflow: a fit, a loss or an LSD of such data
    /// is Inf or NaN without a word). `dl-data info` counts NaN and Inf instead.
    public func checkValues(file: String) throws {
        for (what, m) in [("X", X), ("Y", Y)] {
            guard let m, let (row, v) = firstOutOfRange(m, limit: dataMagnitudeLimit) else { continue }
            if !v.isFinite {
                throw DLError.input("\(file): /\(name)/\(what) has a NaN or Inf value in row \(row)", hint: "clean or re-make the data")
            }
            throw DLError.input("\(file): /\(name)/\(what) has \(v) in row \(row), beyond ±1e15 where float32 products overflow",
                                hint: "standardize it: dl-data cat \(file == "standard input" ? "-" : file) --standardize -o scaled.h5")
        }
    }

    /// Samples per class (classification only).
    public func classCounts() -> [Int] {
        guard let y, let classes else { return [] }
        var counts = [Int](repeating: 0, count: classes)
        for label in y where label >= 0 && Int(label) < classes { counts[Int(label)] += 1 }
        return counts
    }

    /// The rows at `rows`, in that order (labels, targets and indices follow).
    public func selecting(_ rows: [Int]) -> Split {
        var s = self
        s.X = X.gatherRows(rows)
        s.y = y.map { labels in rows.map { labels[$0] } }
        s.Y = Y.map { $0.gatherRows(rows) }
        s.index = index.map { idx in rows.map { idx[$0] } }
        s.keep = keep.map { k in rows.map { k[$0] } }
        return s
    }

    /// Checks internal consistency: shapes, label range, finite values.
    public func validate(in file: String) throws {
        let at = "\(file): /\(name)"
        try X.checkMatrix("\(at)/X")
        if let y {
            guard y.count == rows else { throw DLError.input("\(at)/y has \(y.count) labels for \(rows) rows of X") }
            if let classes, let bad = y.first(where: { $0 < 0 || Int($0) >= classes }) {
                throw DLError.input("\(at)/y has label \(bad) outside 0..<\(classes)")
            }
        }
        if let Y {
            try Y.checkMatrix("\(at)/Y", rows: rows)
        }
        if let index, index.count != rows {
            throw DLError.input("\(at)/index has \(index.count) entries for \(rows) rows of X")
        }
        if let keep, keep.count != rows {
            throw DLError.input("\(at)/keep has \(keep.count) entries for \(rows) rows of X")
        }
        guard checkedElementCount(sampleShape) == features else {
            throw DLError.input("\(at): sample_shape \(sampleShape) does not match \(features) features per row")
        }
    }
}

/// A dl data file: splits plus file-level metadata.
public struct DataFile: Equatable {
    public var splits: [Split]
    public var history: [String]
    public var source: String?
    public var classNames: [String]?
    /// Other root attributes (e.g. what a feature file was made from), kept as they are.
    public var attributes: [String: H5AttributeValue] = [:]

    public init(splits: [Split], history: [String] = [], source: String? = nil, classNames: [String]? = nil) {
        self.splits = splits
        self.history = history
        self.source = source
        self.classNames = classNames
    }

    /// The root attributes every data file has, written and read by name.
    static let ownAttributes: Set<String> = ["dl_kind", "dl_format", "dl_history", "source", "class_names"]

    public subscript(name: String) -> Split? {
        get { splits.first { $0.name == name } }
        set {
            if let i = splits.firstIndex(where: { $0.name == name }) {
                if let newValue { splits[i] = newValue } else { splits.remove(at: i) }
            } else if let newValue {
                splits.append(newValue)
                splits.sort { (splitNames.firstIndex(of: $0.name) ?? 9) < (splitNames.firstIndex(of: $1.name) ?? 9) }
            }
        }
    }

    public var train: Split? { self["train"] }
}

/// The most classes a data file may declare.
public let maxClasses = 1 << 20

/// Reads /SPLIT/y whatever its integer type, rejecting labels outside 0…2³¹−1
/// (HDF5 would clamp them silently when converting to int32).
func readLabels(_ g: H5Group, file: String, split: String) throws -> [Int32] {
    let info = try g.datasetInfo("y")
    guard info.dtype.hasPrefix("int") || info.dtype.hasPrefix("uint") else {
        throw DLError.input("\(file): /\(split)/y holds \(info.dtype) values, not integer class labels")
    }
    if info.dtype == "uint64" {
        let v = try g.read("y", as: UInt64.self).values
        if let bad = v.first(where: { $0 > UInt64(Int32.max) }) {
            throw DLError.input("\(file): /\(split)/y has label \(bad), too large for a class index")
        }
        return v.map { Int32($0) }
    }
    let v = try g.read("y", as: Int64.self).values
    if let bad = v.first(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
        throw DLError.input("\(file): /\(split)/y has label \(bad); labels are class indices 0, 1, …")
    }
    return v.map { Int32($0) }
}

/// Reads the history attribute (empty when absent).
public func readHistory(_ file: H5File) throws -> [String] {
    try file.root.attribute("dl_history")?.stringArray ?? []
}

/// Reads a data file (dl_kind "data", feature files included).
public func readDataFile(_ file: H5File) throws -> DataFile {
    try expectKind(file, [.data])
    let root = file.root
    var splits: [Split] = []
    for name in splitNames where root.kind(of: name) == .group {
        let g = try root.openGroup(name)
        guard g.kind(of: "X") == .dataset else {
            throw DLError.input("\(file.name): /\(name) has no X dataset")
        }
        var X = try g.readTensor("X", as: Float.self)
        if X.rank == 1 { X = try X.reshaped([X.count, 1]) }
        if X.rank > 2 { X = try X.reshaped([X.rows, X.cols]) }
        let y = g.kind(of: "y") == .dataset ? try readLabels(g, file: file.name, split: name) : nil
        var Y = g.kind(of: "Y") == .dataset ? try g.readTensor("Y", as: Float.self) : nil
        if let y1 = Y, y1.rank == 1 { Y = try y1.reshaped([y1.count, 1]) }
        let index = g.kind(of: "index") == .dataset ? try g.read("index", as: Int64.self).values : nil
        var classes = try g.attribute("n_classes")?.integer.map { Int($0) }
        if let c = classes, !(1...maxClasses).contains(c) {
            throw DLError.input("\(file.name): /\(name) has n_classes = \(c), outside 1…\(maxClasses)")
        }
        if classes == nil, let y { classes = Int(y.max() ?? -1) + 1 }
        let shape = try g.attribute("sample_shape")?.integerArray?.map { Int($0) }
        var split = Split(name: name, X: X, y: y, Y: Y, index: index, classes: classes, sampleShape: shape)
        split.keep = g.kind(of: "keep") == .dataset ? try g.read("keep", as: UInt8.self).values : nil
        for a in try g.attributeNames() where a != "n_classes" && a != "sample_shape" {
            split.attributes[a] = try g.attribute(a)
        }
        try split.validate(in: file.name)
        splits.append(split)
    }
    guard !splits.isEmpty else {
        throw DLError.input("\(file.name) holds no data splits (/train, /val or /test)",
                            hint: "make data files with dl-data")
    }
    // Every split holds the same kind of sample.
    let first = splits[0]
    for s in splits.dropFirst() {
        guard s.features == first.features else {
            throw DLError.input("\(file.name): /\(s.name)/X has \(s.features) columns but /\(first.name)/X has \(first.features)")
        }
        guard (s.Y?.cols) == (first.Y?.cols), (s.y == nil) == (first.y == nil) else {
            throw DLError.input("\(file.name): /\(s.name) and /\(first.name) hold different kinds of targets")
        }
    }
    var data = DataFile(splits: splits, history: try readHistory(file),
                        source: try root.attribute("source")?.string,
                        classNames: try root.attribute("class_names")?.stringArray)
    for a in try root.attributeNames() where !DataFile.ownAttributes.contains(a) {
        data.attributes[a] = try root.attribute(a)
    }
    return data
}

/// Writes a data file into an (empty) HDF5 file, appending `command` to its history.
public func writeDataFile(_ data: DataFile, to file: H5File, command: String) throws {
    let root = file.root
    try root.setAttribute("dl_kind", "data")
    try root.setAttribute("dl_format", dlFormatVersion)
    try root.setAttribute("dl_history", data.history + [command])
    if let source = data.source { try root.setAttribute("source", source) }
    if let names = data.classNames { try root.setAttribute("class_names", names) }
    for (k, v) in data.attributes.sorted(by: { $0.key < $1.key }) { try root.setAttribute(k, v) }
    for split in data.splits {
        try split.validate(in: file.name)
        let g = try root.createGroup(split.name)
        try g.write("X", split.X)
        if let y = split.y { try g.write("y", shape: [y.count], values: y) }
        if let Y = split.Y { try g.write("Y", Y) }
        if let index = split.index { try g.write("index", shape: [index.count], values: index) }
        if let keep = split.keep { try g.write("keep", shape: [keep.count], values: keep) }
        for (k, v) in split.attributes.sorted(by: { $0.key < $1.key }) { try g.setAttribute(k, v) }
        if let classes = split.classes { try g.setAttribute("n_classes", classes) }
        try g.setAttribute("sample_shape", split.sampleShape)
    }
}

/// Writes a data file as a tool's whole output.
public func writeDataFile(_ data: DataFile, to target: OutputTarget, command: String) throws {
    try target.writeHDF5 { try writeDataFile(data, to: $0, command: command) }
}

/// Writes a data file to the output (file or standard output) and logs a
/// one-line summary on standard error.
public func emitDataFile(_ data: DataFile, to target: OutputTarget) throws {
    try writeDataFile(data, to: target, command: historyEntry())
    let parts = data.splits.map { "/\($0.name) \($0.rows)×\($0.features)" }
    Log.info("wrote \(parts.joined(separator: ", ")) to \(target.name)")
}

/// The history line a tool appends: its command line (program by base name,
/// arguments shell-quoted) and the toolkit version.
/// Flags that change nothing in an output file are left out (-o, -q, -v, and
/// --threads unless `threadsMatter`), so the same computation gives the same bytes.
public func historyEntry(_ arguments: [String] = CommandLine.arguments, threadsMatter: Bool = false) -> String {
    guard let first = arguments.first else { return "dl \(dlVersion)" }
    let program = first.split(separator: "/").last.map(String.init) ?? first
    var kept: [String] = []
    var rest = arguments.dropFirst()[...]
    let withValue = threadsMatter ? ["-o", "--output"] : ["-o", "--output", "--threads"]
    while let a = rest.popFirst() {
        if ["-q", "--quiet", "-v", "--verbose"].contains(a) { continue }
        if withValue.contains(a) { _ = rest.popFirst(); continue }
        if withValue.contains(where: { a.hasPrefix($0 + "=") }) { continue }
        kept.append(a)
    }
    let args = kept.map(shellQuote)
    return ([program] + args).joined(separator: " ") + "  # dl \(dlVersion)"
}

public func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
