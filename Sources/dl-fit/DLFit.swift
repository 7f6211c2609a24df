import ArgumentParser
import Foundation
import Shared

@main
struct DLFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-fit",
        abstract: "Fit an MLP to a dl data file by backprop + SGD, with the thesis' output heads (Th. 4).",
        usage: "dl-fit [train] --arch WIDTHS [OPTIONS] [DATA]\n       dl-fit project --arch WIDTHS [OPTIONS] [DATA]\n       dl-fit eval MODEL DATA\n       dl-fit features MODEL DATA --layer I\n       dl-fit log MODEL",
        discussion: """
            Writes a model file (HDF5) to standard output or -o FILE.
            e.g.:
              dl-data fashion-mnist | dl-fit --arch 784-392-50-10 --epochs 10 -o model.h5
              dl-fit data.h5 --arch 784-392-50-10 --head exp-ga --targets 0,16 \\
                --lr 0.003 -o ga.h5
              dl-data spirals | dl-fit project --arch 2-32-32-32-32-2 --hidden tanh \\
                --target-scale 0.1 -o pp.h5
              dl-fit eval model.h5 data.h5
              dl-fit features model.h5 data.h5 --layer 2 | dl-kfilter -k 10 > z2.h5
              dl-fit log model.h5 > log.tsv
            """,
        version: dlVersionReport,
        subcommands: [Train.self, Project.self, Eval.self, Features.self, TrainingLog.self],
        defaultSubcommand: Train.self
    )

    static func main() { ToolMain.run(DLFit.self, tool: "dl-fit") }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a net on /train (evaluated on /test, else /val, after every epoch).",
        discussion: """
            Progress and a line per epoch go to standard error; the model file
            (weights, architecture, head, per-epoch log) to standard output or -o.
            e.g.:
              dl-data fashion-mnist | dl-fit --arch 784-392-50-10 -o model.h5
              dl-fit data.h5 --arch 784-392-50-10 --wd 0.003 --lr-step 8:0.1 -o model.h5
              dl-data sine | dl-fit --arch 1-16-1 --hidden celu --batch-size 32 -o sine.h5
              dl-fit data.h5 --init-from model.h5 --epochs 5 --lr 0.002 -o tuned.h5
              dl-fit data.h5 --arch 784-392-50-10 --quantize dynamic:c=6 -o q.h5
            """)

    @Argument(help: ArgumentHelp("The data file ('-' or none = standard input).", valueName: "data"))
    var input = "-"
    @OptionGroup var training: TrainingOptions
    @OptionGroup var start: InitFromOption
    @Flag(help: "Store the weights after every epoch under /model/snapshots (for dl-compress studies).") var snapshots = false
    @Option(help: ArgumentHelp("After every epoch, replace the weights by their decoded dl-compress package (Th. 3.7): dynamic[:F=0.03,M=4,c=5] or fixed:N.",
                               valueName: "spec"))
    var quantize: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        try training.checkNet(initFrom: start.initFrom)
        try training.checkInputs(data: input, initFrom: start.initFrom)
        if let quantize {
            do { _ = try parseQuantizeSpec(quantize, seed: 0) } catch let e as DLError { throw ValidationError(e.description) }
        }
    }

    func run() throws {
        try common.start(inputs: [input] + [start.initFrom].compactMap { $0 })
        let options = try training.fitOptions(common, initFrom: start.initFrom, snapshots: snapshots)
        let quantized = try quantize.map { QuantizedTraining(settings: try parseQuantizeSpec($0, seed: common.seed)) }
        let data = try readDataFile(try openInput(input))
        let (result, meta) = try fit(data, file: displayName(input), options, hooks: quantized?.hooks ?? TrainingHooks())
        try common.outputTarget.writeHDF5 {
            try writeModelFile(result, metadata: meta, recordTime: options.recordTime, to: $0,
                               history: data.history, command: historyEntry(threadsMatter: true))
            if let quantized, let quantize { try quantized.write(to: try $0.root.openGroup("model"), spec: quantize) }
        }
        if let q = quantized, let mean = q.totalRates.isEmpty ? nil : q.totalRates.reduce(0, +) / Double(q.totalRates.count) {
            Log.info(String(format: "quantized after every epoch: %.3f bits a parameter on average (ratio %.2f to float32)", mean, 32 / mean))
        }
        Log.info(fitSummary(result, meta, wrote: common.outputTarget.name))
    }
}

struct Project: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit every layer in closed form by Platonic Projections (Th. 7): W_i = Z⁺[Z | βY]P_i·α, no gradients.",
        discussion: """
            Layer by layer: the target T_i = α[Z̃_{i-1} | βY]P_i (Z̃ with a bias
            column, Y one-hot for classes or the regression targets), W_i by the
            solver, Z_i = σ(Z̃_{i-1}W_i); the output layer is the least-squares fit
            to Y. A line per layer (LSD, chosen try, accuracy, seconds) goes to
            standard error; the model file (dl-fit's format: dl-fit eval,
            dl-measure and dl-compress read it; float64 weights for --precision 64)
            with a row per layer in /model/log to standard output or -o.
            e.g.:
              dl-data sine | dl-fit project --arch 1-16-16-1 --hidden celu -o sine.h5
              dl-data spirals | dl-fit project --arch 2-32-32-32-32-2 --hidden tanh \\
                --target-scale 0.1 --label-scale 10 -o pp.h5
              dl-data checkerboard -o board.h5
              dl-fit project board.h5 --arch 2-300-300-2 --tries 5 --target-scale 0.08 \\
                --label-scale 200 -o board-pp.h5
              dl-data fashion-mnist --standardize -o fm.h5
              dl-fit project fm.h5 --arch 784-1568-10 --deterministic --ridge 50000 \\
                --label-scale 10000 -o spca.h5
              dl-fit project fm.h5 --arch 784-392-50-10 --deterministic --ema 0.2 \\
                --ridge 0.5 --label-scale 1e6 --precision 32 -o pp.h5
              dl-fit log pp.h5
            """)

    @Argument(help: ArgumentHelp("The data file ('-' or none = standard input).", valueName: "data"))
    var input = "-"
    @OptionGroup var projection: ProjectionOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: [input])
        let settings = try projection.settings(seed: common.seed)
        let data = try readDataFile(try openInput(input))
        let k = settings.widths.count - 1
        let progress = k > 30 && !Log.verbose ? Progress("projecting", total: k, unit: "layers") : nil
        let (result, train, test, classes) = try fitProjection(data, file: displayName(input), settings) { r in
            if let progress { progress.update(r.layer) } else { Log.info(projectionLayerLine(r, layers: k)) }
        }
        progress?.finish()
        try common.outputTarget.writeHDF5 {
            try writeProjectionModel(result, settings, task: train, classes: classes, recordTime: projection.recordTime,
                                     to: $0, history: data.history, command: historyEntry(threadsMatter: true))
        }
        let last = result.log.last!
        var summary = "projected \(result.model.architecture) in \(String(format: "%.3f", result.seconds)) s: train "
        summary += last.trainAccuracy.map { String(format: "accuracy %.2f%%", 100 * $0) } ?? String(format: "MSE %.4g", last.mse)
        if let a = last.testAccuracy { summary += String(format: ", \(test!.name) accuracy %.2f%%", 100 * a) }
        else if let e = last.testMSE { summary += String(format: ", \(test!.name) MSE %.4g", e) }
        if let best = result.log.dropLast().min(by: { $0.lsd < $1.lsd }), k > 2 {
            summary += String(format: "; lowest LSD %.4g at layer %d", best.lsd, best.layer)
        }
        Log.info(summary + "; wrote \(common.outputTarget.name)")
    }
}

/// "trained 784-392-50-10 for 10 epochs: test accuracy 87.58%, convergence epoch 9; wrote model.h5".
func fitSummary(_ result: TrainingResult, _ meta: ModelMetadata, wrote name: String) -> String {
    var summary = "trained \(result.model.architecture) for \(result.log.count) epochs"
    let split = meta.training?.evaluatedOn ?? "test"
    if let last = result.log.last {
        if let a = last.testAccuracy { summary += String(format: ": %@ accuracy %.2f%%", split, 100 * a) }
        else if let l = last.testLoss { summary += String(format: ": %@ loss %.4g", split, l) }
    }
    return summary + ", convergence epoch \(result.convergenceEpoch); wrote \(name)"
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's loss and accuracy on every split of a data file, as TSV.",
        discussion: """
            Columns: split, rows, loss (the head's implied loss per sample), accuracy.
            e.g.:
              dl-fit eval model.h5 data.h5
              dl-data fashion-mnist | dl-fit eval model.h5 -
            """)

    @Argument(help: ArgumentHelp("The model file.", valueName: "model")) var model: String
    @Argument(help: ArgumentHelp("The data file ('-' = standard input).", valueName: "data")) var data = "-"
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if model == "-" && data == "-" { throw ValidationError("the model and the data cannot both come from standard input") }
    }

    func run() throws {
        try common.start(inputs: [model, data], output: .text)
        let (net, meta) = try readModelFile(try openModelArgument(model, data: data, command: "dl-fit eval"))
        let d = try readDataFile(try openInput(data))
        var tsv = "split\trows\tloss\taccuracy\n"
        let threads = common.threadCount
        for r in try evaluateModel(net, targets: meta.targets, on: d, file: displayName(data), threads: threads) {
            tsv += "\(r.split)\t\(r.rows)\t\(String(format: "%.6f", r.eval.loss))\t"
            tsv += r.eval.accuracy.map { String(format: "%.6f", $0) } ?? "NA"
            tsv += "\n"
        }
        try common.outputTarget.write(text: tsv)
    }
}

struct TrainingLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print a model's training log (a row per epoch) as TSV.",
        discussion: """
            Columns: epoch, then what the run recorded: lr, train_loss,
            train_accuracy, test_loss, test_accuracy (seconds with --record-time;
            visit for a layer-wise model); with --quantize the Huffman-coded bits per
            parameter (quantize_total_bits_per_param) and the mean N per parameter
            (quantize_mean_bits). NA where an epoch has no value.
            e.g.:
              dl-fit log model.h5
              dl-fit log q.h5 | cut -f1,6-8 > accuracy-and-bits.tsv
            """)

    @Argument(help: ArgumentHelp("The model file ('-' or none = standard input).", valueName: "model")) var model = "-"
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: [model], output: .text)
        try common.outputTarget.write(text: trainingLogTable(try openInput(model)))
    }
}

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model's representation Z_i of a data file as a feature file: a data file whose X is Z_i.",
        discussion: """
            Every split keeps its labels or targets, indices and class names; the
            root records feature_layer and feature_model. Features are data: every
            tool that reads data reads them (k-filter them, measure them, fit on them).
            e.g.:
              dl-fit features model.h5 data.h5 --layer 2 -o z2.h5
              dl-fit features model.h5 data.h5 | dl-measure lsd
              dl-data fashion-mnist | dl-fit features model.h5 - --layer 1 > z1.h5
            """)

    @Argument(help: ArgumentHelp("The model file.", valueName: "model")) var model: String
    @Argument(help: ArgumentHelp("The data file ('-' = standard input).", valueName: "data")) var data = "-"
    @Option(help: ArgumentHelp("The layer whose output to write (0 = the data's X; default: the last hidden layer).", valueName: "i"))
    var layer: Int?
    @Option(help: ArgumentHelp("Use the model's weights after epoch E (a dl-fit --snapshots file).", valueName: "e"))
    var epoch: Int?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if model == "-" && data == "-" { throw ValidationError("the model and the data cannot both come from standard input") }
        if let layer, layer < 0 { throw ValidationError("--layer cannot be negative") }
        if let epoch, epoch < 1 { throw ValidationError("--epoch must be at least 1") }
    }

    func run() throws {
        try common.start(inputs: [model, data])
        let (net, _) = try readModelFile(try openModelArgument(model, data: data, command: "dl-fit features"), snapshot: epoch)
        let i = layer ?? max(0, net.layers - 1)
        let d = try readDataFile(try openInput(data))
        let out = try featureData(d, model: net, layer: i, file: displayName(data), threads: common.threadCount)
        try writeDataFile(out, to: common.outputTarget, command: historyEntry())
        Log.info("wrote Z_\(i) (\(net.widths[i]) features) of " + d.splits.map { "/\($0.name) \($0.rows)" }.joined(separator: ", ")
                 + " to \(common.outputTarget.name)")
    }
}

/// Opens the MODEL argument of `eval` and `features`; a data file there, with
/// a model file as DATA, is the two arguments swapped: say so.
func openModelArgument(_ model: String, data: String, command: String) throws -> H5File {
    let file = try openInput(model)
    if try dlKind(of: file) == .data, data != "-", let other = try? openInput(data), (try? dlKind(of: other)) == .model {
        throw DLError.usage("\(model) is a data file and \(data) a model file", hint: "the model comes first: \(command) \(data) \(model)")
    }
    return file
}
