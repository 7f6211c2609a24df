import Foundation

// The suite's JSON output (dl-measure --json, dl-compress --json): arrays of flat
// objects, one per table row, keys the TSV's columns, null for NA.

/// A JSON cell: text, a number (null when not finite), or null.
public enum JSONCell: Sendable {
    case text(String)
    case number(Double)
    case null

    var rendered: String {
        switch self {
        case .text(let s): return jsonQuoted(s)
        case .number(let v): return v.isFinite ? formatJSONNumber(v) : "null"
        case .null: return "null"
        }
    }
}

/// Integers exactly, other values with 9 significant digits.
func formatJSONNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%.9g", v)
}

/// `s` as a JSON string literal.
public func jsonQuoted(_ s: String) -> String {
    var o = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": o += "\\\""
        case "\\": o += "\\\\"
        case "\n": o += "\\n"
        case "\t": o += "\\t"
        default:
            if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
        }
    }
    return o + "\""
}

/// Rows as a JSON array of objects, one key per column, one object a line.
public func jsonObjects(columns: [String], rows: [[JSONCell]]) -> String {
    let items = rows.map { r in
        "  {" + zip(columns, r).map { "\(jsonQuoted($0)): \($1.rendered)" }.joined(separator: ", ") + "}"
    }
    return items.isEmpty ? "[]\n" : "[\n" + items.joined(separator: ",\n") + "\n]\n"
}
