import ArgumentParser
import Foundation
import Shared

@main
struct DLMeasure: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-measure",
        abstract: "Numbers about data, features and models (Th. 3, 5), as tidy TSV or JSON.",
        usage: "dl-measure MEASURE [OPTIONS] [MODEL] [DATA]",
        discussion: """
            Every measure prints the columns metric, split, layer, param, value (NA
            where a cell does not apply), so runs concatenate. Layer 0 is the data's
            X (the input, or the features of a feature file); layer i is the output
            of the model's layer i. Files are told apart by their dl_kind: give a
            model, data, or a model and its data, in either order ('-' = standard input).
            e.g.:
              dl-measure lsd model.h5 data.h5
              dl-data fashion-mnist | dl-measure redundancy -k 5,10,20 --batch 6148
              dl-measure entropy model.h5 data.h5 --splits all --json
              dl-measure rank model.h5
              dl-measure lsd snaps.h5 data.h5 --epoch 3   # snaps.h5: dl-fit --snapshots
            """,
        version: dlVersionReport,
        subcommands: [LSD.self, Redundancy.self, Entropy.self, Rank.self, Accuracy.self]
    )

    static func main() { ToolMain.run(DLMeasure.self, tool: "dl-measure") }
}

/// The options every measure shares.
struct MeasureOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("A model file and/or a data file ('-' or none = standard input).", valueName: "file"))
    var files: [String] = []
    @Option(help: ArgumentHelp("Splits to measure, comma-separated, or 'all'.", valueName: "names"))
    var splits: String?
    @Option(help: ArgumentHelp("Layers to measure, comma-separated (0 = the data's X; default: all).", valueName: "list"))
    var layers: String?
    @Option(help: ArgumentHelp("Measure only the first N rows of each split.", valueName: "n"))
    var limit: Int?
    @Option(help: ArgumentHelp("Use the model's weights after epoch E (a dl-fit --snapshots file).", valueName: "e"))
    var epoch: Int?
    @Flag(help: "Write a JSON array of objects instead of TSV.") var json = false
    @Flag(help: "Leave out the TSV header line (to append to a table).") var noHeader = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let epoch, epoch < 1 { throw ValidationError("--epoch must be at least 1") }
        if let splits {
            let names = splits.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if names.isEmpty || (names.contains("all") && names.count > 1) {
                throw ValidationError("--splits takes split names (train, val, test) or 'all'")
            }
            for n in names where n != "all" && !splitNames.contains(n) {
                throw ValidationError("--splits: unknown split '\(n)' (train, val, test or all, comma-separated)")
            }
        }
        if let layers { _ = try parseIntegerList(layers, option: "--layers", range: 0...1_000_000) }
        if files.filter({ $0 == "-" }).count > 1 || files.count > 2 {
            throw ValidationError("give at most two files, at most one of them '-'")
        }
    }

    /// Reads the inputs and prepares the output; call first thing in run().
    func start() throws -> MeasureInputs {
        try common.start(inputs: files.isEmpty ? ["-"] : files, output: .text)
        return try MeasureInputs.load(files.isEmpty ? ["-"] : files, snapshot: epoch)
    }

    func splitList(default fallback: String) -> [String] {
        (splits ?? fallback).split(separator: ",").map(String.init)
    }

    var layerSet: Set<Int>? {
        layers.flatMap { try? parseIntegerList($0, option: "--layers", range: 0...1_000_000) }.map(Set.init)
    }

    var threads: Int { common.threadCount }

    func emit(_ rows: [MeasureRow]) throws {
        guard !rows.isEmpty else {
            throw DLError.usage("nothing to measure with these options", hint: "see dl-measure help for what each measure needs")
        }
        try common.outputTarget.write(text: json ? formatJSON(rows) : formatTSV(rows, header: !noHeader))
    }
}

struct LSD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsd",
        abstract: "Least squares distance (1/m)·‖Y − Z Z⁺ Y‖²_F from each layer to the targets (Th. 5.3.1).",
        discussion: """
            Y is one-hot for class labels (or the regression targets Y). Z Z⁺ Y is a
            float64 least-squares fit: Householder QR over chunks of rows (in
            parallel), then an SVD whose rank cut makes rank-deficient layers
            (dead units, layers affine in fewer inputs) fine. The cut sits at the
            float32 rounding level of Z, so rounding noise is not fitted; the
            rank found is printed as feature_rank (counting the ones column with
            --intercept).
            e.g.:
              dl-measure lsd model.h5 data.h5
              dl-measure lsd features.h5 --splits all
              dl-measure lsd model.h5 data.h5 --layers 1,2 --limit 10000 --intercept
            """)

    @Flag(help: "Fit with an intercept: append a column of ones to Z (eq. 5.3 has none).") var intercept = false
    @Option(help: ArgumentHelp("Count singular values of Z below R·σ_max as zero (default: the float32 rounding level of Z, ε₃₂·‖Z‖_F; numpy's lstsq uses max(m, n)·2.2e-16).", valueName: "r"))
    var rcond: Double?
    @OptionGroup var options: MeasureOptions

    func validate() throws {
        if let rcond, !(rcond >= 0 && rcond < 1) { throw ValidationError("--rcond must lie in [0, 1)") }
    }

    func run() throws {
        let inputs = try options.start()
        let splits = try inputs.splits(options.splitList(default: "train"), limit: options.limit)
        try options.emit(try measureLSD(inputs, splits: splits, layers: options.layerSet, intercept: intercept,
                                        rcond: rcond, threads: options.threads))
    }
}

struct Redundancy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redundancy",
        abstract: "k-redundancy of each layer: the fraction of samples whose k nearest neighbours share their class (Th. 5.4).",
        discussion: """
            Exact kNN as in dl-kfilter (Euclidean, the sample itself excluded, ties
            to the lower index), one search for all the k asked for.
            e.g.:
              dl-measure redundancy -k 5,10,20 model.h5 data.h5
              dl-data fashion-mnist | dl-measure redundancy -k 10 --batch 6148
            """)

    @Option(name: [.customShort("k"), .customLong("neighbours")], help: ArgumentHelp("Neighbourhood sizes, comma-separated.", valueName: "list"))
    var k = "5,10,20"
    @OptionGroup var knn: KNNOptions
    @OptionGroup var options: MeasureOptions

    func validate() throws {
        _ = try parseIntegerList(k, option: "-k", range: 1...100_000)
    }

    func run() throws {
        let inputs = try options.start()
        let splits = try inputs.splits(options.splitList(default: "train"), limit: options.limit)
        let ks = try parseIntegerList(k, option: "-k", range: 1...100_000)
        try options.emit(try measureRedundancy(inputs, splits: splits, layers: options.layerSet, ks: ks,
                                               settings: knn.settings(options.common)))
    }
}

struct Entropy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entropy",
        abstract: "H(Y) and H(Y|Z_i) of feature selections (Th. 5.5.4); weight entropy of each layer (Th. 3.4).",
        discussion: """
            A feature selects the samples it passes unfiltered: z > 0 for a ReLU (a
            positive pre-activation for any activation; the logits at the output,
            x > 0 for layer 0). H(Y|Z_i) is the mean over layer i's features of the
            class entropy of their selections, in bits; features selecting nothing
            are left out and counted as dead_features. With a model, weight_entropy
            is the entropy of each W over a 2^M-bin histogram between its min and
            max (param = M), from all weights or a --sample-fraction of them.
            e.g.:
              dl-measure entropy model.h5 data.h5
              dl-measure entropy model.h5 --preview-bits 4,8
              dl-data fashion-mnist | dl-measure entropy
            """)

    @Option(name: [.customShort("M"), .customLong("preview-bits")],
            help: ArgumentHelp("Bits M of the quantization the weight entropy H is measured at (a list, comma-separated).", valueName: "list"))
    var bits = "4,8"
    @Option(name: [.customShort("F"), .customLong("sample-fraction")],
            help: ArgumentHelp("Fraction of the weights the entropy estimate samples (Algorithm 1 uses 0.03).", valueName: "f"))
    var sample: Double = 1
    @OptionGroup var options: MeasureOptions

    func validate() throws {
        _ = try parseIntegerList(bits, option: "--preview-bits", range: 1...24)
        if !(sample > 0 && sample <= 1) { throw ValidationError("--sample-fraction must lie in (0, 1]") }
    }

    func run() throws {
        let inputs = try options.start()
        // A model alone: its weight entropies only.
        if inputs.data == nil && (options.splits != nil || options.limit != nil) {
            throw DLError.usage("--splits and --limit pick data rows, but no data file was given")
        }
        let splits = inputs.data == nil ? [] : try inputs.splits(options.splitList(default: "train"), limit: options.limit)
        let rows = try measureEntropy(inputs, splits: splits, layers: options.layerSet,
                                      bits: Array(Set(try parseIntegerList(bits, option: "--preview-bits", range: 1...24))).sorted(),
                                      sampleFraction: sample, seed: options.common.seed, threads: options.threads)
        try options.emit(rows)
    }
}

struct Rank: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Stable rank ‖W‖²_F/‖W‖²₂ of each layer's weights.",
        discussion: """
            e.g.:
              dl-measure rank model.h5
              dl-fit data.h5 --arch 784-392-50-10 | dl-measure rank --json
            """)

    @OptionGroup var options: MeasureOptions

    func validate() throws {
        if options.splits != nil || options.limit != nil {
            throw ValidationError("rank measures weights: --splits and --limit do not apply")
        }
    }

    func run() throws {
        let inputs = try options.start()
        let model = try inputs.requireModel(for: "rank")
        try options.emit(try measureRank(model, layers: options.layerSet))
    }
}

struct Accuracy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accuracy",
        abstract: "A model's accuracy and loss (the head's implied loss per sample) on each split.",
        discussion: """
            The same evaluation as dl-fit eval, in the measure table; every split by default.
            e.g.:
              dl-measure accuracy model.h5 data.h5
              dl-data fashion-mnist | dl-measure accuracy model.h5 - --splits test
            """)

    @OptionGroup var options: MeasureOptions

    func validate() throws {
        if options.layers != nil { throw ValidationError("accuracy measures whole splits: --layers does not apply") }
    }

    func run() throws {
        let inputs = try options.start()
        _ = try inputs.requireModel(for: "accuracy")
        let splits = try inputs.splits(options.splitList(default: "all"), limit: options.limit)
        try options.emit(try measureAccuracy(inputs, splits: splits, threads: options.threads))
    }
}
