import ArgumentParser
import Foundation
import Shared

@main
struct DLCompress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-compress",
        abstract: "Compress a model's weights (Th. 3): entropy-sized uniform quantization and canonical Huffman codes; -d decodes.",
        usage: "dl-compress [pack] [OPTIONS] MODEL -o PACKED\n       dl-compress -d PACKED -o MODEL\n       dl-compress series MODEL",
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
            """,
        version: dlVersionReport,
        subcommands: [Pack.self, Series.self],
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
            largest and RMS difference of the decoded weights from the original.
            e.g.:
              dl-compress model.h5 --report compress.tsv -o model.packed.h5
              dl-compress -d model.packed.h5 -o decoded.h5
              dl-compress model.h5 --fixed 8 --no-huffman -o model.q8.h5
            """)

    @Argument(help: ArgumentHelp("The model file, or with -d the packed file ('-' or none = standard input).", valueName: "file"))
    var input = "-"
    @Flag(name: [.customShort("d"), .long], help: "Decode a packed file into a model file (Th. Algorithm 2).") var decompress = false
    @OptionGroup var compression: CompressionOptions
    @Option(help: ArgumentHelp("Write the per-tensor report (N, H, bits per parameter, ratio, error) as TSV to this file.", valueName: "file"))
    var report: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if decompress, report != nil { throw ValidationError("--report describes an encoding: drop it with -d") }
    }
    func run() throws {
        common.apply()
        try common.outputTarget.check()
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
        let t0 = monotonicSeconds()
        let p = try packModel(model, metadata: meta, compression.settings(seed: common.seed))
        let seconds = monotonicSeconds() - t0
        try common.outputTarget.writeHDF5 {
            try writePackedFile(p, modelAttributes: try file.root.openGroup("model"), to: $0, history: try readHistory(file),
                                command: historyEntry())
        }
        // The report's errors need the decoded weights; only it decodes.
        if let report {
            try OutputTarget(report).write(text: compressionTable(compressionReport(model, p, decoded: try unpackModel(p, file: name))))
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
    @OptionGroup var common: CommonOptions

    func run() throws {
        common.apply()
        try common.outputTarget.check(binary: false)
        let file = try openInput(input)
        let epochs = try modelSnapshots(file)
        guard !epochs.isEmpty else {
            throw DLError.input("\(displayName(input)) has no snapshots", hint: "train with dl-fit --snapshots to keep the weights of every epoch")
        }
        let s = compression.settings(seed: common.seed)
        var tsv = ""
        for e in epochs {
            let (model, meta) = try readModelFile(file, snapshot: e)
            let p = try packModel(model, metadata: meta, s)
            let table = compressionTable(compressionReport(model, p, decoded: try unpackModel(p, file: displayName(input))))
            let lines = table.split(separator: "\n")
            if tsv.isEmpty { tsv = "epoch\t" + lines[0] + "\n" }
            for l in lines.dropFirst() { tsv += "\(e)\t" + l + "\n" }
        }
        try common.outputTarget.write(text: tsv)
        Log.info("\(epochs.count) epochs of \(displayName(input)); wrote \(common.outputTarget.name)")
    }
}
