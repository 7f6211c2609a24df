import Foundation

// Packed files (dl_kind = "packed", docs/FORMAT.md): a model whose every W_i and
// b_i went through Th. Algorithm 1. /packed carries /model's attributes as they
// are (the net and its training record) and the compression settings; each
// tensor is a group with its package:
//   /packed/layers/i/{W,b}/stream    uint8 [bytes]   the bitstream, MSB first
//   /packed/layers/i/{W,b}/lengths   uint8 [2^N]     Huffman code lengths (absent: N bits a weight)
//   attributes: shape, wmin, wmax (float32 values), bits (N), entropy (H, NaN when fixed),
//               segments (the stream's parts' byte sizes), crc32 (zlib's CRC-32 of range,
//               shape, N, segments, lengths and stream; PackedTensor.packageCRC)
// `dl-compress -d` (Algorithm 2) turns it back into a model file.

public struct PackedModel {
    public var model: MLP
    public var metadata: ModelMetadata
    /// W_1, b_1, …, W_k, b_k.
    public var tensors: [PackedTensor]
    public var settings: CompressionSettings
}

/// Packs every tensor of `model` (Th. Algorithm 1), each with its own seed for the entropy sample.
public func packModel(_ model: MLP, metadata: ModelMetadata, _ s: CompressionSettings) throws -> PackedModel {
    var tensors: [PackedTensor] = []
    try model.parameters.withUnsafeBufferPointer { w in
        for i in 1...model.layers {
            for (t, (offset, shape)) in [(model.weightOffset(i), [model.widths[i - 1], model.widths[i]]),
                                         (model.biasOffset(i), [model.widths[i]])].enumerated() {
                var si = s
                si.seed = s.seed &+ UInt64(2 * (i - 1) + t)
                do {
                    tensors.append(try packTensor(UnsafeBufferPointer(rebasing: w[offset..<(offset + shape.reduce(1, *))]), shape: shape, si))
                } catch let e as DLError where e.kind == .input {
                    throw e.within("layer \(i) \(t == 0 ? "W" : "b")")
                }
            }
        }
    }
    return PackedModel(model: model, metadata: metadata, tensors: tensors, settings: s)
}

/// The model a packed model decodes to (Th. Algorithm 2).
public func unpackModel(_ p: PackedModel, file: String) throws -> MLP {
    var m = p.model
    let size = m.parameters.count
    var offset = 0
    // A new array, not p.model's copied on write: every weight is decoded into it.
    let values = try [Float](unsafeUninitializedCapacity: size) { w, initialized in
        for (n, t) in p.tensors.enumerated() {
            do {
                let count = try checkPackage(t)
                guard count <= size - offset else { throw DLError.input("more packed weights than the net has") }
                try unpackTensor(t, into: UnsafeMutableBufferPointer(rebasing: w[offset..<(offset + count)]), alreadyChecked: true)
                offset += count
            } catch let e as DLError {
                throw e.within("\(file): layer \(n / 2 + 1) \(n % 2 == 0 ? "W" : "b")")
            }
        }
        guard offset == size else { throw DLError.input("\(file): the packed tensors hold \(offset) of the net's \(size) weights") }
        initialized = size
    }
    m.parameters = values
    return m
}

func compressionAttributes(_ s: CompressionSettings) -> [(String, H5AttributeValue)] {
    var a: [(String, H5AttributeValue)] = [("compress_huffman", .integer(s.huffman ? 1 : 0)), ("compress_max_bits", .integer(Int64(s.maxBits)))]
    if let n = s.fixedBits {
        a.append(("compress_fixed_bits", .integer(Int64(n))))
    } else {
        a += [("compress_sample_fraction", .float(s.sampleFraction)), ("compress_preview_bits", .integer(Int64(s.previewBits))),
              ("compress_floor", .float(s.floor)), ("compress_seed", .integer(Int64(bitPattern: s.seed)))]
    }
    return a
}

/// Writes a packed file into an empty file; `source` is the model file's /model group, whose attributes it keeps.
public func writePackedFile(_ p: PackedModel, modelAttributes source: H5Group, to file: H5File, history: [String], command: String) throws {
    let root = file.root
    try root.setAttribute("dl_kind", DLKind.packed.rawValue)
    try root.setAttribute("dl_format", dlFormatVersion)
    try root.setAttribute("dl_history", history + [command])
    let g = try root.createGroup("packed")
    try source.copyAttributes(to: g)
    for (k, v) in compressionAttributes(p.settings) { try g.setAttribute(k, v) }
    let layers = try g.createGroup("layers")
    for i in 1...p.model.layers {
        let l = try layers.createGroup(String(i))
        for (t, name) in ["W", "b"].enumerated() {
            let tensor = p.tensors[2 * (i - 1) + t]
            let tg = try l.createGroup(name)
            try tg.write("stream", shape: [tensor.stream.count], values: tensor.stream)
            if !tensor.lengths.isEmpty { try tg.write("lengths", shape: [tensor.lengths.count], values: tensor.lengths) }
            try tg.setAttribute("shape", tensor.shape)
            try tg.setAttribute("wmin", Double(tensor.wmin))
            try tg.setAttribute("wmax", Double(tensor.wmax))
            try tg.setAttribute("bits", tensor.bits)
            try tg.setAttribute("entropy", tensor.entropy)
            try tg.setAttribute("segments", tensor.segments)
            try tg.setAttribute("crc32", .integer(Int64(tensor.crc32)))
        }
    }
}

/// Reads a packed file (its structure checked; the streams are checked when decoded).
public func readPackedFile(_ file: H5File) throws -> PackedModel {
    try expectKind(file, [.packed])
    try checkPackedSchema(file)
    let g = try file.root.openGroup("packed")
    let model = try readNetDescription(g, file: file.name)
    let meta = try readModelMetadata(g, file: file.name)
    guard g.kind(of: "layers") == .group else { throw DLError.input("\(file.name): /packed has no layers") }
    let layers = try g.openGroup("layers")
    var tensors: [PackedTensor] = []
    for i in 1...model.layers {
        for (name, shape) in [("W", [model.widths[i - 1], model.widths[i]]), ("b", [model.widths[i]])] {
            let at = "\(file.name): /packed/layers/\(i)/\(name)"
            guard layers.kind(of: String(i)) == .group, try layers.openGroup(String(i)).kind(of: name) == .group else {
                throw DLError.input("\(at) is missing", hint: "re-make the packed file with dl-compress")
            }
            let tg = try layers.openGroup(String(i)).openGroup(name)
            func attr(_ a: String) throws -> H5AttributeValue {
                guard let v = try tg.attribute(a) else {
                    throw DLError.input("\(at) has no \(a) attribute", hint: "re-make the packed file with this dl-compress")
                }
                return v
            }
            guard try attr("shape").integerArray?.map({ Int($0) }) == shape else {
                throw DLError.input("\(at) has shape \(try attr("shape")), but the net's layer \(i) has \(shape)")
            }
            guard let wmin = try attr("wmin").double, let wmax = try attr("wmax").double, let bits = try attr("bits").integer,
                  let crc = try attr("crc32").integer, let crc32 = UInt32(exactly: crc) else {
                throw DLError.input("\(at): wmin, wmax, bits or crc32 is not a number (crc32 a 32-bit one)",
                                    hint: "re-make the packed file with this dl-compress")
            }
            guard let segments = try attr("segments").integerArray?.map({ Int($0) }) else {
                throw DLError.input("\(at): segments is not a list of integers")
            }
            guard tg.kind(of: "stream") == .dataset else { throw DLError.input("\(at) has no stream") }
            let stream = try tg.read("stream", as: UInt8.self).values
            let lengths = tg.kind(of: "lengths") == .dataset ? try tg.read("lengths", as: UInt8.self).values : []
            guard (1...16).contains(bits) else { throw DLError.input("\(at) has N = \(bits) bits, not 1…16", hint: "the packed file is damaged") }
            tensors.append(PackedTensor(shape: shape, wmin: Float(wmin), wmax: Float(wmax), bits: Int(bits),
                                        entropy: try tg.attribute("entropy")?.double ?? .nan, lengths: lengths, stream: stream,
                                        segments: segments, crc32: crc32))
        }
    }
    var s = CompressionSettings()
    s.huffman = try g.attribute("compress_huffman")?.integer != 0
    s.fixedBits = try g.attribute("compress_fixed_bits")?.integer.map { Int($0) }
    return PackedModel(model: model, metadata: meta, tensors: tensors, settings: s)
}

extension PackedTensor {
    /// What the package takes: the stream, the code lengths, and its numbers (range, N, CRC, segment sizes) at 64 bits each.
    public var packageBits: Int { stream.count * 8 + lengths.count * 8 + (4 + segments.count) * 64 }
}

extension PackedModel {
    /// Bits per parameter of all packages together (the report's total package rate).
    public var packageBitsPerParam: Double {
        Double(tensors.reduce(0) { $0 + $1.packageBits }) / Double(max(1, tensors.reduce(0) { $0 + $1.count }))
    }
}

/// One row of the compression report.
public struct CompressionRow: Sendable {
    public var tensor: String
    public var count: Int
    /// N; for the total, the mean N per parameter (the rate before Huffman coding).
    public var bits: Double
    public var entropy: Double
    /// Stream bits per weight (the Huffman-coded rate, or N).
    public var streamBitsPerParam: Double
    /// With the package's header: code lengths and its numbers (range, N, CRC, segment sizes).
    public var packageBitsPerParam: Double
    public var maxError: Double
    public var rmsError: Double
}

/// Per tensor and in total: N, H, bits per parameter, ratio to float32, and the
/// quantization error of decoded against original weights.
public func compressionReport(_ original: MLP, _ p: PackedModel, decoded: MLP) -> [CompressionRow] {
    var rows: [CompressionRow] = []
    var offset = 0
    var total = (count: 0, stream: 0, package: 0, maxErr: 0.0, sq: 0.0, bits: 0.0)
    for (n, t) in p.tensors.enumerated() {
        let c = t.count
        var maxErr = 0.0, sq = 0.0
        for j in offset..<(offset + c) {
            let e = Double(decoded.parameters[j]) - Double(original.parameters[j])
            maxErr = max(maxErr, abs(e)); sq += e * e
        }
        offset += c
        let streamBits = t.stream.count * 8, packageBits = t.packageBits
        rows.append(CompressionRow(tensor: "layers/\(n / 2 + 1)/\(n % 2 == 0 ? "W" : "b")", count: c, bits: Double(t.bits), entropy: t.entropy,
                                   streamBitsPerParam: c > 0 ? Double(streamBits) / Double(c) : 0,
                                   packageBitsPerParam: c > 0 ? Double(packageBits) / Double(c) : 0,
                                   maxError: maxErr, rmsError: c > 0 ? (sq / Double(c)).squareRoot() : 0))
        total.count += c; total.stream += streamBits; total.package += packageBits
        total.maxErr = max(total.maxErr, maxErr); total.sq += sq; total.bits += Double(t.bits * c)
    }
    rows.append(CompressionRow(tensor: "total", count: total.count, bits: total.bits / Double(max(1, total.count)), entropy: .nan,
                               streamBitsPerParam: Double(total.stream) / Double(max(1, total.count)),
                               packageBitsPerParam: Double(total.package) / Double(max(1, total.count)),
                               maxError: total.maxErr, rmsError: (total.sq / Double(max(1, total.count))).squareRoot()))
    return rows
}

/// Loss and accuracy of the original and the decoded model on one split: the
/// report's last columns, on its total row.
public struct CompressionEvaluation: Sendable {
    public var split: String
    public var original: Evaluation
    public var decoded: Evaluation
    public init(split: String, original: Evaluation, decoded: Evaluation) {
        self.split = split
        self.original = original
        self.decoded = decoded
    }
}

/// The report's columns; with an evaluation, its split and the two models' accuracy and loss.
public func compressionColumns(evaluated: Bool) -> [String] {
    ["tensor", "count", "bits", "entropy", "stream_bits_per_param", "package_bits_per_param", "ratio_to_float32", "max_error", "rms_error"]
        + (evaluated ? ["split", "accuracy_original", "accuracy_decoded", "loss_original", "loss_decoded"] : [])
}

func compressionCells(_ rows: [CompressionRow], _ evaluation: CompressionEvaluation?) -> [[JSONCell]] {
    rows.map { r in
        var cells: [JSONCell] = [.text(r.tensor), .number(Double(r.count)), .number(r.bits), .number(r.entropy), .number(r.streamBitsPerParam),
                                 .number(r.packageBitsPerParam), .number(32 / r.packageBitsPerParam), .number(r.maxError), .number(r.rmsError)]
        if let e = evaluation {
            // The models' numbers belong to the whole model: NA on the tensors' rows.
            cells += r.tensor == "total"
                ? [.text(e.split), .number(e.original.accuracy ?? .nan), .number(e.decoded.accuracy ?? .nan),
                   .number(e.original.loss), .number(e.decoded.loss)]
                : [JSONCell](repeating: .null, count: 5)
        }
        return cells
    }
}

/// The report as a tidy TSV (NA for undefined cells), or with `json` a JSON
/// array of objects (null for them). Series give each block its epoch: a first column.
public func compressionReportText(_ blocks: [(epoch: Int?, rows: [CompressionRow])], evaluation: CompressionEvaluation? = nil,
                                  json: Bool = false) -> String {
    let epochs = blocks.contains { $0.epoch != nil }
    let columns = (epochs ? ["epoch"] : []) + compressionColumns(evaluated: evaluation != nil)
    let rows = blocks.flatMap { b in
        compressionCells(b.rows, evaluation).map { (epochs ? [b.epoch.map { .number(Double($0)) } ?? .null] : []) + $0 }
    }
    if json { return jsonObjects(columns: columns, rows: rows) }
    func f(_ c: JSONCell) -> String {
        switch c {
        case .text(let s): return s
        case .number(let x): return x.isNaN ? "NA" : x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(format: "%.6g", x)
        case .null: return "NA"
        }
    }
    var s = columns.joined(separator: "\t") + "\n"
    for r in rows { s += r.map(f).joined(separator: "\t") + "\n" }
    return s
}

