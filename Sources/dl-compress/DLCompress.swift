import ArgumentParser
import Foundation
import Shared

@main
struct DLCompress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-compress",
        abstract: "Compress a model's weights (Th. 3): entropy-sized uniform quantization and canonical Huffman codes; -d decodes.",
        usage: "dl-compress [pack] [OPTIONS] MODEL -o PACKED\n       dl-compress -d PACKED -o MODEL\n       dl-compress series MODEL\n       dl-compress bench MODEL",
        discussion: """
            Per tensor (each W_i and b_i, Th. Algorithm 1): H = the entropy of a
            2^M-bin histogram of a fraction F of the weights, N = ⌈H + c⌉ bits, every
            weight to the centre of its N-bit bin, a canonical Huffman code over the
            bins. -d (Algorithm 2) writes a model file in dl-fit's format with the
            decoded weights: decode(encode(W)) is quantize(W) bit for bit.
            e.g.:
              dl-compress model.h5 --report compress.tsv -o model.packed.h5
              dl-compress -d model.packed.h5 | dl-fit eval - data.h5
              dl-compress series snapshots.h5 -c 6 > bits-per-epoch.tsv
              dl-compress bench model.h5
            """,
        version: dlVersionReport,
        subcommands: [Pack.self, Series.self, Bench.self],
        defaultSubcommand: Pack.self
    )

    static func main() { ToolMain.run(DLCompress.self, tool: "dl-compress") }
}

struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack a model's weights into a packed file, or with -d decode one into a model file.",
        discussion: """
            The report (--report) has a row per tensor and a total: N, H, the stream's
            bits per parameter, with the code tables, the ratio to float32, and the
            largest and RMS difference of the decoded weights from the original; with
            --data, the original's and the decoded model's accuracy and loss on the
            total row; --json writes it as JSON.
            e.g.:
              dl-compress model.h5 --report compress.tsv -o model.packed.h5
              dl-compress model.h5 --report r.json --json --data data.h5 -o model.packed.h5
              dl-compress -d model.packed.h5 -o decoded.h5
              dl-compress model.h5 --fixed 8 --no-huffman -o model.q8.h5
            """)

    @Argument(help: ArgumentHelp("The model file, or with -d the packed file ('-' or none = standard input).", valueName: "file"))
    var input = "-"
    @Flag(name: [.customShort("d"), .long], help: "Decode a packed file into a model file (Th. Algorithm 2).") var decompress = false
    @OptionGroup var compression: CompressionOptions
    @Option(help: ArgumentHelp("Write the per-tensor report (N, H, bits per parameter, ratio, error) as TSV to this file.", valueName: "file"))
    var report: String?
    @Flag(help: "Write a JSON array of objects instead of TSV.") var json = false
    @Option(help: ArgumentHelp("Add the loss and accuracy of the original and the decoded model on this data file to the report.", valueName: "file"))
    var data: String?
    @Option(help: ArgumentHelp("The split of --data to evaluate on (one name).", valueName: "name")) var splits = "test"
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if decompress, report != nil || data != nil || json {
            throw ValidationError("--report, --json and --data describe an encoding: drop them with -d")
        }
        if report == nil, data != nil || json { throw ValidationError("--json and --data shape the report: add --report FILE") }
        if !splitNames.contains(splits) { throw ValidationError("--splits takes one split here: train, val or test (got '\(splits)')") }
    }
    func run() throws {
        try common.start(inputs: [input] + [data].compactMap { $0 }, also: [.text(report, flag: "--report")])
        let file = try openInput(input)
        let name = displayName(input)
        if decompress {
            let p = try readPackedFile(file)
            let model = try unpackModel(p, file: name)
            try common.outputTarget.writeHDF5 {
                try writeModelFile(model, metadata: p.metadata, to: $0, history: try readHistory(file), command: historyEntry())
            }
            Log.info("decoded \(p.tensors.count) tensors of \(model.architecture); wrote \(common.outputTarget.name)")
            return
        }
        let (model, meta) = try readModelFile(file)
        if model.parameters64 != nil {
            Log.warning("\(displayName(input)) has float64 weights (a closed-form fit, dl-fit project): the package codes their float32 rounding, which may be another net (check with --data)")
        }
        // The data first: a missing split fails before anything is packed.
        let evaluationSplit = try data.map { path -> Split in
            let d = try readDataFile(try openInput(path))
            guard let s = d.splits.first(where: { $0.name == splits }) else {
                throw DLError.input("\(displayName(path)) has no split \(splits)", hint: "it has \(d.splits.map(\.name).joined(separator: ", ")); pick one with --splits")
            }
            return s
        }
        let t0 = monotonicSeconds()
        let p = try packModel(model, metadata: meta, compression.settings(seed: common.seed))
        let seconds = monotonicSeconds() - t0
        try common.outputTarget.writeHDF5 {
            try writePackedFile(p, modelAttributes: try file.root.openGroup("model"), to: $0, history: try readHistory(file),
                                command: historyEntry())
        }
        // The report's errors need the decoded weights; only it decodes.
        if let report {
            let decoded = try unpackModel(p, file: name)
            let evaluation = try evaluationSplit.map { s -> CompressionEvaluation in
                let e = try compressionEvaluation(model, decoded: decoded, targets: meta.targets, on: s, file: displayName(data!))
                Log.info(String(format: "%@: accuracy %@ → %@, loss %.6g → %.6g", s.name, e.original.accuracy.map { String(format: "%.4f", $0) } ?? "NA",
                                e.decoded.accuracy.map { String(format: "%.4f", $0) } ?? "NA", e.original.loss, e.decoded.loss))
                return e
            }
            try OutputTarget(report).write(text: compressionReportText([(nil, compressionReport(model, p, decoded: decoded))],
                                                                       evaluation: evaluation, json: json))
        }
        let rate = p.packageBitsPerParam
        Log.info(String(format: "packed %d weights at %.3f bits each (ratio %.2f to float32) in %.3fs; wrote %@",
                        model.parameters.count, rate, 32 / rate, seconds, common.outputTarget.name))
    }
}

struct Series: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bits per parameter after every epoch of a dl-fit --snapshots file (Th. Figure 3.5), as TSV.",
        discussion: """
            A row per epoch and tensor (and a total per epoch): the report's columns
            with the epoch in front. The total rows' bits column is the mean N per
            parameter (the quantized rate); stream_bits_per_param is the Huffman rate.
            e.g.:
              dl-fit data.h5 --arch 784-392-50-10 --snapshots -o snaps.h5
              dl-compress series snaps.h5 > series.tsv
              dl-compress series snaps.h5 -c 6 -o series-c6.tsv
            """)

    @Argument(help: ArgumentHelp("A model file with snapshots ('-' or none = standard input).", valueName: "model"))
    var input = "-"
    @OptionGroup var compression: CompressionOptions
    @Flag(help: "Write a JSON array of objects instead of TSV.") var json = false
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: [input], output: .text)
        let blocks = try compressionSeries(try openInput(input), name: displayName(input), compression.settings(seed: common.seed))
        try common.outputTarget.write(text: compressionReportText(blocks, json: json))
        Log.info("\(blocks.count) epochs of \(displayName(input)); wrote \(common.outputTarget.name)")
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the codec on a model's weights in memory (no file I/O) and print one JSON line.",
        discussion: """
            Packs every W_i and b_i (Algorithm 1: entropy sample, quantization, Huffman
            lengths and code, CRC-32) and decodes them back to float32 (Algorithm 2,
            CRC checked), --repeats times each; prints the best time of each as
            MB/s of float32 input, with the ratio to float32 and the bits per
            parameter of the packages (streams, code lengths and their numbers) and of
            the streams alone: what the zstd peer (zstd_weights.py) prints for zstd.
            e.g.:
              dl-compress bench model.h5
              dl-compress bench model.h5 -c 6 --repeats 20
            """)

    @Argument(help: ArgumentHelp("A model file ('-' or none = standard input).", valueName: "model"))
    var input = "-"
    @OptionGroup var compression: CompressionOptions
    @Option(help: ArgumentHelp("Times to run each of encode and decode; the best is reported.", valueName: "n"))
    var repeats = 5
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }
    func run() throws {
        try common.start(inputs: [input], output: .text)
        let (model, meta) = try readModelFile(try openInput(input))
        let b = try benchmarkCodec(model, metadata: meta, compression.settings(seed: common.seed), repeats: repeats, file: displayName(input))
        try common.outputTarget.write(text: b.json)
    }
}
