import Foundation

// Su's neurashed (neurashed §2): levels of feature nodes; a node above the first
// fires by a rule over its dependent nodes in the level below; an input is a
// *type*, given by its firing set on the first level, and its feature pathway
// follows level by level. Every feature node F carries an amplification factor
// λ_F, every edge f → F_j into a class node a weight η_{fF_j}. Scores:
//   S_F = λ_F                     first level, F firing
//   S_F = λ_F Σ_{f → F} S_f       higher levels, F firing (non-firing f add 0)
//   S_F = 0                       F not firing
//   Z_j = Σ_{f → F_j} η_{fF_j} S_f    (eq. 2.1), p_j = softmax(Z)_j.
// Nodes are numbered level by level (level 1 first); an edge into class j is
// numbered by class, then in the order the spec lists its dependents.

/// When a node above the first level fires, by the count of its firing dependents.
public enum FiringRule: Equatable, Sendable, CustomStringConvertible {
    case any, all
    case atLeast(Int)

    /// The rule, given `firing` of `total` dependents fire.
    @inline(__always) public func fires(_ firing: Int, of total: Int) -> Bool {
        switch self {
        case .any: return firing >= 1
        case .all: return firing == total && total > 0
        case .atLeast(let t): return firing >= t
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .all: return "all"
        case .atLeast(let t): return "at-least \(t)"
        }
    }

    /// "any", "all", "at-least T" (or "at-least:T").
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "any" { self = .any; return }
        if t == "all" { self = .all; return }
        for prefix in ["at-least ", "at-least:", "atleast "] where t.hasPrefix(prefix) {
            guard let n = Int(t.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)), n >= 1 else { return nil }
            self = .atLeast(n); return
        }
        return nil
    }
}

/// An update rule g (eqs. 2.2, 2.3): a·x, or x + c (kept at 0 or above).
public enum UpdateRule: Equatable, Sendable, CustomStringConvertible {
    case multiply(Double)
    case add(Double)

    @inline(__always) public func apply(_ x: Double) -> Double {
        switch self {
        case .multiply(let a): return a * x
        case .add(let c): return max(0, x + c)
        }
    }

    public var description: String {
        switch self {
        case .multiply(let a): return "mul:\(a)"
        case .add(let c): return "add:\(c)"
        }
    }

    /// The rule applied k times (k ≥ 0): a^k·x, or max(0, x + k·c) for c ≤ 0 (for
    /// c > 0 the same, as no step clips). One step is `apply` exactly; more round
    /// once where k steps round k times.
    @inline(__always) public func apply(_ x: Double, times k: Int) -> Double {
        if k <= 0 { return x }
        if k == 1 { return apply(x) }
        switch self {
        case .multiply(let a): return Foundation.pow(a, Double(k)) * x
        case .add(let c): return max(0, x + Double(k) * c)
        }
    }

    /// "mul:A" or "add:C"; a number may be written B^E (the appendix's 1.022^(11/4) is
    /// "mul:1.022^2.75"), E also as P/Q.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let v = parseFactor(parts[1]), v.isFinite else { return nil }
        switch parts[0].lowercased() {
        case "mul", "multiply": self = .multiply(v)
        case "add": self = .add(v)
        default: return nil
        }
    }

    /// Why this rule cannot be g⁺ (increasing, g⁺(x) > x for x ≥ 0), or nil.
    public var plusProblem: String? {
        switch self {
        case .multiply(let a): return a > 1 ? nil : "a g⁺ of a·x needs a > 1 (it is \(a))"
        case .add(let c): return c > 0 ? nil : "a g⁺ of x + c needs c > 0 (it is \(c))"
        }
    }

    /// Why this rule cannot be g⁻ (increasing, 0 ≤ g⁻(x) ≤ x), or nil.
    public var minusProblem: String? {
        switch self {
        case .multiply(let b): return (0...1).contains(b) ? nil : "a g⁻ of b·x needs 0 ≤ b ≤ 1 (it is \(b)\(b > 1 ? ": that g⁻ increases λ" : ""))"
        case .add(let c): return c <= 0 ? nil : "a g⁻ of x + c needs c ≤ 0 (it is \(c): that g⁻ increases λ)"
        }
    }
}

/// "1.5", "1.022^2.75", "1.022^11/4"; nil for anything else (empty pieces included).
func parseFactor(_ s: String) -> Double? {
    let p = s.split(separator: "^", omittingEmptySubsequences: false).map(String.init)
    guard p.count <= 2, let base = Double(p[0]) else { return nil }
    if p.count == 1 { return base }
    let e = p[1].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard e.count <= 2, let num = Double(e[0]) else { return nil }
    var exponent = num
    if e.count == 2 { guard let den = Double(e[1]), den != 0 else { return nil }; exponent = num / den }
    let v = Foundation.pow(base, exponent)
    return v.isFinite ? v : nil
}

public struct NeurashedNode: Sendable {
    public var name: String
    /// Indices of the dependent nodes in the level below (empty on the first level).
    public var dependents: [Int32]
    public var rule: FiringRule
    /// Per-node g⁺ / g⁻ (the appendix gives node 7 its own g⁺); nil: the run's.
    public var gPlus: UpdateRule?
    public var gMinus: UpdateRule?
}

public struct NeurashedClass: Sendable {
    public var name: String
    /// Indices of its dependent nodes in the last feature level (the η edges).
    public var dependents: [Int32]
}

public struct InputType: Sendable {
    public var name: String
    public var classIndex: Int
    /// Its firing nodes on the first level.
    public var fires: [Int32]
    /// Its share of the training samples (relative to the other types').
    public var weight: Double
}

/// A neurashed graph: feature levels, class nodes, input types.
public struct NeurashedGraph: Sendable {
    public var levels: [[NeurashedNode]]
    public var classes: [NeurashedClass]
    public var types: [InputType]
    /// The first flat node index of each level, and the node count after the last.
    public let levelStart: [Int]
    /// The first flat edge index of each class's η edges, and the edge count last.
    public let edgeStart: [Int]

    public init(levels: [[NeurashedNode]], classes: [NeurashedClass], types: [InputType]) {
        self.levels = levels; self.classes = classes; self.types = types
        var s = [0]
        for l in levels { s.append(s.last! + l.count) }
        levelStart = s
        var e = [0]
        for c in classes { e.append(e.last! + c.dependents.count) }
        edgeStart = e
    }

    public var nodeCount: Int { levelStart.last! }
    public var edgeCount: Int { edgeStart.last! }
    public var classCount: Int { classes.count }

    /// The flat index of node i of level l (0-based).
    @inline(__always) public func node(_ l: Int, _ i: Int) -> Int { levelStart[l] + i }
}

/// A type's feature pathway: its firing nodes, level by level (sorted indices).
public struct Pathway: Equatable, Sendable {
    public var firing: [[Int32]]
    /// Flat indices of every firing node.
    public func flat(_ g: NeurashedGraph) -> [Int] {
        firing.enumerated().flatMap { l, nodes in nodes.map { g.levelStart[l] + Int($0) } }
    }
}

extension NeurashedGraph {
    /// The feature pathway of a first-level firing set, by the rules level by level.
    public func pathway(fires: [Int32]) -> Pathway {
        var firing: [[Int32]] = [fires.sorted()]
        var on = [Bool](repeating: false, count: levels[0].count)
        for i in fires { on[Int(i)] = true }
        for l in 1..<levels.count {
            var next = [Bool](repeating: false, count: levels[l].count)
            var list: [Int32] = []
            for (i, n) in levels[l].enumerated() {
                var k = 0
                for d in n.dependents where on[Int(d)] { k += 1 }
                if n.rule.fires(k, of: n.dependents.count) { next[i] = true; list.append(Int32(i)) }
            }
            firing.append(list)
            on = next
        }
        return Pathway(firing: firing)
    }

    public func pathway(ofType t: Int) -> Pathway { pathway(fires: types[t].fires) }

    /// The scores S of one pathway on levels 1…`upTo` (dense, 0 off the pathway):
    /// S_F = λ_F on level 1, λ_F Σ_{f → F} S_f above. [upTo + 1][level size].
    public func scores(_ p: Pathway, lambda: [Double], upTo last: Int) -> [[Double]] {
        var out: [[Double]] = []
        var below = [Double](repeating: 0, count: levels[0].count)
        for i in p.firing[0] { below[Int(i)] = lambda[node(0, Int(i))] }
        out.append(below)
        if last >= 1 {
            for l in 1...last {
                var here = [Double](repeating: 0, count: levels[l].count)
                for i in p.firing[l] {
                    var sum = 0.0
                    for d in levels[l][Int(i)].dependents { sum += below[Int(d)] }
                    here[Int(i)] = lambda[node(l, Int(i))] * sum
                }
                out.append(here)
                below = here
            }
        }
        return out
    }

    /// The logits Z (eq. 2.1) of one pathway. λ: [nodeCount], η: [edgeCount] → Z: [classCount].
    public func logits(_ p: Pathway, lambda: [Double], eta: [Double]) -> [Double] {
        let top = scores(p, lambda: lambda, upTo: levels.count - 1).last!
        return classes.indices.map { j in
            var z = 0.0
            for (e, f) in classes[j].dependents.enumerated() { z += eta[edgeStart[j] + e] * top[Int(f)] }
            return z
        }
    }
}

/// softmax(Z).
public func softmax(_ z: [Double]) -> [Double] {
    guard let top = z.max(), top.isFinite else { return z.map { _ in .nan } }
    let e = z.map { Foundation.exp($0 - top) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}
