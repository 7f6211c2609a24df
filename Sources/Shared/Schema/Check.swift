// The structure of a dl file, checked without reading its tensors: which
// groups and datasets it has, their shapes and element types, and the
// attributes that size them (docs/FORMAT.md). `dl-data cat` copies a file as
// stored only after this check, so it never passes on a file the other tools
// would refuse for its shapes.

/// Throws an input error naming the first object of `file` whose shape, type or
/// presence breaks the schema of its kind.
public func checkSchema(_ file: H5File) throws {
    switch try dlKind(of: file) {
    case .data: try checkDataSchema(file)
    case .model: try checkModelSchema(file)
    case .packed: try checkPackedSchema(file)
    case .neurashed: try checkNeurashedSchema(file)
    }
}

func checkNeurashedSchema(_ file: H5File) throws {
    for g in ["graph", "trajectory"] where file.root.kind(of: g) != .group {
        throw DLError.input("\(file.name) has no /\(g) group")
    }
    let graph = try file.root.openGroup("graph"), tr = try file.root.openGroup("trajectory")
    guard let levels = try graph.attribute("levels")?.integerArray, !levels.isEmpty, levels.count <= 1 << 20,
          levels.allSatisfy({ (1...(Int64(1) << 40)).contains($0) }) else {
        throw DLError.input("\(file.name): /graph levels is not a list of positive node counts")
    }
    let nodes = Int(levels.reduce(0, +))
    let edges = try graph.datasetInfo("edge_node").shape
    guard edges.count == 1, try graph.datasetInfo("edge_class").shape == edges else {
        throw DLError.input("\(file.name): /graph/edge_node and edge_class are not lists of one length")
    }
    guard try graph.datasetInfo("node_level").shape == [nodes] else { throw DLError.input("\(file.name): /graph/node_level is not [\(nodes)]") }
    let types = try graph.datasetInfo("type_class").shape
    let classes = try graph.attribute("classes")?.stringArray?.count ?? 0
    let t = try tr.datasetInfo("iteration").shape
    guard t.count == 1, types.count == 1 else { throw DLError.input("\(file.name): /trajectory/iteration or /graph/type_class is not a list") }
    let want: [(String, [Int])] = [("lambda", [t[0], nodes]), ("eta", [t[0], edges[0]]), ("logits", [t[0], types[0], classes]),
                                   ("accuracy", t), ("loss", t)]
    for (name, shape) in want where try tr.datasetInfo(name).shape != shape {
        throw DLError.input("\(file.name): /trajectory/\(name) is not \(shape)")
    }
}

func checkPackedSchema(_ file: H5File) throws {
    guard file.root.kind(of: "packed") == .group else { throw DLError.input("\(file.name) has no /packed group") }
    let g = try file.root.openGroup("packed")
    guard let w = try g.attribute("widths")?.integerArray, w.count >= 2, w.allSatisfy({ $0 >= 1 }) else {
        throw DLError.input("\(file.name): /packed widths is not a list of two or more positive integers")
    }
    guard g.kind(of: "layers") == .group else { throw DLError.input("\(file.name): /packed has no layers") }
    let layers = try g.openGroup("layers")
    for i in 1..<w.count {
        for name in ["W", "b"] {
            let path = "\(i)"
            guard layers.kind(of: path) == .group, try layers.openGroup(path).kind(of: name) == .group else {
                throw DLError.input("\(file.name): /packed/layers/\(i)/\(name) is missing")
            }
            let t = try layers.openGroup(path).openGroup(name)
            for d in ["stream"] + (t.kind(of: "lengths") == .dataset ? ["lengths"] : []) {
                guard t.kind(of: d) == .dataset else { throw DLError.input("\(file.name): \(t.path) has no \(d)") }
                let info = try t.datasetInfo(d)
                guard info.dtype == "uint8", info.shape.count == 1 else {
                    throw DLError.input("\(file.name): \(t.path)/\(d) is \(info.dtype) \(info.shape), expected uint8 [n]")
                }
            }
        }
    }
}

func checkDataSchema(_ file: H5File) throws {
    let root = file.root
    var features: (split: String, cols: Int)?
    var targets: (split: String, kind: String)?
    for name in splitNames where root.kind(of: name) == .group {
        let g = try root.openGroup(name)
        let at = "\(file.name): /\(name)"
        guard g.kind(of: "X") == .dataset else { throw DLError.input("\(at) has no X dataset") }
        let X = try g.datasetInfo("X")
        guard X.dtype.hasPrefix("float"), (1...8).contains(X.shape.count) else {
            throw DLError.input("\(at)/X holds \(X.dtype) values of shape \(X.shape)", hint: "X is float, one sample per row")
        }
        let rows = X.shape[0], cols = X.shape.dropFirst().reduce(1, *)
        func rowsOf(_ d: String, dtype: (String) -> Bool, rank: ClosedRange<Int>, what: String) throws -> H5DatasetInfo? {
            guard g.kind(of: d) == .dataset else { return nil }
            let info = try g.datasetInfo(d)
            guard dtype(info.dtype), rank.contains(info.shape.count), info.shape.first == rows else {
                throw DLError.input("\(at)/\(d) is \(info.dtype) of shape \(info.shape), but \(at)/X has \(rows) rows",
                                    hint: "\(d) holds \(what), one per row of X")
            }
            return info
        }
        let isInt = { (t: String) in t.hasPrefix("int") || t.hasPrefix("uint") }
        let y = try rowsOf("y", dtype: isInt, rank: 1...1, what: "integer class labels")
        let Y = try rowsOf("Y", dtype: { $0.hasPrefix("float") }, rank: 1...2, what: "float targets")
        _ = try rowsOf("index", dtype: isInt, rank: 1...1, what: "original row numbers")
        _ = try rowsOf("keep", dtype: isInt, rank: 1...1, what: "a keep-mask")
        if let c = try g.attribute("n_classes") {
            guard let n = c.integer, (1...Int64(maxClasses)).contains(n) else {
                throw DLError.input("\(at) has n_classes = \(c), not an integer in 1…\(maxClasses)")
            }
        }
        if let s = try g.attribute("sample_shape") {
            guard let shape = s.integerArray, checkedElementCount(shape.map { Int($0) }) == cols else {
                throw DLError.input("\(at): sample_shape \(s) does not match \(cols) features per row")
            }
        }
        if let f = features, f.cols != cols {
            throw DLError.input("\(at)/X has \(cols) columns but /\(f.split)/X has \(f.cols)")
        }
        features = features ?? (name, cols)
        let kind = y != nil ? "y" : Y.map { "Y\($0.shape.count == 1 ? 1 : $0.shape[1])" } ?? "none"
        if let t = targets, t.kind != kind {
            throw DLError.input("\(at) and /\(t.split) hold different kinds of targets")
        }
        targets = targets ?? (name, kind)
    }
    guard features != nil else {
        throw DLError.input("\(file.name) holds no data splits (/train, /val or /test)", hint: "make data files with dl-data")
    }
}

func checkModelSchema(_ file: H5File) throws {
    guard file.root.kind(of: "model") == .group else { throw DLError.input("\(file.name) has no /model group") }
    let g = try file.root.openGroup("model")
    guard let w = try g.attribute("widths")?.integerArray, w.count >= 2, w.allSatisfy({ $0 >= 1 }) else {
        throw DLError.input("\(file.name): /model widths is not a list of two or more positive integers")
    }
    let widths = w.map { Int($0) }
    func checkLayers(_ source: H5Group) throws {
        guard source.kind(of: "layers") == .group else { throw DLError.input("\(file.name): \(source.path) has no layers") }
        let layers = try source.openGroup("layers")
        for i in 1..<widths.count {
            guard layers.kind(of: String(i)) == .group else { throw DLError.input("\(file.name): \(layers.path) has no layer \(i)") }
            let l = try layers.openGroup(String(i))
            for (name, shape) in [("W", [widths[i - 1], widths[i]]), ("b", [widths[i]])] {
                guard l.kind(of: name) == .dataset else { throw DLError.input("\(file.name): \(l.path) has no \(name)") }
                let info = try l.datasetInfo(name)
                guard info.dtype.hasPrefix("float"), info.shape == shape else {
                    throw DLError.input("\(file.name): \(l.path)/\(name) is \(info.dtype) \(info.shape), expected float \(shape)")
                }
            }
        }
    }
    try checkLayers(g)
    if g.kind(of: "snapshots") == .group {
        let snaps = try g.openGroup("snapshots")
        for name in try snaps.children() where snaps.kind(of: name) == .group { try checkLayers(try snaps.openGroup(name)) }
    }
}

/// Appends `command` to the history of a dl file opened for update
/// (openInputForUpdate), after checking its schema: the fast path of `dl-data
/// cat`, which then writes the same file image with one more history line,
/// holding the file in memory once (a copy object by object held it twice).
public func appendHistory(_ file: H5File, command: String) throws {
    try checkSchema(file)
    try file.root.setAttribute("dl_history", try readHistory(file) + [command])
}
