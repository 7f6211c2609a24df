import Foundation

// Implicit regularization (neurashed §3, Figures 3–4): small batches grow the
// nodes many pathways share faster than the rest, so the learned pathways are
// sparse; a full batch fires every pathway every time and grows them alike. The
// measure, per level: how few nodes hold 90% of the level's λ mass, the largest
// node's share, and the effective number of nodes 2^H of the λ distribution.

public struct LevelSparsity: Equatable, Sendable {
    public var level: Int
    public var nodes: Int
    /// The fewest nodes whose λ add up to 90% of the level's.
    public var nodesFor90: Int
    public var topShare: Double
    /// 2^H for H the entropy (bits) of λ / Σλ over the level.
    public var effectiveNodes: Double
}

public func sparsity(_ g: NeurashedGraph, _ state: NeurashedState) -> [LevelSparsity] {
    g.levels.indices.map { l in
        let lam = Array(state.lambda[g.levelStart[l]..<g.levelStart[l + 1]]).sorted(by: >)
        let total = lam.reduce(0, +)
        guard total > 0 else { return LevelSparsity(level: l + 1, nodes: lam.count, nodesFor90: 0, topShare: .nan, effectiveNodes: 0) }
        var acc = 0.0, k = 0
        while k < lam.count && acc < 0.9 * total { acc += lam[k]; k += 1 }
        let h = lam.reduce(0.0) { $1 > 0 ? $0 - ($1 / total) * Foundation.log2($1 / total) : $0 }
        return LevelSparsity(level: l + 1, nodes: lam.count, nodesFor90: k, topShare: lam[0] / total, effectiveNodes: Foundation.pow(2, h))
    }
}
