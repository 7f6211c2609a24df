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

/// The median LE over pairs of distinct types of the same class, and of different
/// classes (medians: a base whose own logits hardly move makes ratios in the millions).
public func elasticitySummary(_ g: NeurashedGraph, _ le: [[Double]]) -> (same: Double, cross: Double) {
    var same = [Double](), cross = [Double]()
    for b in g.types.indices {
        for t in g.types.indices where t != b && le[b][t].isFinite {
            if g.types[b].classIndex == g.types[t].classIndex { same.append(le[b][t]) } else { cross.append(le[b][t]) }
        }
    }
    let median = { (v: [Double]) -> Double in
        guard !v.isEmpty else { return .nan }
        let o = v.sorted(), n = o.count
        return n % 2 == 1 ? o[n / 2] : (o[n / 2 - 1] + o[n / 2]) / 2
    }
    return (median(same), median(cross))
}
