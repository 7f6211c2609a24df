import Foundation

/// A readable summary of any dl file: kind, every group and dataset with shape
/// and type, class counts and value ranges of data splits, attributes, history.
public func describe(_ file: H5File, sizeBytes: Int?) throws -> String {
    let kind = try dlKind(of: file).rawValue
    let root = file.root
    var out = "file     \(file.name)"
    if let sizeBytes { out += " (\(formatBytes(sizeBytes)))" }
    out += "\nkind     \(kind)"
    if let v = try root.attribute("dl_format")?.integer { out += " (format \(v))" }
    out += "\n"
    if let s = try root.attribute("source")?.string { out += "source   \(s)\n" }
    let classNames = try root.attribute("class_names")?.stringArray
    for name in try root.attributeNames() where !["dl_kind", "dl_format", "dl_history", "source", "class_names"].contains(name) {
        if let v = try root.attribute(name) {
            out += "\(name.count < 8 ? name.padding(toLength: 8, withPad: " ", startingAt: 0) : name) \(formatAttribute(v))\n"
        }
    }
    out += try describeGroup(root, depth: 0, classNames: classNames)
    let history = try readHistory(file)
    if !history.isEmpty {
        out += "history\n"
        for (i, h) in history.enumerated() { out += "  \(i + 1). \(h)\n" }
    }
    return out
}

private func describeGroup(_ g: H5Group, depth: Int, classNames: [String]?) throws -> String {
    var out = ""
    let pad = String(repeating: "  ", count: depth)
    // Splits first, in train/val/test order; everything else by name.
    let order = { (n: String) in splitNames.firstIndex(of: n) ?? splitNames.count }
    let children = try g.children().sorted { (order($0), $0) < (order($1), $1) }
    for child in children {
        let path = g.path == "/" ? "/" + child : g.path + "/" + child
        switch g.kind(of: child) {
        case .group:
            let sub = try g.openGroup(child)
            var line = "\(pad)\(path)/"
            let attrs = try sub.attributeNames()
            if !attrs.isEmpty {
                line += "  " + (try attrs.compactMap { n in try sub.attribute(n).map { "\(n)=\(formatAttribute($0))" } }).joined(separator: "  ")
            }
            out += line + "\n"
            out += try describeGroup(sub, depth: depth + 1, classNames: classNames)
        case .dataset:
            let info = try g.datasetInfo(child)
            out += "\(pad)\(path)  [\(info.shape.map(String.init).joined(separator: ", "))] \(info.dtype)"
            out += try datasetSummary(g, child, info, classNames: classNames, pad: pad)
            out += "\n"
        default:
            out += "\(pad)\(path)  (other object)\n"
        }
    }
    return out
}

/// Value range of X-like float datasets; class counts of label datasets.
private func datasetSummary(_ g: H5Group, _ name: String, _ info: H5DatasetInfo,
                            classNames: [String]?, pad: String) throws -> String {
    guard info.count > 0 else { return "" }
    if name == "y", info.dtype.hasPrefix("int") || info.dtype.hasPrefix("uint") {
        let labels = try g.read(name, as: Int64.self).values
        // Count what is there (sparse), so no label value can size an allocation.
        var counts: [Int64: Int] = [:]
        for l in labels { counts[l, default: 0] += 1 }
        let declared = try g.attribute("n_classes")?.integer
        var out = declared.map { "  \($0) classes" } ?? "  \(counts.count) distinct labels"
        let outside = counts.keys.filter { l in l < 0 || declared.map { l >= $0 } ?? false }
        let keys = counts.keys.sorted()
        let shown = keys.prefix(50).map { l -> String in
            let label = classNames.flatMap { l >= 0 && l < Int64($0.count) ? " \($0[Int(l)])" : nil } ?? ""
            return "\(l)\(label): \(counts[l]!)"
        }
        out += "\n\(pad)    counts  " + shown.joined(separator: ", ") + (keys.count > 50 ? ", … (\(keys.count - 50) more)" : "")
        if !outside.isEmpty { out += "\n\(pad)    \(outside.count) label values lie outside 0..<n_classes" }
        return out
    }
    if info.dtype.hasPrefix("float") && info.count <= 1 << 28 {
        let v = try g.read(name, as: Float.self).values
        var lo = Float.infinity, hi = -Float.infinity, sum = 0.0, bad = 0
        for x in v {
            if !x.isFinite { bad += 1; continue }
            lo = min(lo, x); hi = max(hi, x); sum += Double(x)
        }
        let n = v.count - bad
        var out = n > 0 ? String(format: "  range [%.4g, %.4g] mean %.4g", lo, hi, sum / Double(n)) : ""
        if bad > 0 { out += "  \(bad) NaN/Inf values" }
        return out
    }
    return ""
}

func formatAttribute(_ v: H5AttributeValue) -> String {
    switch v {
    case .string(let s): return s
    case .strings(let s): return "[" + s.joined(separator: ", ") + "]"
    case .integer(let i): return "\(i)"
    case .integers(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
    // 0.4308, not 0.43079999999999996 (the float64 nearest a computed fraction).
    case .float(let d): return formatJSONNumber(d)
    case .floats(let v): return "[" + v.map(formatJSONNumber).joined(separator: ", ") + "]"
    }
}
