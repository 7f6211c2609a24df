// Neurashed files (dl_kind = neurashed; docs/FORMAT.md): the graph and a run's
// trajectory, readable with h5py alone.
//   /graph         attrs preset, levels (nodes a level), classes, types (names);
//                  random presets also m, L, K, b1, b2, graph_seed
//   /graph/spec    uint8 [bytes]: the graph's JSON spec (graphs up to 100,000 nodes)
//   /graph/node_names uint8 [bytes]: the nodes' names in node order, "\n"-joined;
//                  a random preset's instead attr node_name_rule (l<level>n<index>)
//   /graph/node_level int32 [nodes], /graph/edge_class int32 [edges],
//   /graph/edge_node int64 [edges] (flat node index), /graph/type_class int32 [types]
//   /trajectory    attrs g_plus, g_minus, initial, batch, full_batch, cyclic, fixed_eta, iterations, every, seed
//   /trajectory    attr step_seconds with --record-time (the iterations' own time)
//   /trajectory/iteration int64 [T], lambda float64 [T, nodes], eta float64 [T, edges],
//   /trajectory/logits float64 [T, types, classes], accuracy, loss float64 [T]

/// Where a graph came from, for /graph's attributes.
public enum GraphSource: Sendable {
    case preset(NeurashedPreset, RandomGraphSize, seed: UInt64)
    case file(String)
}

public let neurashedSpecLimit = 100_000

public func writeNeurashedFile(_ g: NeurashedGraph, source: GraphSource, settings s: NeurashedSettings,
                               trajectory t: NeurashedTrajectory, recordTime: Bool = false,
                               to file: H5File, history: [String], command: String) throws {
    let root = file.root
    try root.setAttribute("dl_kind", DLKind.neurashed.rawValue)
    try root.setAttribute("dl_format", dlFormatVersion)
    try root.setAttribute("dl_history", history + [command])
    let graph = try root.createGroup("graph")
    switch source {
    case .preset(let p, let z, let seed):
        try graph.setAttribute("preset", p.rawValue)
        if p == .random {
            for (k, v) in [("m", z.nodesPerLevel), ("L", z.levels), ("K", z.classes), ("b1", z.shared), ("b2", z.perClass)] {
                try graph.setAttribute(k, v)
            }
            try graph.setAttribute("graph_seed", .integer(Int64(bitPattern: seed)))
        }
    case .file(let name):
        try graph.setAttribute("preset", "file")
        try graph.setAttribute("spec_file", name)
    }
    try graph.setAttribute("levels", g.levels.map(\.count))
    try graph.setAttribute("classes", g.classes.map(\.name))
    try graph.setAttribute("types", g.types.map(\.name))
    if g.nodeCount <= neurashedSpecLimit {
        let bytes = Array(NeurashedSpec.render(g).utf8)
        try graph.write("spec", shape: [bytes.count], values: bytes)
    }
    // The λ columns' names at any size: a random graph's follow a rule (its
    // millions of nodes would cost more bytes as names than as λ); others are stored.
    if case .preset(.random, _, _) = source {
        try graph.setAttribute("node_name_rule", "l<level>n<index>")
    } else {
        let bytes = Array(g.levels.flatMap { $0.map(\.name) }.joined(separator: "\n").utf8)
        try graph.write("node_names", shape: [bytes.count], values: bytes)
    }
    var level = [Int32](repeating: 0, count: g.nodeCount)
    for l in g.levels.indices { for i in g.levelStart[l]..<g.levelStart[l + 1] { level[i] = Int32(l + 1) } }
    try graph.write("node_level", shape: [g.nodeCount], values: level)
    var edgeClass: [Int32] = [], edgeNode: [Int64] = []
    let last = g.levels.count - 1
    for (j, c) in g.classes.enumerated() {
        for f in c.dependents { edgeClass.append(Int32(j)); edgeNode.append(Int64(g.node(last, Int(f)))) }
    }
    try graph.write("edge_class", shape: [g.edgeCount], values: edgeClass)
    try graph.write("edge_node", shape: [g.edgeCount], values: edgeNode)
    try graph.write("type_class", shape: [g.types.count], values: g.types.map { Int32($0.classIndex) })

    let tr = try root.createGroup("trajectory")
    try tr.setAttribute("g_plus", s.gPlus.description)
    try tr.setAttribute("g_minus", s.gMinus.description)
    try tr.setAttribute("initial", s.initial.description)
    for (k, v) in [("batch", s.fullBatch ? g.types.count : s.batch), ("full_batch", s.fullBatch ? 1 : 0), ("cyclic", s.cyclic ? 1 : 0), ("fixed_eta", s.fixedEta ? 1 : 0), ("iterations", s.iterations), ("every", s.every)] {
        try tr.setAttribute(k, v)
    }
    try tr.setAttribute("seed", .integer(Int64(bitPattern: s.seed)))
    if recordTime { try tr.setAttribute("step_seconds", t.stepSeconds) }
    let n = t.iterations.count
    try tr.write("iteration", shape: [n], values: t.iterations.map { Int64($0) })
    try tr.write("lambda", shape: [n, g.nodeCount], values: t.lambda)
    try tr.write("eta", shape: [n, g.edgeCount], values: t.eta)
    try tr.write("logits", shape: [n, g.types.count, g.classCount], values: t.logits)
    try tr.write("accuracy", shape: [n], values: t.accuracy)
    try tr.write("loss", shape: [n], values: t.loss)
}
