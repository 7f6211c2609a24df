import ArgumentParser
import Foundation
import Shared

@main
struct DLFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-fit",
        abstract: "Fit an MLP to a dl data file by backprop + SGD, with the thesis' output heads (Th. 4).",
        usage: "dl-fit [train] --arch WIDTHS [OPTIONS] [DATA]\n       dl-fit eval MODEL DATA",
        discussion: """
            Writes a model file (HDF5) to standard output or -o FILE.
            e.g.:
              dl-data fashion-mnist | dl-fit --arch 784-392-50-10 --epochs 10 -o model.h5
              dl-fit data.h5 --arch 784-392-50-10 --head exp-ga --targets 0,16 --lr 0.001 -o ga.h5
              dl-fit eval model.h5 data.h5
            """,
        version: dlVersionReport,
        subcommands: [Train.self, Eval.self],
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
              dl-data sine | dl-fit --arch 1-16-16-1 --hidden celu --epochs 50 --batch-size 32 -o sine.h5
            """)

    @Argument(help: ArgumentHelp("The data file ('-' or none = standard input).", valueName: "data"))
    var input = "-"
    @Option(help: ArgumentHelp("Layer widths from input to output, e.g. 784-392-50-10.", valueName: "widths"))
    var arch: String
    @Option(help: "Hidden activation.") var hidden = Activation.relu
    @Option(help: "Output head (default: softmax for labels, linear for regression targets).") var head: HeadKind?
    @Option(help: "α of the exp-GA (default 0.1) and pow3-GA (default 0.001) heads.") var alpha: Float?
    @Option(help: "β of the pow3-GA head (default 0.4).") var beta: Float?
    @Option(help: ArgumentHelp("One-hot target values NEG,POS for classification (Th. 4.5 uses 0,16 with exp-GA).", valueName: "neg,pos"))
    var targets = "0,1"
    @Option(help: "Epochs.") var epochs = 10
    @Option(help: "Rows per mini-batch.") var batchSize = 128
    @Option(help: "Learning rate.") var lr: Float = 0.02
    @Option(help: "Momentum (SGD).") var momentum: Float = 0.9
    @Option(help: "Weight decay (L2 for SGD, decoupled for AdamW).") var wd: Float = 0
    @Option(help: ArgumentHelp("Multiply the rate by FACTOR after EPOCH (repeatable), e.g. 8:0.1.", valueName: "epoch:factor"))
    var lrStep: [String] = []
    @Option(help: "Optimizer.") var optimizer = OptimizerKind.sgd
    @Option(help: "Weight initialization (default: he for relu/celu, glorot otherwise).") var initialization: Initialization?
    @Flag(help: "Store the weights after every epoch under /model/snapshots (for dl-compress studies).") var snapshots = false
    @Flag(help: "Store per-epoch wall time in /model/log/seconds (the file is then no longer byte-reproducible).")
    var recordTime = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be positive") }
        if !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must lie in [0, 1)") }
        if !(wd >= 0) { throw ValidationError("--wd cannot be negative") }
    }

    func run() throws {
        common.apply()
        try common.outputTarget.check()
        var o = FitOptions(architecture: try parseArchitecture(arch))
        o.hidden = hidden
        o.head = head
        o.alpha = alpha
        o.beta = beta
        o.initialization = initialization
        o.recordTime = recordTime
        var s = TrainingSettings()
        s.epochs = epochs
        s.batchSize = batchSize
        s.learningRate = lr
        s.momentum = momentum
        s.weightDecay = wd
        s.lrSteps = try lrStep.map(LRStep.init(parsing:))
        s.optimizer = optimizer
        s.targets = try parseTargets(targets)
        s.seed = common.seed
        s.snapshots = snapshots
        s.threads = common.threadCount
        o.settings = s

        let file = try openInput(input)
        let data = try readDataFile(file)
        let (result, meta) = try fit(data, file: displayName(input), o)
        let out = try H5File.createInMemory()
        try writeModelFile(result, metadata: meta, recordTime: recordTime, to: out,
                           history: data.history, command: historyEntry(threadsMatter: true))
        try common.outputTarget.write(out)
        let last = result.log.last!
        var summary = "trained \(result.model.architecture) for \(epochs) epochs"
        if let a = last.testAccuracy { summary += String(format: ": %@ accuracy %.2f%%", meta.settings["evaluated_on"]?.string ?? "test", 100 * a) }
        else if let l = last.testLoss { summary += String(format: ": %@ loss %.4g", meta.settings["evaluated_on"]?.string ?? "test", l) }
        summary += ", convergence epoch \(result.convergenceEpoch); wrote \(common.outputTarget.name)"
        Log.info(summary)
    }
}

func parseTargets(_ s: String) throws -> (Float, Float) {
    let p = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard p.count == 2, p.allSatisfy(\.isFinite) else {
        throw DLError.usage("bad --targets '\(s)'", hint: "two numbers NEG,POS, e.g. 0,16")
    }
    return (p[0], p[1])
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
        common.apply()
        try common.outputTarget.check(binary: false)
        let (net, meta) = try readModelFile(try openInput(model))
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
