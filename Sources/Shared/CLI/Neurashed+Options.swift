import ArgumentParser
import Foundation

extension NeurashedPreset: ExpressibleByArgument {}
extension LevelView: ExpressibleByArgument {}

/// Which neurashed graph: a spec file or a preset with its sizes. Every
/// dl-neurashed subcommand takes these.
public struct GraphOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("A JSON graph spec (docs/FORMAT.md; '-' = standard input), or none with --preset.", valueName: "spec"))
    public var spec: String?
    @Option(help: ArgumentHelp("A graph of the paper's.", valueName: "name"))
    public var preset: NeurashedPreset?
    @OptionGroup public var random: RandomGraphOptions

    public init() {}

    public func validate() throws {
        switch (spec, preset) {
        case (nil, nil): throw ValidationError("give a graph spec file or --preset (\(NeurashedPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
        case (.some, .some): throw ValidationError("give a spec file or --preset, not both")
        default: break
        }
        try random.check(for: preset)
    }

    /// The files the graph is read from: the spec, unless a preset is named.
    public var inputs: [String] { preset == nil ? [spec ?? "-"] : [] }

    /// The graph and where it came from (a random preset is drawn with `seed`).
    public func graph(seed: UInt64) throws -> (NeurashedGraph, GraphSource) {
        if let p = preset {
            return (try NeurashedGraph.preset(p, size: random.size, seed: seed), .preset(p, random.size, seed: seed))
        }
        let path = spec ?? "-"
        let text: String
        if path == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DLError.input("cannot read the graph spec \(path)", hint: "check the path, or use --preset")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let name = path == "-" ? "standard input" : path
        return (try NeurashedSpec.parse(text, source: name), .file(name))
    }
}

/// The sizes of a `random` graph (Theorem 1): m, L, K, b₁, b₂.
public struct RandomGraphOptions: ParsableArguments {
    @Option(help: ArgumentHelp("random: nodes a level (m).", valueName: "m")) public var nodes = 100
    @Option(help: ArgumentHelp("random: feature levels (L).", valueName: "L")) public var levels = 3
    @Option(help: ArgumentHelp("random: classes (K).", valueName: "K")) public var classes = 2
    @Option(help: ArgumentHelp("random: shared nodes a level (b₁).", valueName: "b1")) public var shared = 2
    @Option(name: .customLong("per-class"), help: ArgumentHelp("random: each class's own nodes a level (b₂).", valueName: "b2"))
    public var perClass = 3

    public init() {}

    public var size: RandomGraphSize {
        RandomGraphSize(nodesPerLevel: nodes, levels: levels, classes: classes, shared: shared, perClass: perClass)
    }

    /// Sizes are for `random` only, and must make a graph.
    public func check(for preset: NeurashedPreset?) throws {
        if preset != .random, size != RandomGraphSize() {
            throw ValidationError("--nodes, --levels, --classes, --shared and --per-class size --preset random only")
        }
        if preset == .random, let why = size.problem() { throw ValidationError(why) }
    }
}

/// Algorithm 1's settings: iterations, batch, update rules, start, what is kept.
public struct DynamicsOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Iterations of Algorithm 1.", valueName: "n")) public var iterations = 1000
    @Option(help: ArgumentHelp("Input types a mini-batch (drawn by weight, with replacement).", valueName: "B")) public var batchSize = 1
    @Flag(name: .customLong("full-batch"), help: "Every input type in every batch, once (gradient descent rather than SGD).")
    public var fullBatch = false
    @Flag(help: "Take the types in turn (1, 2, …) instead of drawing them: equal counts, as Theorem 1 assumes.")
    public var cyclic = false
    @Flag(name: .customLong("fixed-eta"), help: "Hold η at 1: a logit is the sum of its class's last-level scores.")
    public var fixedEta = false
    @Option(help: ArgumentHelp("Keep the trajectory every K iterations (and at 0 and the last).", valueName: "K")) public var every = 10
    @Option(name: .customLong("g-plus"), help: ArgumentHelp("g⁺ for firing nodes and edges: mul:A (a·x, A > 1) or add:C (x + c, c > 0); A may be B^E.", valueName: "rule"))
    public var gPlus = "mul:1.022^11/4"
    @Option(name: .customLong("g-minus"), help: ArgumentHelp("g⁻ for the rest: mul:B (0 ≤ B ≤ 1) or add:C (C ≤ 0, kept ≥ 0).", valueName: "rule"))
    public var gMinus = "mul:1.022^-1/4"
    @Option(name: .customLong("initialization"), help: ArgumentHelp("λ and η at the start: uniform:EPS (U(0, ε)) or const:V.", valueName: "how"))
    public var initial = "uniform:0.01"

    public init() {}

    public func validate() throws {
        guard let p = UpdateRule(gPlus) else { throw ValidationError("--g-plus '\(gPlus)' is not mul:A or add:C") }
        guard let m = UpdateRule(gMinus) else { throw ValidationError("--g-minus '\(gMinus)' is not mul:B or add:C") }
        guard InitialValue(initial) != nil else { throw ValidationError("--initialization '\(initial)' is not uniform:EPS (EPS > 0) or const:V (V ≥ 0)") }
        var s = NeurashedSettings()
        s.iterations = iterations; s.batch = batchSize; s.every = every; s.gPlus = p; s.gMinus = m
        s.fullBatch = fullBatch; s.cyclic = cyclic
        if let why = s.problem() { throw ValidationError(why) }
        if fullBatch && batchSize != 1 { throw ValidationError("--full-batch takes every type once: drop --batch-size") }
    }

    public func settings(seed: UInt64) -> NeurashedSettings {
        var s = NeurashedSettings()
        s.iterations = iterations; s.batch = batchSize; s.every = every; s.fullBatch = fullBatch
        s.cyclic = cyclic; s.fixedEta = fixedEta
        s.gPlus = UpdateRule(gPlus)!; s.gMinus = UpdateRule(gMinus)!
        s.initial = InitialValue(initial)!
        s.seed = seed
        return s
    }
}
