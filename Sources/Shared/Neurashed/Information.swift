import Foundation

// The information bottleneck (Figure 5, right; the appendix): the mutual
// information of a level's representation T with the input type X and with the
// label Y over training. T for type x is the vector of the level's amplification
// factors λ_F on x's pathway (0 for nodes not firing; or their scores S_F), divided
// by the largest such norm over the types at that iteration (λ grows
// geometrically; the picture is its shape), plus
// isotropic Gaussian noise of standard deviation σ — noise "as in Shwartz-Ziv
// and Tishby", whose binning it replaces by a smooth kernel (Saxe et al.'s and
// Kolchinsky's noisy-representation estimate). T is then a mixture of Gaussians
// with known centres, and
//   I(T; X) = E_x E_{t ~ N(s_x, σ²)} [log p(t | x) − log p(t)],
//   I(T; Y) = E_x E_t [log p(t | y(x)) − log p(t)],
// p(t) = Σ_x' w_x' N(t; s_x', σ²), p(t | y) the same over class y's types, are
// computed by Monte Carlo with the same standard normal draws at every
// iteration (common random numbers: a curve's wiggles are the model's, not
// the sampler's), in bits. I(T; X) ≤ log₂(types), I(T; Y) ≤ H(Y).

/// What a level shows of an input: its firing nodes' amplification factors λ_F
/// (the appendix's account: "the amplification factors of the 1st and 3rd nodes
/// become negligible compared with that of the 2nd"), or their scores S_F (λ_F
/// times the scores below).
public enum LevelView: String, CaseIterable, Sendable { case factors, scores }

/// A level's representation of every type: [types][level size], each row a
/// type's factors or scores (0 off its pathway), scaled by the largest row norm.
/// `pathways`: each type's (computed once for many calls; nil: from the graph).
public func levelRepresentation(_ g: NeurashedGraph, _ lambda: [Double], level l: Int, view: LevelView = .factors,
                                pathways: [Pathway]? = nil) -> [[Double]] {
    let paths = pathways ?? g.types.indices.map { g.pathway(ofType: $0) }
    let rows: [[Double]] = paths.map { p in
        if view == .factors {
            var r = [Double](repeating: 0, count: g.levels[l].count)
            for i in p.firing[l] { r[Int(i)] = lambda[g.node(l, Int(i))] }
            return r
        }
        return g.scores(p, lambda: lambda, upTo: l)[l]
    }
    let top = rows.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max() ?? 0
    return top > 0 ? rows.map { $0.map { $0 / top } } : rows
}

/// Monte Carlo draws for `mutualInformation`: standard normals [types][samples][dims].
public struct NoiseDraws: Sendable {
    let z: [Double]
    let types: Int, samples: Int, dims: Int
    public init(types: Int, samples: Int, dims: Int, seed: UInt64, level: Int) {
        var rng = RNG(seed: seed, stream: .neurashedNoise, index: UInt64(level))
        z = (0..<(types * samples * dims)).map { _ in rng.normal() }
        self.types = types; self.samples = samples; self.dims = dims
    }
}

/// (I(T; X), I(T; Y)) in bits for centres s_x (rows), classes y(x), weights w_x, noise σ.
public func mutualInformation(_ centres: [[Double]], classes: [Int], weights: [Double], noise sigma: Double,
                              draws: NoiseDraws) -> (input: Double, label: Double) {
    let n = centres.count, d = draws.dims
    let wsum = weights.reduce(0, +)
    let w = weights.map { $0 / wsum }
    var classWeight: [Int: Double] = [:]
    for (x, y) in classes.enumerated() { classWeight[y, default: 0] += w[x] }
    var ix = 0.0, iy = 0.0
    var logk = [Double](repeating: 0, count: n)
    for x in 0..<n {
        for s in 0..<draws.samples {
            let base = (x * draws.samples + s) * d
            // log N(t; s_x', σ²) up to the shared constant, for every x'.
            for x2 in 0..<n {
                var q = 0.0
                for k in 0..<d {
                    let t = centres[x][k] + sigma * draws.z[base + k]
                    let e = t - centres[x2][k]
                    q += e * e
                }
                logk[x2] = -q / (2 * sigma * sigma)
            }
            let top = logk.max()!
            var all = 0.0, own = 0.0
            for x2 in 0..<n {
                let v = w[x2] * Foundation.exp(logk[x2] - top)
                all += v
                if classes[x2] == classes[x] { own += v }
            }
            let logAll = Foundation.log(all) + top
            let logOwnClass = Foundation.log(own / classWeight[classes[x]]!) + top
            ix += w[x] * (logk[x] - logAll)
            iy += w[x] * (logOwnClass - logAll)
        }
    }
    let scale = 1 / (Double(draws.samples) * Foundation.log(2))
    return (max(0, ix * scale), max(0, iy * scale))
}

/// One row of Figure 5's table: a level's mutual informations at a kept iteration.
public struct InformationRow: Sendable {
    public var iteration: Int
    /// 1-based.
    public var level: Int
    /// I(level; input type) and I(level; label), in bits.
    public var input: Double
    public var label: Double
}

/// Figure 5 over a run: Algorithm 1 under `s`, then at every kept iteration each
/// level's view of every type (`view`), its noisy mixture's two mutual
/// informations by Monte Carlo (`samples` draws a type, the same at every
/// iteration). `onIteration(done, kept)` reports the kept iterations done of all.
public func informationOverTraining(_ g: NeurashedGraph, _ s: NeurashedSettings, view: LevelView, noise: Double, samples: Int,
                                    onIteration: (Int, Int) -> Void = { _, _ in }) throws -> [InformationRow] {
    guard g.types.count <= 4096 else {
        throw DLError.usage("the estimate compares every pair of types; \(g.types.count) types are too many (at most 4096)")
    }
    let drawBytes = 8 * Double(g.types.count) * Double(samples) * Double(g.levels.map(\.count).max()!)
    guard drawBytes <= trajectoryByteLimit else {
        throw DLError.usage("the Monte Carlo draws would take \(formatBytes(Int(drawBytes)))", hint: "lower --samples")
    }
    let (_, traj) = try trainNeurashed(g, s)
    let draws = g.levels.indices.map { NoiseDraws(types: g.types.count, samples: samples, dims: g.levels[$0].count, seed: s.seed, level: $0) }
    let classes = g.types.map(\.classIndex), weights = g.types.map(\.weight)
    let pathways = g.types.indices.map { g.pathway(ofType: $0) }
    var rows: [InformationRow] = []
    for (k, it) in traj.iterations.enumerated() {
        let lambda = Array(traj.lambda[(k * g.nodeCount)..<((k + 1) * g.nodeCount)])
        for l in g.levels.indices {
            let rep = levelRepresentation(g, lambda, level: l, view: view, pathways: pathways)
            let (ix, iy) = mutualInformation(rep, classes: classes, weights: weights, noise: noise, draws: draws[l])
            rows.append(InformationRow(iteration: it, level: l + 1, input: ix, label: iy))
        }
        onIteration(k + 1, traj.iterations.count)
    }
    return rows
}
