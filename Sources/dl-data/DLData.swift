import ArgumentParser
import Foundation
import Shared

@main
struct DLData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-data",
        abstract: "Make dl data files: MNIST-family IDX sets, the thesis' synthetic problems, summaries.",
        usage: "dl-data SUBCOMMAND [OPTIONS]",
        discussion: """
            Writes HDF5 to standard output (or -o FILE); never to a terminal.
            e.g.:
              dl-data fashion-mnist > data.h5
              dl-data fashion-mnist --limit 1000 | dl-data info
              dl-data spirals --rows 5000 -o spirals.h5
            """,
        version: dlVersionReport,
        subcommands: [FashionMNIST.self, MNIST.self, IDX.self, Spirals.self, Checkerboard.self, Sine.self, Info.self, Cat.self]
    )

    static func main() { ToolMain.run(DLData.self, tool: "dl-data", usesBLAS: false) }
}

/// Checks the outputs, loads, transforms and writes: the shape every source subcommand shares.
func produce(_ common: CommonOptions, _ transforms: TransformOptions, imageTypeMax: Float? = nil,
             load: () throws -> DataFile) throws {
    try common.start(inputs: [])
    try emitTransformed(try load(), common, transforms, imageTypeMax: imageTypeMax)
}

func emitTransformed(_ data: DataFile, _ common: CommonOptions, _ transforms: TransformOptions, imageTypeMax: Float? = nil) throws {
    let data = try applyTransforms(data, transforms.settings(imageTypeMax: imageTypeMax), seed: common.seed)
    try emitDataFile(data, to: common.outputTarget)
}

struct FashionMNIST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-mnist",
        abstract: "Fashion-MNIST (60,000 train + 10,000 test images, 28×28, 10 classes) from Debian's dataset-fashion-mnist.",
        discussion: """
            e.g.:
              dl-data fashion-mnist > data.h5
              dl-data fashion-mnist --shuffle --limit 5000 --val-fraction 0.1 -o small.h5
            """)

    @Option(help: ArgumentHelp("Folder with the four IDX files.", valueName: "dir"))
    var dir = fashionMNISTDefaultDir
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        try produce(common, transforms, imageTypeMax: 255) {
            guard FileManager.default.fileExists(atPath: dir) else {
                throw DLError.input("no Fashion-MNIST files in \(dir)",
                                    hint: "apt-get install dataset-fashion-mnist, or name the folder with --dir")
            }
            var data = try readIDXFolder(dir: dir, source: "fashion-mnist").data
            data.classNames = fashionMNISTClassNames
            return data
        }
    }
}

struct MNIST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist",
        abstract: "MNIST (or KMNIST, EMNIST: any MNIST-layout folder) from the four standard IDX files.",
        discussion: """
            The folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
            t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or .gz.
            e.g.:
              dl-data mnist --dir ~/data/mnist > mnist.h5
            """)

    @Option(help: ArgumentHelp("Folder with the four IDX files.", valueName: "dir"))
    var dir: String
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        try produce(common, transforms, imageTypeMax: 255) {
            try readIDXFolder(dir: dir, source: "mnist").data
        }
    }
}

struct IDX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idx",
        abstract: "Any IDX images/labels files (raw or .gz) into a data file.",
        discussion: """
            e.g.:
              dl-data idx --train-images images.idx3.gz --train-labels labels.idx1.gz > d.h5
            """)

    @Option(help: ArgumentHelp("Training images (IDX).", valueName: "file")) var trainImages: String
    @Option(help: ArgumentHelp("Training labels (IDX).", valueName: "file")) var trainLabels: String
    @Option(help: ArgumentHelp("Test images (IDX).", valueName: "file")) var testImages: String?
    @Option(help: ArgumentHelp("Test labels (IDX).", valueName: "file")) var testLabels: String?
    @Option(help: "Name recorded as the data's source.") var source = "idx"
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if (testImages == nil) != (testLabels == nil) {
            throw ValidationError("--test-images and --test-labels go together")
        }
    }

    func run() throws {
        try common.start(inputs: [trainImages, trainLabels] + [testImages, testLabels].compactMap { $0 })
        let train = try readIDXSplit(name: "train", images: trainImages, labels: trainLabels)
        var splits = [train.split]
        if let testImages, let testLabels {
            let test = try readIDXSplit(name: "test", images: testImages, labels: testLabels)
            guard test.split.features == train.split.features else {
                throw DLError.input("train and test samples differ in size: \(train.split.sampleShape) vs \(test.split.sampleShape)")
            }
            splits.append(test.split)
        }
        let classes = splits.compactMap(\.classes).max()
        for i in splits.indices { splits[i].classes = classes }
        try emitTransformed(DataFile(splits: splits, source: source), common, transforms, imageTypeMax: train.typeMax)
    }
}

/// 2^28 rows of 2-D points is 2 GB of float32: enough for any experiment here.
let maxSyntheticRows = 1 << 28

/// Sizes shared by the synthetic problems.
struct SyntheticSize: ParsableArguments {
    @Option(help: "Training samples.") var rows = 5000
    @Option(help: "Test samples (drawn independently; 0 = no /test split).") var testRows = 0

    func validate() throws {
        if !(1...maxSyntheticRows).contains(rows) { throw ValidationError("--rows must lie in 1…\(maxSyntheticRows)") }
        if !(0...maxSyntheticRows).contains(testRows) { throw ValidationError("--test-rows must lie in 0…\(maxSyntheticRows)") }
    }

    /// Train and, if asked, test (each from its own stream) from `make`.
    func splits(seed: UInt64, _ make: (Int, inout RNG) -> Split) -> [Split] {
        var rng = RNG(seed: seed, stream: .syntheticTrain)
        var out = [make(rows, &rng)]
        if testRows > 0 {
            var rngTest = RNG(seed: seed, stream: .syntheticTest)
            var t = make(testRows, &rngTest)
            t.name = "test"
            out.append(t)
        }
        return out
    }
}

struct Spirals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spirals",
        abstract: "The two spirals problem (Th. 7.6): 5,000 points in 2-D, two interleaved arms, 2 classes.",
        discussion: """
            e.g.:
              dl-data spirals > spirals.h5
              dl-data spirals --turns 3 --noise 0.01 --test-rows 1000 -o spirals.h5
            """)

    @OptionGroup var size: SyntheticSize
    @Option(help: "Turns of each arm.") var turns = 2.0
    @Option(help: "Gaussian jitter (standard deviation) added to each coordinate.") var noise = 0.0
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if !(turns > 0 && turns <= 1e6) { throw ValidationError("--turns must lie in (0, 1e6]") }
        if !(noise >= 0 && noise.isFinite) { throw ValidationError("--noise must be a finite number ≥ 0") }
    }

    func run() throws {
        try produce(common, transforms) {
            DataFile(splits: size.splits(seed: common.seed) { n, rng in twoSpirals(rows: n, turns: turns, noise: noise, rng: &rng) },
                     source: "spirals")
        }
    }
}

struct Checkerboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkerboard",
        abstract: "The checkerboard problem (Th. 5.4.2): 5,000 points on an 8×8 board over [-0.5, 0.5]², 2 classes.",
        discussion: """
            e.g.:
              dl-data checkerboard > board.h5
              dl-data checkerboard --squares 4 --rows 2000 | dl-data info
            """)

    @OptionGroup var size: SyntheticSize
    @Option(help: "Squares per side of the board.") var squares = 8
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if !(1...65536).contains(squares) { throw ValidationError("--squares must lie in 1…65536") }
    }

    func run() throws {
        try produce(common, transforms) {
            DataFile(splits: size.splits(seed: common.seed) { n, rng in checkerboard(rows: n, squares: squares, rng: &rng) },
                     source: "checkerboard")
        }
    }
}

struct Sine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sine",
        abstract: "The sinusoid (Th. 7.5): y = sin over two periods on x ∈ (-1, 1), 5,000 samples; regression targets in Y.",
        discussion: """
            e.g.:
              dl-data sine > sine.h5
              dl-data sine --periods 3 --noise 0.05 -o sine.h5
            """)

    @OptionGroup var size: SyntheticSize
    @Option(help: "Periods of the sine over (-1, 1).") var periods = 2.0
    @Option(help: "Gaussian noise (standard deviation) added to the targets.") var noise = 0.0
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if !(periods > 0 && periods <= 1e6) { throw ValidationError("--periods must lie in (0, 1e6]") }
        if !(noise >= 0 && noise.isFinite) { throw ValidationError("--noise must be a finite number ≥ 0") }
    }

    func run() throws {
        try produce(common, transforms) {
            DataFile(splits: size.splits(seed: common.seed) { n, rng in sinusoid(rows: n, periods: periods, noise: noise, rng: &rng) },
                     source: "sine")
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a readable summary of any dl file: kind, splits, shapes, types, class counts, history.",
        discussion: """
            e.g.:
              dl-data info data.h5
              dl-data fashion-mnist --limit 100 | dl-data info
            """)

    @Argument(help: ArgumentHelp("The dl file ('-' or none = standard input).", valueName: "file"))
    var input = "-"
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: [input], output: .text)
        let file = try openInput(input)
        var st = stat()
        let size = input != "-" && stat(input, &st) == 0 ? Int(st.st_size) : nil
        try common.outputTarget.write(text: try describe(file, sizeBytes: size))
    }
}

struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a dl file and write it again (for pipes), optionally transformed.",
        discussion: """
            Without transforms, every object is copied as stored and the command is
            appended to dl_history.
            e.g.:
              dl-data fashion-mnist | dl-data cat > data.h5
              dl-data cat data.h5 --shuffle --limit 1000 -o small.h5
            """)

    @Argument(help: ArgumentHelp("The dl file ('-' or none = standard input).", valueName: "file"))
    var input = "-"
    @OptionGroup var transforms: TransformOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: [input])
        let settings = transforms.settings()
        if settings.isIdentity {
            // The file as it came, one history line longer: held in memory once.
            let file = try openInputForUpdate(input)
            try appendHistory(file, command: historyEntry())
            try common.outputTarget.write(file)
            Log.debug("copied \(displayName(input)) to \(common.outputTarget.name)")
            return
        }
        let data = try applyTransforms(try readDataFile(try openInput(input)), settings, seed: common.seed)
        try emitDataFile(data, to: common.outputTarget)
    }
}
