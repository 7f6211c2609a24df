import Foundation

// dl-compress's library calls beyond a pack: the report's evaluation of the
// original and the decoded model, the series over a --snapshots file (Th.
// Figure 3.5), and the codec timed in memory (what `dl-compress bench` prints).

/// The original and the decoded model on one split of a data file: the report's
/// --data columns.
public func compressionEvaluation(_ model: MLP, decoded: MLP, targets: (Float, Float), on split: Split,
                                  file: String) throws -> CompressionEvaluation {
    let data = DataFile(splits: [split])
    let original = try evaluateModel(model, targets: targets, on: data, file: file)[0].eval
    let back = try evaluateModel(decoded, targets: targets, on: data, file: file)[0].eval
    return CompressionEvaluation(split: split.name, original: original, decoded: back)
}

/// Every snapshot of a dl-fit --snapshots file packed and decoded: a report block per epoch.
public func compressionSeries(_ file: H5File, name: String, _ s: CompressionSettings) throws -> [(epoch: Int?, rows: [CompressionRow])] {
    let epochs = try modelSnapshots(file)
    guard !epochs.isEmpty else {
        throw DLError.input("\(name) has no snapshots", hint: "train with dl-fit --snapshots to keep the weights of every epoch")
    }
    return try epochs.map { e in
        let (model, meta) = try readModelFile(file, snapshot: e)
        let p = try packModel(model, metadata: meta, s)
        return (e, compressionReport(model, p, decoded: try unpackModel(p, file: name)))
    }
}

/// The codec's speed on a model's weights in memory, the best of `repeats` runs
/// of each of Algorithm 1 (encode) and 2 (decode), as MB/s of float32 input —
/// how the zstd peer (zstd_weights.py) times zstd — with the packages' size.
public struct CodecBenchmark: Sendable {
    public var parameters: Int
    public var bitsPerParameter: Double
    public var streamBitsPerParameter: Double
    public var compressMBps: Double
    public var decompressMBps: Double

    /// One JSON object on one line, the keys the peer prints.
    public var json: String {
        let cells: [(String, JSONCell)] = [
            ("tool", .text("dl-compress")), ("parameters", .number(Double(parameters))), ("ratio", .number(32 / bitsPerParameter)),
            ("bits_per_parameter", .number(bitsPerParameter)), ("stream_bits_per_parameter", .number(streamBitsPerParameter)),
            ("compress_MBps", .number(compressMBps)), ("decompress_MBps", .number(decompressMBps)),
        ]
        return "{" + cells.map { "\(jsonQuoted($0.0)): \($0.1.rendered)" }.joined(separator: ", ") + "}\n"
    }
}

public func benchmarkCodec(_ model: MLP, metadata: ModelMetadata, _ s: CompressionSettings, repeats: Int,
                           file: String) throws -> CodecBenchmark {
    var packed = try packModel(model, metadata: metadata, s)
    var encode = Double.infinity, decode = Double.infinity
    for _ in 0..<max(1, repeats) {
        let t0 = monotonicSeconds()
        packed = try packModel(model, metadata: metadata, s)
        encode = min(encode, monotonicSeconds() - t0)
        let t1 = monotonicSeconds()
        let decoded = try unpackModel(packed, file: file)
        decode = min(decode, monotonicSeconds() - t1)
        guard decoded.parameters.count == model.parameters.count else { throw DLError.input("the decoded model lost weights") }
    }
    let n = model.parameters.count
    let mb = Double(4 * n) / 1e6
    // A clock too coarse for a tiny model: no division by 0.
    (encode, decode) = (max(encode, 1e-9), max(decode, 1e-9))
    let streamBytes = packed.tensors.reduce(0) { $0 + $1.stream.count }
    return CodecBenchmark(parameters: n, bitsPerParameter: packed.packageBitsPerParam,
                          streamBitsPerParameter: 8 * Double(streamBytes) / Double(max(1, n)),
                          compressMBps: mb / encode, decompressMBps: mb / decode)
}
