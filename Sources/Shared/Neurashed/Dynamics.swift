import Foundation

// Training dynamics of neurashed (Algorithm 1): each iteration draws a mini-batch
// of B input types, with replacement, in proportion to their weights (so a class
// comes up as often as its share of the samples); G is the union of their
// feature pathways. Every feature node F in G gets λ_F ← g⁺(λ_F) (eq. 2.2), every
// other one λ_F ← g⁻(λ_F) (eq. 2.3), each by its own rule where the spec gives
// one; an edge f → F_j gets g⁺ when f is in G and class j is in the batch, else
// g⁻. Trajectories (λ, η, every type's logits, accuracy, loss) are kept at
// iteration 0 and every K iterations, and at the last.

/// λ and η at the start: a constant, or independent U(0, ε) draws.
public enum InitialValue: Equatable, Sendable, CustomStringConvertible {
    case constant(Double)
    case uniform(Double)

    /// "const:V" or "uniform:EPS".
    public init?(_ text: String) {
        let p = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard p.count == 2, let v = parseFactor(p[1]), v.isFinite, v >= 0 else { return nil }
        switch p[0].lowercased() {
        case "const", "constant": self = .constant(v)
        case "uniform": guard v > 0 else { return nil }; self = .uniform(v)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .constant(let v): return "const:\(v)"
        case .uniform(let e): return "uniform:\(e)"
        }
    }
}

public struct NeurashedSettings: Sendable {
    public var iterations = 1000
    public var batch = 1
    /// Every type in every batch, once (gradient descent; `batch` unused).
    public var fullBatch = false
    /// Batches of `batch` types taken in turn (type 1, 2, …, 1, …) instead of
    /// drawn: equal counts per type, as Theorem 1 assumes.
    public var cyclic = false
    /// η = 1 throughout: a logit is the sum of its class's last-level scores
    /// (Theorem 1's expansion counts λ's levels only).
    public var fixedEta = false
    /// Keep the trajectory every this many iterations.
    public var every = 10
    /// The appendix's rules (Figure 5).
    public var gPlus = UpdateRule.multiply(parseFactor("1.022^11/4")!)
    public var gMinus = UpdateRule.multiply(parseFactor("1.022^-1/4")!)
    public var initial = InitialValue.uniform(0.01)
    public var seed: UInt64 = 0

    public init() {}

    public func problem() -> String? {
        if iterations < 0 || iterations > 1_000_000_000 { return "--iterations must lie in 0…10⁹" }
        if batch < 1 || batch > 1_000_000 { return "--batch-size must lie in 1…10⁶" }
        if every < 1 { return "--every must be at least 1" }
        if fullBatch && cyclic { return "--full-batch and --cyclic are two ways of choosing batches: take one" }
        if let p = gPlus.plusProblem { return "--g-plus: \(p)" }
        if let p = gMinus.minusProblem { return "--g-minus: \(p)" }
        return nil
    }
}

/// λ over the feature nodes and η over the class edges (NeurashedGraph's numbering).
public struct NeurashedState: Equatable, Sendable {
    public var lambda: [Double]
    public var eta: [Double]

    public init(_ g: NeurashedGraph, _ initial: InitialValue, seed: UInt64, fixedEta: Bool = false) {
        self.init(g, initial, seed: seed)
        if fixedEta { eta = [Double](repeating: 1, count: g.edgeCount) }
    }

    public init(_ g: NeurashedGraph, _ initial: InitialValue, seed: UInt64) {
        switch initial {
        case .constant(let v):
            lambda = [Double](repeating: v, count: g.nodeCount)
            eta = [Double](repeating: v, count: g.edgeCount)
        case .uniform(let e):
            var rng = RNG(seed: seed, stream: .neurashedInit)
            // U(0, ε): (0, 1) by 1 − uniform() ∈ (0, 1].
            lambda = (0..<g.nodeCount).map { _ in e * (1 - rng.uniform()) }
            eta = (0..<g.edgeCount).map { _ in e * (1 - rng.uniform()) }
        }
    }
}

/// What a run kept: at each kept iteration, λ, η, every type's logits, accuracy, loss.
public struct NeurashedTrajectory: Sendable {
    public var iterations: [Int] = []
    /// [T, nodes], [T, edges], [T, types, classes] row-major.
    public var lambda: [Double] = [], eta: [Double] = [], logits: [Double] = []
    /// The weighted share of types whose own class has the strictly largest logit,
    /// and the weighted mean of −log p_class.
    public var accuracy: [Double] = [], loss: [Double] = []
    /// Seconds of the iterations alone (no start, no kept rows): the speed a run is timed by.
    public var stepSeconds = 0.0
}

extension NeurashedGraph {
    /// Every type's logits under `state`: [types, classes] row-major.
    public func allLogits(_ state: NeurashedState, pathways: [Pathway]) -> [Double] {
        pathways.flatMap { logits($0, lambda: state.lambda, eta: state.eta) }
    }

    /// (accuracy, loss) of logits for every type.
    public func score(_ z: [Double]) -> (accuracy: Double, loss: Double) {
        let k = classCount
        var right = 0.0, loss = 0.0, total = 0.0
        for (t, type) in types.enumerated() {
            let row = Array(z[(t * k)..<((t + 1) * k)])
            let own = row[type.classIndex]
            if row.enumerated().allSatisfy({ $0.offset == type.classIndex || $0.element < own }) { right += type.weight }
            loss -= type.weight * Foundation.log(max(softmax(row)[type.classIndex], Double.leastNonzeroMagnitude))
            total += type.weight
        }
        return (right / total, loss / total)
    }
}

/// One step of Algorithm 1 on a state: the update rules resolved per node, and
/// the marks that make G's membership a comparison.
public struct NeurashedStepper {
    let g: NeurashedGraph
    let s: NeurashedSettings
    let plus: [UpdateRule], minus: [UpdateRule]
    /// Flat indices of each type's pathway.
    public let pathways: [Pathway]
    let flatPaths: [[Int]]
    var stamp: [Int], classStamp: [Int]
    var mark = 0

    public init(_ g: NeurashedGraph, _ s: NeurashedSettings) {
        self.g = g; self.s = s
        plus = g.levels.flatMap { $0.map { $0.gPlus ?? s.gPlus } }
        minus = g.levels.flatMap { $0.map { $0.gMinus ?? s.gMinus } }
        pathways = g.types.indices.map { g.pathway(ofType: $0) }
        flatPaths = pathways.map { $0.flat(g) }
        // The marks are the eager step's own; a lazy run keeps its own, so they wait for a first step.
        stamp = []
        classStamp = []
    }

    /// λ_F ← g⁺(λ_F) on G, the union of `batch`'s pathways, g⁻ elsewhere (eqs. 2.2,
    /// 2.3); η_{fF_j} ← g⁺ when f ∈ G and class j is in the batch, else g⁻.
    public mutating func step(_ state: inout NeurashedState, batch: [Int]) {
        if stamp.isEmpty {
            stamp = [Int](repeating: 0, count: g.nodeCount)
            classStamp = [Int](repeating: 0, count: g.classCount)
        }
        mark += 1
        for t in batch {
            for f in flatPaths[t] { stamp[f] = mark }
            classStamp[g.types[t].classIndex] = mark
        }
        for f in 0..<g.nodeCount { state.lambda[f] = stamp[f] == mark ? plus[f].apply(state.lambda[f]) : minus[f].apply(state.lambda[f]) }
        updateEta(g, s, &state.eta, stamp: stamp, classStamp: classStamp, mark: mark)
    }
}

/// η_{fF_j} ← g⁺ when f is in G (stamp[f] == mark) and class j in the batch
/// (classStamp[j] == mark), else g⁻; nothing with --fixed-eta. The eager step and
/// the lazy run share it: η has few edges, so both update it eagerly.
func updateEta(_ g: NeurashedGraph, _ s: NeurashedSettings, _ eta: inout [Double], stamp: [Int], classStamp: [Int], mark: Int) {
    if s.fixedEta { return }
    let last = g.levels.count - 1
    for j in 0..<g.classCount {
        let on = classStamp[j] == mark
        for (e, f) in g.classes[j].dependents.enumerated() {
            let i = g.edgeStart[j] + e
            eta[i] = on && stamp[g.node(last, Int(f))] == mark ? s.gPlus.apply(eta[i]) : s.gMinus.apply(eta[i])
        }
    }
}

/// Iteration `it`'s batch under `s`: every type (full batch), B types in turn
/// (cyclic), or B drawn by weight with replacement.
public func neurashedBatch(_ g: NeurashedGraph, _ s: NeurashedSettings, iteration it: Int) -> [Int] {
    var cumulative: [Double] = []
    var acc = 0.0
    for t in g.types { acc += t.weight; cumulative.append(acc) }
    return batchFor(g, s, cumulative: cumulative, iteration: it)
}

func batchFor(_ g: NeurashedGraph, _ s: NeurashedSettings, cumulative: [Double], iteration it: Int) -> [Int] {
    if s.fullBatch { return Array(g.types.indices) }
    if s.cyclic {
        let start = ((it - 1) % g.types.count) * (s.batch % g.types.count) % g.types.count
        return (0..<s.batch).map { (start + $0) % g.types.count }
    }
    return drawBatch(cumulative: cumulative, size: s.batch, seed: s.seed, iteration: it)
}

/// Iteration `it`'s mini-batch: B types drawn by weight, with replacement.
func drawBatch(cumulative: [Double], size: Int, seed: UInt64, iteration it: Int) -> [Int] {
    var rng = RNG(seed: seed, stream: .neurashedBatches, index: UInt64(it))
    let total = cumulative.last!
    return (0..<size).map { _ in
        let u = rng.uniform() * total
        var lo = 0, hi = cumulative.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > u { hi = mid } else { lo = mid + 1 } }
        return lo
    }
}

/// Bytes a run keeps: λ, η and the logits at every kept iteration.
public func trajectoryBytes(_ g: NeurashedGraph, _ s: NeurashedSettings) -> Double {
    let keeps = Double(s.iterations / max(1, s.every) + 2)
    return keeps * Double(g.nodeCount + g.edgeCount + g.types.count * g.classCount) * 8
}

/// At most this much trajectory is kept in memory (a 24 GiB machine).
public let trajectoryByteLimit = 8.0 * Double(1 << 30)

/// Throws the usage error a run of `s` on `g` would meet before it starts.
public func checkRun(_ g: NeurashedGraph, _ s: NeurashedSettings) throws {
    if let why = s.problem() { throw DLError.usage(why) }
    let bytes = trajectoryBytes(g, s)
    guard bytes <= trajectoryByteLimit else {
        throw DLError.usage("keeping λ, η and the logits every \(s.every) iterations takes \(formatBytes(Int(bytes))), more than \(formatBytes(Int(trajectoryByteLimit)))",
                            hint: "raise --every or lower --iterations")
    }
}

/// Runs Algorithm 1; `onRecord(iteration)` after each kept iteration (progress).
/// Throws when λ or η overflow (a multiplicative g⁺ over too many iterations).
public func trainNeurashed(_ g: NeurashedGraph, _ s: NeurashedSettings,
                           onRecord: (Int) -> Void = { _ in }) throws -> (state: NeurashedState, trajectory: NeurashedTrajectory) {
    try checkRun(g, s)
    var state = NeurashedState(g, s.initial, seed: s.seed, fixedEta: s.fixedEta)
    let stepper = NeurashedStepper(g, s)
    var traj = NeurashedTrajectory()
    func keep(_ t: Int) throws {
        let z = g.allLogits(state, pathways: stepper.pathways)
        guard z.allSatisfy(\.isFinite) else {
            throw DLError.input("the logits overflowed by iteration \(t) (λ or η past float64's range under g⁺ = \(s.gPlus))",
                                hint: "fewer --iterations, a g⁺ closer to x, or an additive g⁺ (add:C)")
        }
        let (a, l) = g.score(z)
        traj.iterations.append(t)
        traj.lambda += state.lambda; traj.eta += state.eta; traj.logits += z
        traj.accuracy.append(a); traj.loss.append(l)
        onRecord(t)
    }
    try keep(0)
    guard s.iterations > 0 else { return (state, traj) }
    var cumulative: [Double] = []
    var acc = 0.0
    for t in g.types { acc += t.weight; cumulative.append(acc) }
    // Lazily: a node off G only owes g⁻ once more, so it is left alone and settled
    // (g⁻ applied as often as it was owed) when it next fires or a row is kept. An
    // iteration costs its pathways, not the whole graph; NeurashedStepper.step is
    // the eager twin the tests compare with.
    var touched = [Int](repeating: 0, count: g.nodeCount)
    var stamp = [Int](repeating: 0, count: g.nodeCount)
    var classStamp = [Int](repeating: 0, count: g.classCount)
    var clock = monotonicSeconds()
    for it in 1...s.iterations {
        let batch = batchFor(g, s, cumulative: cumulative, iteration: it)
        state.lambda.withUnsafeMutableBufferPointer { lam in
            for t in batch {
                classStamp[g.types[t].classIndex] = it
                for f in stepper.flatPaths[t] where stamp[f] != it {
                    stamp[f] = it
                    lam[f] = stepper.plus[f].apply(stepper.minus[f].apply(lam[f], times: it - 1 - touched[f]))
                    touched[f] = it
                }
            }
        }
        updateEta(g, s, &state.eta, stamp: stamp, classStamp: classStamp, mark: it)
        if it % s.every == 0 || it == s.iterations {
            traj.stepSeconds += monotonicSeconds() - clock
            for f in 0..<g.nodeCount where touched[f] < it {
                state.lambda[f] = stepper.minus[f].apply(state.lambda[f], times: it - touched[f])
                touched[f] = it
            }
            try keep(it)
            clock = monotonicSeconds()
        }
    }
    return (state, traj)
}
