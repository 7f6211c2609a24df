import ArgumentParser
import Foundation
import Shared

@main
struct DLCompress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-compress",
        abstract: "Compress a model's weights (Th. 3): entropy-sized uniform quantization and canonical Huffman codes; -d decodes.",
        usage: "dl-compress [OPTIONS] MODEL -o PACKED\n       dl-compress -d PACKED -o MODEL",
        discussion: """
            Per tensor (each W_i and b_i, Th. Algorithm 1): H = the entropy of a
            2^M-bin histogram of a fraction F of the weights, N = ⌈H + c⌉ bits, every
            weight to the centre of its N-bit bin, a canonical Huffman code over the
            bins. -d (Algorithm 2) writes a model file in dl-fit's format with the
            decoded weights: decode(encode(W)) is quantize(W) bit for bit.
            e.g.:
              dl-compress model.h5 --report compress.tsv -o model.packed.h5
              dl-compress -d model.packed.h5 | dl-fit eval - data.h5
              dl-compress model.h5 --fixed 8 --no-huffman -o model.q8.h5
            """,
        version: dlVersionReport
    )

    @Argument(help: ArgumentHelp("The model file, or with -d the packed file ('-' or none = standard input).", valueName: "file"))
    var input = "-"
    @Flag(name: [.customShort("d"), .long], help: "Decode a packed file into a model file (Th. Algorithm 2).") var decompress = false
    @Option(name: .customShort("F"), help: ArgumentHelp("Fraction of the weights the entropy estimate samples.", valueName: "f"))
    var sampleFraction = 0.03
    @Option(name: .customShort("M"), help: ArgumentHelp("Bits of the preliminary quantization H is measured at.", valueName: "m"))
    var previewBits = 4
    @Option(name: .customShort("c"), help: ArgumentHelp("The floor added to H: N = ⌈H + c⌉ (Th. 3.8: 5; 3.9: 6).", valueName: "c"))
    var floor = 5.0
    @Option(help: ArgumentHelp("The most bits a weight may get.", valueName: "n")) var maxBits = 16
    @Option(help: ArgumentHelp("Quantize every tensor to N bits instead (Th. Figure 3.1).", valueName: "n")) var fixed: Int?
    @Flag(help: "Store the N-bit symbols as they are, without a Huffman code.") var noHuffman = false
    @Option(help: ArgumentHelp("Write the per-tensor report (N, H, bits per parameter, ratio, error) as TSV to this file.", valueName: "file"))
    var report: String?
    @OptionGroup var common: CommonOptions

    static func main() { ToolMain.run(DLCompress.self, tool: "dl-compress") }

    func settings() -> CompressionSettings {
        var s = CompressionSettings()
        s.sampleFraction = sampleFraction
        s.previewBits = previewBits
        s.floor = floor
        s.maxBits = maxBits
        s.fixedBits = fixed
        s.huffman = !noHuffman
        s.seed = common.seed
        return s
    }

    func validate() throws {
        do { try settings().validate() } catch let e as DLError { throw ValidationError(e.description) }
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
        let p = try packModel(model, metadata: meta, settings())
        let seconds = monotonicSeconds() - t0
        let rows = compressionReport(model, p, decoded: try unpackModel(p, file: name))
        try common.outputTarget.writeHDF5 {
            try writePackedFile(p, modelAttributes: try file.root.openGroup("model"), to: $0, history: try readHistory(file),
                                command: historyEntry())
        }
        if let report { try OutputTarget(report).write(text: compressionTable(rows)) }
        let total = rows.last!
        Log.info(String(format: "packed %d weights at %.3f bits each (ratio %.2f to float32) in %.3fs; wrote %@",
                        total.count, total.packageBitsPerParam, 32 / total.packageBitsPerParam, seconds, common.outputTarget.name))
    }
}
