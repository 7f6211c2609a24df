import Foundation

// Theorem 1 (the appendix): on a `random` graph, g⁺(x) = x + c and g⁻(x) = x,
// equal class counts, a step of Algorithm 1 at class j changes class j's logit of
// a class-j input by ΔZ_j and class j′'s logit of a class-j′ input by ΔZ_j′, with
// ΔZ_j / ΔZ_j′ → (b₁ + b₂)/b₁ as the iterations grow; Theorem 2: the ratio grows
// without bound with the number of levels L. The run: λ from 0, η = 1 held (the
// theorem's expansion counts λ's levels only), each class's type trained t times
// in turn; then one step at class 1's type. On this graph every firing node at
// level l scores λ_F times its level's sum below, so the logit is exactly
//   Z_j = Π_l Λ_l,   Λ_l = c·t·b₂ + c·K·t·b₁  (own nodes fired t times, shared K·t),
// and the appendix's expansion
//   ΔZ_j = (c(t+1)b₂ + c(Kt+1)b₁)^L − (ctb₂ + cKtb₁)^L,
//   ΔZ_j′ = (ctb₂ + c(Kt+1)b₁)^L − (ctb₂ + cKtb₁)^L
// holds to rounding; the simulation is checked against it.

public struct Theorem1Point: Sendable {
    public var size: RandomGraphSize
    public var rounds: Int
    public var c: Double
    /// ΔZ_j / mean over j′ ≠ j of ΔZ_j′, from the simulation.
    public var ratio: Double
    /// (b₁ + b₂)/b₁.
    public var limit: Double
    /// The appendix's expansion at this t.
    public var expansion: Double
}

public func theorem1Point(_ size: RandomGraphSize, rounds t: Int, c: Double, seed: UInt64) throws -> Theorem1Point {
    let g = try NeurashedGraph.preset(.random, size: size, seed: seed)
    var s = NeurashedSettings()
    s.gPlus = .add(c); s.gMinus = .multiply(1); s.initial = .constant(0)
    s.fixedEta = true; s.cyclic = true; s.batch = 1
    s.iterations = t * size.classes; s.every = max(1, s.iterations); s.seed = seed
    let (state, _) = try trainNeurashed(g, s)
    var stepper = NeurashedStepper(g, s)
    var after = state
    stepper.step(&after, batch: [0])
    func delta(_ type: Int) -> Double {
        let j = g.types[type].classIndex
        return g.logits(stepper.pathways[type], lambda: after.lambda, eta: after.eta)[j]
            - g.logits(stepper.pathways[type], lambda: state.lambda, eta: state.eta)[j]
    }
    let others = (1..<g.types.count).map(delta)
    let ratio = delta(0) / (others.reduce(0, +) / Double(others.count))
    let (b1, b2, k, l) = (Double(size.shared), Double(size.perClass), Double(size.classes), Double(size.levels))
    let tt = Double(t)
    let base = c * tt * b2 + c * k * tt * b1
    let expansion = (Foundation.pow(c * (tt + 1) * b2 + c * (k * tt + 1) * b1, l) - Foundation.pow(base, l))
        / (Foundation.pow(c * tt * b2 + c * (k * tt + 1) * b1, l) - Foundation.pow(base, l))
    return Theorem1Point(size: size, rounds: t, c: c, ratio: ratio, limit: b1 > 0 ? (b1 + b2) / b1 : .infinity, expansion: expansion)
}

/// Theorem 1's grid: every (m, L, b₁, b₂) of the lists, each with every t, K
/// classes; each graph size must hold its nodes, and no point may train more
/// than 10⁹ iterations.
public func theorem1Grid(nodes: [Int], levels: [Int], shared: [Int], perClass: [Int], rounds: [Int],
                         classes: Int) throws -> [(size: RandomGraphSize, rounds: Int)] {
    var out: [(size: RandomGraphSize, rounds: Int)] = []
    for m in nodes {
        for l in levels {
            for b1 in shared {
                for b2 in perClass {
                    let z = RandomGraphSize(nodesPerLevel: m, levels: l, classes: classes, shared: b1, perClass: b2)
                    if let why = z.problem() { throw DLError.usage("m = \(m), L = \(l), b1 = \(b1), b2 = \(b2): \(why)") }
                    for t in rounds {
                        guard t <= 1_000_000_000 / classes else {
                            throw DLError.usage("--grid-rounds \(t) × \(classes) classes is more than 10⁹ iterations")
                        }
                        out.append((z, t))
                    }
                }
            }
        }
    }
    return out
}
