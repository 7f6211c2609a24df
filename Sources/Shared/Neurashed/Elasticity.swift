// Local elasticity (neurashed eq. 3.1): the impact of one update at a base input
// x on the prediction at x′,
//   LE(x, x′) = ‖z(x′, w⁺) − z(x′, w)‖ / ‖z(x, w⁺) − z(x, w)‖,
// with w⁺ the state after one step of Algorithm 1 on the batch {x}. Over types:
// a types × types table from one state (each base stepped from the same w).

/// LE(base, test) for every pair of types: [base][test]; NaN where the base's own
/// logits did not move. Also each base's ‖Δz(x)‖.
public func localElasticity(_ g: NeurashedGraph, _ s: NeurashedSettings, at state: NeurashedState) -> (le: [[Double]], baseChange: [Double]) {
    var stepper = NeurashedStepper(g, s)
    let before = g.types.indices.map { g.logits(stepper.pathways[$0], lambda: state.lambda, eta: state.eta) }
    var table: [[Double]] = [], own: [Double] = []
    for b in g.types.indices {
        var w = state
        stepper.step(&w, batch: [b])
        let change = g.types.indices.map { t -> Double in
            let after = g.logits(stepper.pathways[t], lambda: w.lambda, eta: w.eta)
            return zip(after, before[t]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        }
        own.append(change[b])
        table.append(change.map { change[b] > 0 ? $0 / change[b] : .nan })
    }
    return (table, own)
}

/// Local elasticity base by base, the form of the paper's claim (an update at x
/// moves x's own class more than the others): for each base type with another
/// type of its class, its smallest same-class LE and its largest cross-class LE
/// (nil when it has no other class). Pooling pairs across bases instead would
/// mix scales: a base whose own logits hardly move makes every ratio from it
/// large, same-class or not.
public struct ElasticityByBase {
    public let base: Int
    public let smallestSame: Double
    public let largestCross: Double?
    public var holds: Bool { largestCross.map { smallestSame > $0 } ?? true }
}

public func elasticitySummary(_ g: NeurashedGraph, _ le: [[Double]]) -> [ElasticityByBase] {
    g.types.indices.compactMap { b in
        let others = g.types.indices.filter { $0 != b && le[b][$0].isFinite }
        let same = others.filter { g.types[$0].classIndex == g.types[b].classIndex }.map { le[b][$0] }
        let cross = others.filter { g.types[$0].classIndex != g.types[b].classIndex }.map { le[b][$0] }
        guard let smallest = same.min() else { return nil }
        return ElasticityByBase(base: b, smallestSame: smallest, largestCross: cross.max())
    }
}
