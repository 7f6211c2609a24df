import Foundation

// dl-measure's output: one tidy table for every measure, so results from several
// runs concatenate and load straight into R, pandas or gnuplot.
//   metric  split  layer  param  value
// `layer` 0 is the file's X (the input, or the features of a feature file);
// i ≥ 1 is the output of the model's layer i. Missing cells are NA (null in JSON).

public struct MeasureRow: Equatable, Sendable {
    public var metric: String
    public var split: String?
    public var layer: Int?
    /// The measure's parameter where it has one (k for k-redundancy, M bits for weight entropy).
    public var param: Int?
    public var value: Double

    public init(_ metric: String, split: String? = nil, layer: Int? = nil, param: Int? = nil, value: Double) {
        self.metric = metric
        self.split = split
        self.layer = layer
        self.param = param
        self.value = value
    }
}

public let measureColumns = ["metric", "split", "layer", "param", "value"]

/// A value as text: integers exactly, others with 9 significant digits (enough
/// to tell float32 results apart), NA for NaN.
public func formatMeasureValue(_ v: Double) -> String {
    if v.isNaN { return "NA" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    return formatJSONNumber(v)
}

public func formatTSV(_ rows: [MeasureRow], header: Bool = true) -> String {
    var out = header ? measureColumns.joined(separator: "\t") + "\n" : ""
    for r in rows {
        let cells = [r.metric, r.split ?? "NA", r.layer.map(String.init) ?? "NA",
                     r.param.map(String.init) ?? "NA", formatMeasureValue(r.value)]
        out += cells.joined(separator: "\t") + "\n"
    }
    return out
}

/// The rows as a JSON array of objects with the same keys as the TSV columns.
public func formatJSON(_ rows: [MeasureRow]) -> String {
    jsonObjects(columns: measureColumns, rows: rows.map { r in
        [.text(r.metric), r.split.map { .text($0) } ?? .null, r.layer.map { .number(Double($0)) } ?? .null,
         r.param.map { .number(Double($0)) } ?? .null, .number(r.value)]
    })
}
