import ArgumentParser
import Foundation
import Shared

@main
struct DLLayerwise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-layerwise",
        abstract: "Deep layer-wise learning (Th. 6): train an MLP a layer (or a segment) at a time under a temporary decision layer.",
        usage: "dl-layerwise [train] --arch WIDTHS [OPTIONS] [DATA]\n       dl-layerwise step --arch WIDTHS --layer I [OPTIONS] DATA --features FILE\n       dl-layerwise stack STEP...",
        discussion: """
            Writes one model file in dl-fit's format (dl-fit eval, dl-measure and
            every tool that reads models read it), the per-layer log under
            /model/layerwise.
            e.g.:
              dl-data fashion-mnist | dl-layerwise --arch 784-392-196-50-10 -o dll.h5
              dl-layerwise step --arch 784-392-50-10 --layer 1 data.h5 \\
                --features z1.h5 -o layer-1.h5
              dl-layerwise stack layer-1.h5 layer-2.h5 -o model.h5
            """,
        version: dlVersionReport,
        subcommands: [Train.self, Step.self, Stack.self],
        defaultSubcommand: Train.self
    )

    static func main() { ToolMain.run(DLLayerwise.self, tool: "dl-layerwise") }
}

/// Writes `--report`'s table, when asked for.
func writeReport(_ path: String?, _ record: LayerwiseRecord) throws {
    guard let path else { return }
    try OutputTarget(path).write(text: segmentTable(record.segments))
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every layer of a net, bottom up (Th. Algorithm 3) or in random-robin rounds (Algorithm 4).",
        discussion: """
            Subnet j (layers a…b, a decision layer or block on top) trains with lr ×
            lr-decay^j and wd × wd-growth^j; the last subnet's decision layer is the
            net's output layer. A line per epoch and per subnet goes to standard error.
            e.g.:
              dl-layerwise data.h5 --arch 784-392-196-50-10 --epochs 30,40,50 -o m.h5
              dl-layerwise data.h5 --arch 784-64-64-64-10 --rounds 5 --epochs-per-round 2 \\
                --order random --decision 128 --grad-dropout 0.3 -o robin.h5
              dl-layerwise data.h5 --arch 784-392-196-50-10 --mode feednet \\
                --kfilter k=10,batch=6148,max-fraction=0.6 --report layers.tsv -o m.h5
            """)

    @Argument(help: ArgumentHelp("The data file ('-' or none = standard input).", valueName: "data"))
    var input = "-"
    @OptionGroup var training: TrainingOptions
    @OptionGroup var start: InitFromOption
    @OptionGroup var layerwise: LayerwiseOptions
    @Option(help: ArgumentHelp("Layers trained at a time (Th. 6.5's segments).", valueName: "s")) var subnetSize = 1
    @Option(help: ArgumentHelp("Segments start every n layers (overlap: subnet size − n; default 1).", valueName: "n")) var stride: Int?
    @Option(help: "checkpoint: train on each layer's features, computed once; feednet: mini-batches of the data through the frozen layers below.")
    var mode = FeedMode.checkpoint
    @Option(help: ArgumentHelp("Random-robin rounds (Th. Algorithm 4): every segment trains --epochs-per-round epochs each round.", valueName: "r"))
    var rounds: Int?
    @Option(help: ArgumentHelp("Epochs of a segment in each round.", valueName: "e")) var epochsPerRound: Int?
    @Option(help: "The order of the segments in each round.") var order = RobinOrder.sequential
    @Option(help: ArgumentHelp("Also write each hidden layer's features as DIR/layer-I.h5 (data files).", valueName: "dir"))
    var checkpointDir: String?
    @Option(help: ArgumentHelp("Write the per-subnet log (accuracy, memory against full backprop, time) as TSV to this file.", valueName: "file"))
    var report: String?
    @OptionGroup var common: CommonOptions

    /// The files --checkpoint-dir gets: layer-I.h5 for every hidden layer of
    /// --arch, or of the --init-from model (read here for its widths; from
    /// standard input it cannot be read twice, and the write itself refuses an input).
    var checkpointFiles: [String] {
        let widths = (try? parseArchitecture(training.arch ?? ""))
            ?? start.initFrom.flatMap { $0 == "-" ? nil : try? modelWidths(try openInput($0)) }
        guard let widths, widths.count > 2 else { return [] }
        return (1...(widths.count - 2)).map { "layer-\($0).h5" }
    }

    func validate() throws {
        try training.checkNet(initFrom: start.initFrom)
        try training.checkInputs(data: input, initFrom: start.initFrom)
        if rounds != nil, training.epochs != nil {
            throw ValidationError("with --rounds, epochs come from --epochs-per-round: drop --epochs")
        }
        if rounds == nil, epochsPerRound != nil { throw ValidationError("--epochs-per-round needs --rounds") }
        if rounds == nil, order != .sequential { throw ValidationError("--order needs --rounds") }
    }

    func run() throws {
        try common.start(inputs: [input] + [start.initFrom].compactMap { $0 },
                         also: [.text(report, flag: "--report"), .folder(checkpointDir, flag: "--checkpoint-dir", files: checkpointFiles)])
        let fit = try training.fitOptions(common, initFrom: start.initFrom, epochLists: true)
        var s = try layerwise.settings(fit, epochs: try training.epochList(), common: common)
        s.subnetSize = subnetSize
        s.step = stride ?? 1
        s.mode = mode
        s.rounds = rounds ?? 1
        s.epochsPerRound = epochsPerRound ?? 1
        s.order = order
        let data = try readDataFile(try openInput(input))
        let name = displayName(input)
        let (model, record, meta) = try layerwiseFit(data, file: name, fit, s)
        try common.outputTarget.writeHDF5 {
            try writeLayerwiseModel(model, record, metadata: meta, to: $0, history: data.history,
                                    command: historyEntry(threadsMatter: true))
        }
        try writeReport(report, record)
        if let dir = checkpointDir {
            try forEachLayerwiseFeatures(data, model: model, file: name, threads: common.threadCount) { i, f in
                try writeDataFile(f, to: OutputTarget(dir + "/layer-\(i).h5"), command: historyEntry())
            }
            Log.info("wrote the features of layers 1…\(model.layers - 1) to \(dir)/layer-I.h5")
        }
        let acc = record.segments.last?.testAccuracy.map { String(format: ": test accuracy %.2f%%", 100 * $0) } ?? ""
        Log.info("trained \(model.architecture) in \(record.segments.count) subnet visit\(record.segments.count == 1 ? "" : "s")\(acc); wrote \(common.outputTarget.name)")
    }
}

struct Step: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one layer on the features of the layer below; write its model file and its own features.",
        discussion: """
            Layer I of --arch trains under a decision layer (block) on DATA: the data
            for layer 1, else the features of layer I − 1 that step I − 1 wrote. The
            model file holds layer I (with the output layer, when I is the last
            hidden layer); --features gets Z_I of every split, a data file.
            e.g.:
              dl-layerwise step --arch 784-392-50-10 --layer 1 data.h5 \\
                --features z1.h5 -o layer-1.h5
              dl-layerwise step --arch 784-392-50-10 --layer 2 z1.h5 -o layer-2.h5
            """)

    @Argument(help: ArgumentHelp("The data file (layer 1) or feature file of the layer below ('-' = standard input).", valueName: "data"))
    var input = "-"
    @Option(help: ArgumentHelp("The layer to train (1 = the first hidden layer).", valueName: "i")) var layer: Int
    @Option(help: ArgumentHelp("Write the layer's features Z_I (a data file) here.", valueName: "file")) var features: String?
    @OptionGroup var training: TrainingOptions
    @OptionGroup var layerwise: LayerwiseOptions
    @Option(help: ArgumentHelp("Write the layer's log (accuracy, memory against full backprop, time) as TSV to this file.", valueName: "file"))
    var report: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        try training.checkNet(initFrom: nil)
        if layer < 1 { throw ValidationError("--layer must be at least 1") }
        if features == "-" { throw ValidationError("--features must name a file: standard output carries the model") }
    }

    func run() throws {
        try common.start(inputs: [input], also: [.hdf5(features, flag: "--features"), .text(report, flag: "--report")])
        let fit = try training.fitOptions(common, epochLists: true)
        let s = try layerwise.settings(fit, epochs: try training.epochList(), common: common)
        let data = try readDataFile(try openInput(input))
        let (part, record, meta, z) = try layerwiseStep(data, file: displayName(input), layer: layer, fit, s)
        // The features first: a make rule whose target is the model file then never sees a model without them.
        if let features { try writeDataFile(z, to: OutputTarget(features), command: historyEntry()) }
        try common.outputTarget.writeHDF5 {
            try writeLayerwiseModel(part, record, metadata: meta, to: $0, history: data.history,
                                    command: historyEntry(threadsMatter: true))
        }
        try writeReport(report, record)
        Log.info("trained layer \(layer) (\(part.architecture)); wrote \(common.outputTarget.name)" + (features.map { " and its features to \($0)" } ?? ""))
    }
}

struct Stack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the model files of dl-layerwise step, layer 1 first, into the whole net.",
        discussion: """
            Checks that the steps are one chain: the same --arch and data, every
            layer once and in order, widths that chain, the last with the output
            layer. The per-layer logs are joined under /model/layerwise.
            e.g.:
              dl-layerwise stack layer-1.h5 layer-2.h5 -o model.h5
              dl-layerwise stack out/layers/layer-*.h5 | dl-fit eval - data.h5
            """)

    @Argument(help: ArgumentHelp("The step files, layer 1 first.", valueName: "step")) var steps: [String]
    @Option(help: ArgumentHelp("Write the joined per-layer log as TSV to this file.", valueName: "file")) var report: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if steps.isEmpty { throw ValidationError("give the step files, layer 1 first") }
        if steps.contains("-") { throw ValidationError("stack reads its step files from disk, not standard input") }
    }

    func run() throws {
        try common.start(inputs: steps, also: [.text(report, flag: "--report")])
        // Numeric order, so that a shell glob's layer-10 does not come before layer-2.
        let files = try steps.map { path -> (String, MLP, LayerwiseRecord, ModelMetadata, [String]) in
            let f = try openInput(path)
            let (m, meta, r) = try readLayerwiseModel(f)
            return (displayName(path), m, r, meta, try readHistory(f))
        }.sorted { ($0.2.layer ?? 0) < ($1.2.layer ?? 0) }
        let (net, record) = try stackLayerwise(files.map { ($0.0, $0.1, $0.2) })
        let last = files.last!
        try common.outputTarget.writeHDF5 {
            try writeLayerwiseModel(net, record, metadata: stackedMetadata(last.3, record), to: $0, history: last.4,
                                    command: historyEntry())
        }
        try writeReport(report, record)
        Log.info("stacked \(files.count) layer file\(files.count == 1 ? "" : "s") into \(net.architecture); wrote \(common.outputTarget.name)")
    }
}
