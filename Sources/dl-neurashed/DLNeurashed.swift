import ArgumentParser
import Foundation
import Shared

@main
struct DLNeurashed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-neurashed",
        abstract: "Su's neurashed model: a graph of feature levels, its training dynamics (Algorithm 1) and their trajectories.",
        usage: "dl-neurashed train (SPEC | --preset NAME) [OPTIONS] -o RUN\n       dl-neurashed information (SPEC | --preset NAME) [OPTIONS]\n       dl-neurashed elasticity (SPEC | --preset NAME) [OPTIONS]\n       dl-neurashed sparsity (SPEC | --preset NAME) [OPTIONS]\n       dl-neurashed theorem1 [OPTIONS]\n       dl-neurashed spec NAME\n       dl-neurashed pathways (SPEC | --preset NAME)",
        discussion: """
            A graph is a JSON spec (docs/FORMAT.md, 'Neurashed graph specs') or a preset
            of the paper's: fig5 (Figure 5's information-bottleneck example), fig1
            (Figures 1-2's three classes), random (Theorem 1's graph: --nodes m,
            --levels L, --classes K, --shared b1, --per-class b2). A run is an HDF5
            file (dl_kind neurashed) with λ, η, every type's logits, accuracy and
            loss every --every iterations.
            e.g.:
              dl-neurashed train --preset fig5 -n 4000 --every 20 -o fig5.h5
              dl-neurashed spec fig1 > mine.json && dl-neurashed train mine.json -o run.h5
              dl-neurashed train --preset random --nodes 1000 --levels 4 \\
                --g-plus add:2 --g-minus mul:1 -o th1.h5
              dl-neurashed elasticity --preset fig1 -n 200 > le.tsv
              dl-neurashed pathways --preset fig5
            """,
        version: dlVersionReport,
        subcommands: [Train.self, Information.self, Elasticity.self, Sparsity.self, Theorem1.self, Spec.self, Pathways.self]
    )

    static func main() { ToolMain.run(DLNeurashed.self, tool: "dl-neurashed") }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Algorithm 1 on a graph and write its trajectory.",
        discussion: """
            Each iteration draws --batch-size input types by weight; the nodes in the union
            of their pathways get g⁺, all others g⁻ (a node's own g_plus/g_minus in the
            spec wins); an edge into a class gets g⁺ when its node fires and its class
            is in the batch. The defaults are the appendix's Figure 5 run: λ, η ~
            U(0, 0.01), g⁺ = 1.022^(11/4)·x, g⁻ = 1.022^(-1/4)·x.
            e.g.:
              dl-neurashed train --preset fig5 -n 4000 --every 20 -o fig5.h5
              dl-neurashed train --preset fig1 --batch-size 4 --g-plus add:0.1 -o fig1.h5
            """)

    @OptionGroup var graph: GraphOptions
    @OptionGroup var dynamics: DynamicsOptions
    @Flag(name: .customLong("record-time"), help: "Record the iterations' seconds (/trajectory step_seconds); the file then differs run to run.")
    var recordTime = false
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: graph.inputs)
        let (g, source) = try graph.graph(seed: common.seed)
        let s = dynamics.settings(seed: common.seed)
        try checkRun(g, s)
        Log.info("\(g.levels.count) feature levels (\(g.levels.map { String($0.count) }.joined(separator: ", ")) nodes), \(g.classCount) classes, \(g.types.count) input types")
        let progress = Progress("train", total: s.iterations, unit: "iterations")
        let (_, trajectory) = try trainNeurashed(g, s) { progress.update($0) }
        progress.finish()
        try common.outputTarget.writeHDF5 {
            try writeNeurashedFile(g, source: source, settings: s, trajectory: trajectory, recordTime: recordTime, to: $0, history: [], command: historyEntry())
        }
        let t = trajectory.iterations.count - 1
        // One speed, the progress line's (the whole run, records included); the
        // steps alone (what bench/neurashed.py times) are named as such.
        let steps = formatRate(Double(s.iterations) / max(trajectory.stepSeconds, 1e-9), "iterations")
        Log.info(String(format: "iteration %d: accuracy %.4f, loss %.4g (Algorithm 1's steps alone: %@); wrote %@", trajectory.iterations[t],
                        trajectory.accuracy[t], trajectory.loss[t], steps, common.outputTarget.name))
    }
}

struct Spec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a preset's graph as a JSON spec (to edit, or to read what a preset is).",
        discussion: """
            e.g.:
              dl-neurashed spec fig5
              dl-neurashed spec random --nodes 20 --levels 2 -s 3 > small.json
            """)

    @Argument(help: ArgumentHelp("The preset.", valueName: "name"))
    var name: NeurashedPreset
    @OptionGroup var random: RandomGraphOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        try random.check(for: name)
        if name == .random, random.nodes * random.levels > neurashedSpecLimit {
            throw ValidationError("a spec of \(random.nodes * random.levels) nodes is more text than is useful; specs print up to \(neurashedSpecLimit) nodes")
        }
    }

    func run() throws {
        try common.start(inputs: [], output: .text)
        let g = try NeurashedGraph.preset(name, size: random.size, seed: common.seed)
        try common.outputTarget.write(text: NeurashedSpec.render(g))
    }
}

struct Pathways: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each input type's feature pathway: its firing nodes, level by level (TSV).",
        discussion: """
            Columns: type, class, level, firing (the names, space-separated).
            e.g.:
              dl-neurashed pathways --preset fig5
              dl-neurashed pathways mine.json
            """)

    @OptionGroup var graph: GraphOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.start(inputs: graph.inputs, output: .text)
        let (g, _) = try graph.graph(seed: common.seed)
        var out = "type\tclass\tlevel\tfiring\n"
        for (t, type) in g.types.enumerated() {
            let p = g.pathway(ofType: t)
            for (l, nodes) in p.firing.enumerated() {
                out += "\(type.name)\t\(g.classes[type.classIndex].name)\t\(l + 1)\t\(nodes.map { g.levels[l][Int($0)].name }.joined(separator: " "))\n"
            }
        }
        try common.outputTarget.write(text: out)
    }
}

struct Elasticity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Local elasticity (eq. 3.1) between every pair of input types, after training (TSV).",
        discussion: """
            Trains as `train` does (-n iterations; -n 0 measures at the start), then for
            each base type x steps Algorithm 1 once on the batch {x} and reports
            LE(x, x') = |Δz(x')| / |Δz(x)| for every type x'. Columns: base, base_class,
            test, test_class, same_class (1 or 0), le, base_change (|Δz(x)|). The log
            line says, base by base, whether its smallest same-class LE is above its
            largest cross-class LE (the paper's claim).
            e.g.:
              dl-neurashed elasticity --preset fig1 -n 200 > le.tsv
              dl-neurashed elasticity mine.json -n 0 --g-plus add:1 --g-minus mul:1
            """)

    @OptionGroup var graph: GraphOptions
    @OptionGroup var dynamics: DynamicsOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        let (g, s, state) = try trainedForAnalysis(graph, dynamics, common)
        let (le, own) = localElasticity(g, s, at: state)
        var out = "base\tbase_class\ttest\ttest_class\tsame_class\tle\tbase_change\n"
        for (b, base) in g.types.enumerated() {
            for (t, test) in g.types.enumerated() {
                let v = le[b][t].isFinite ? String(format: "%.6g", le[b][t]) : "NA"
                out += "\(base.name)\t\(g.classes[base.classIndex].name)\t\(test.name)\t\(g.classes[test.classIndex].name)\t"
                    + "\(base.classIndex == test.classIndex ? 1 : 0)\t\(v)\t\(String(format: "%.6g", own[b]))\n"
            }
        }
        try common.outputTarget.write(text: out)
        let bases = elasticitySummary(g, le)
        let detail = bases.map { b in
            "\(g.types[b.base].name): \(String(format: "%.4g", b.smallestSame)) \(b.holds ? ">" : "≤") "
                + (b.largestCross.map { String(format: "%.4g", $0) } ?? "none")
        }.joined(separator: ", ")
        Log.info("after \(s.iterations) iterations: same-class LE above every cross-class LE for \(bases.filter(\.holds).count) "
                 + "of \(bases.count) base types with a same-class partner" + (detail.isEmpty ? "" : " (\(detail))"))
    }
}

struct Sparsity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How sparse the learned pathways are, level by level, after training (TSV; Figures 3-4).",
        discussion: """
            Trains as `train` does, then per level: nodes, nodes_90 (the fewest nodes
            holding 90% of the level's λ mass), top_share (the largest λ's share) and
            effective_nodes (2^H of λ/Σλ). Run it with --batch-size 1 and with --full-batch
            to compare small- and full-batch training.
            e.g.:
              dl-neurashed sparsity --preset fig5 -n 1000 > small.tsv
              dl-neurashed sparsity --preset fig5 -n 1000 --full-batch > full.tsv
            """)

    @OptionGroup var graph: GraphOptions
    @OptionGroup var dynamics: DynamicsOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        let (g, _, state) = try trainedForAnalysis(graph, dynamics, common)
        var out = "level\tnodes\tnodes_90\ttop_share\teffective_nodes\n"
        for r in sparsity(g, state) {
            out += "\(r.level)\t\(r.nodes)\t\(r.nodesFor90)\t\(String(format: "%.6g", r.topShare))\t\(String(format: "%.6g", r.effectiveNodes))\n"
        }
        try common.outputTarget.write(text: out)
    }
}

/// What the analyses share: the flags applied, the output checked, the graph
/// trained as `train` would, its final state.
func trainedForAnalysis(_ graph: GraphOptions, _ dynamics: DynamicsOptions, _ common: CommonOptions) throws
    -> (NeurashedGraph, NeurashedSettings, NeurashedState) {
    try common.start(inputs: graph.inputs, output: .text)
    let (g, _) = try graph.graph(seed: common.seed)
    let s = dynamics.settings(seed: common.seed)
    return (g, s, try trainNeurashed(g, s).state)
}

struct Theorem1: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theorem1",
        abstract: "Theorems 1-2 on random graphs: ΔZ_j/ΔZ_j' after t rounds against (b1+b2)/b1, over a grid (TSV).",
        discussion: """
            For every combination of the grid: a random graph (m nodes a level, L levels,
            K classes, b1 shared and b2 own nodes a level and class), λ from 0, η = 1,
            g⁺ = x + c, g⁻ = x, each class's type trained t times in turn; then one
            step at class 1. Columns: m, L, K, b1, b2, t, c, ratio (the simulation),
            limit ((b1+b2)/b1, Theorem 1), expansion (the appendix's formula at this t).
            Theorem 2 is the ratio's growth down a column of L.
            e.g.:
              dl-neurashed theorem1 --grid-shared 1,2,4 --grid-per-class 1,4 \\
                --grid-rounds 10,1000
              dl-neurashed theorem1 --grid-levels 1,2,4,8,16,32 --grid-rounds 100
            """)

    @Option(name: .customLong("grid-nodes"), help: ArgumentHelp("Nodes a level (m), a list.", valueName: "m,…")) var nodes = "1000"
    @Option(name: .customLong("grid-levels"), help: ArgumentHelp("Levels (L), a list.", valueName: "L,…")) var levels = "3"
    @Option(name: .customLong("grid-shared"), help: ArgumentHelp("Shared nodes a level (b1), a list.", valueName: "b1,…")) var shared = "2"
    @Option(name: .customLong("grid-per-class"), help: ArgumentHelp("Each class's own nodes a level (b2), a list.", valueName: "b2,…")) var perClass = "3"
    @Option(name: .customLong("grid-rounds"), help: ArgumentHelp("Rounds t (each class trained t times), a list.", valueName: "t,…")) var rounds = "1000"
    @Option(help: ArgumentHelp("random: classes (K).", valueName: "K")) var classes = 2
    @Option(help: ArgumentHelp("The increment c of g⁺ = x + c.", valueName: "c")) var increment = 2.0
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard increment.isFinite, increment > 0 else { throw ValidationError("--increment must be positive and finite (g⁺ = x + c grows λ)") }
        guard (2...1000).contains(classes) else { throw ValidationError("--classes must lie in 2…1000") }
        _ = try grid()
    }

    func grid() throws -> [(size: RandomGraphSize, rounds: Int)] {
        let big = 1...Int.max  // bounded by theorem1Grid (graph sizes, 10⁹ iterations)
        do {
            return try theorem1Grid(nodes: try parseIntegerList(nodes, option: "--grid-nodes", range: big),
                                    levels: try parseIntegerList(levels, option: "--grid-levels", range: big),
                                    shared: try parseIntegerList(shared, option: "--grid-shared", range: big),
                                    perClass: try parseIntegerList(perClass, option: "--grid-per-class", range: big),
                                    rounds: try parseIntegerList(rounds, option: "--grid-rounds", range: big), classes: classes)
        } catch let e as DLError {
            throw ValidationError(e.description)
        }
    }

    func run() throws {
        try common.start(inputs: [], output: .text)
        let points = try grid()
        let progress = Progress("theorem1", total: points.count, unit: "graphs")
        var out = "m\tL\tK\tb1\tb2\tt\tc\tratio\tlimit\texpansion\n"
        for (i, (z, t)) in points.enumerated() {
            let p = try theorem1Point(z, rounds: t, c: increment, seed: common.seed)
            out += "\(z.nodesPerLevel)\t\(z.levels)\t\(z.classes)\t\(z.shared)\t\(z.perClass)\t\(t)\t\(formatNumber(increment))\t"
                + String(format: "%.6g\t%.6g\t%.6g\n", p.ratio, p.limit, p.expansion)
            progress.update(i + 1)
        }
        progress.finish()
        try common.outputTarget.write(text: out)
    }
}

func formatNumber(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v) }

struct Information: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The information bottleneck (Figure 5): I(level; input type) and I(level; label) over training (TSV).",
        discussion: """
            Trains as `train` does and, at every kept iteration (--every), takes each
            level's view of every type (--view factors: the λ of its firing nodes, 0
            elsewhere; scores: their scores S), scaled by the largest norm among them, adds
            Gaussian noise of standard deviation --noise, and estimates both mutual
            informations of that noisy mixture by Monte Carlo (--samples draws a type,
            the same draws at every iteration), in bits. Columns: iteration, level,
            i_input, i_label. Figure 5's expectation on fig5: I(level 2; input) rises
            to 2 bits and falls to 1, I(level 2; label) stays at 1.
            e.g.:
              dl-neurashed information --preset fig5 -n 3000 --every 25 > ib.tsv
              dl-neurashed information --preset fig5 -n 3000 --noise 0.05 --samples 400
            """)

    @OptionGroup var graph: GraphOptions
    @OptionGroup var dynamics: DynamicsOptions
    @Option(help: ArgumentHelp("Standard deviation of the noise added to the scaled scores.", valueName: "σ")) var noise = 0.1
    @Option(help: ArgumentHelp("Monte Carlo draws a type.", valueName: "n")) var samples = 200
    @Option(help: ArgumentHelp("What a level shows: factors (λ of its firing nodes) or scores (S).", valueName: "view")) var view = LevelView.factors

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard noise.isFinite, noise >= 1e-100 else { throw ValidationError("--noise must be positive (at least 1e-100) and finite") }
        guard (1...100_000).contains(samples) else { throw ValidationError("--samples must lie in 1…100000") }
    }

    func run() throws {
        try common.start(inputs: graph.inputs, output: .text)
        let (g, _) = try graph.graph(seed: common.seed)
        var progress: Shared.Progress?
        let rows = try informationOverTraining(g, dynamics.settings(seed: common.seed), view: view, noise: noise, samples: samples) {
            if progress == nil { progress = Progress("information", total: $1, unit: "iterations kept") }
            progress?.update($0)
        }
        progress?.finish()
        var out = "iteration\tlevel\ti_input\ti_label\n"
        for r in rows { out += "\(r.iteration)\t\(r.level)\t" + String(format: "%.4f\t%.4f\n", r.input, r.label) }
        try common.outputTarget.write(text: out)
    }
}
