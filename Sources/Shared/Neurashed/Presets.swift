// The paper's graphs as presets (`dl-neurashed spec NAME` prints each as a spec).
//
// fig5 — Figure 5's binary information-bottleneck example. The text gives the
// first level (7 nodes a class; class 1's types (1,2,7), (2,3,7), (4,5,7),
// (5,6,7)) and the second level's rules (the 1st and 3rd node fire on one or more
// dependents, the 2nd, dominant one on two or more), not the edges. Ours:
// b1 ← {a1, a2, a3}, b2 ← {a1 … a7} (at least 2), b3 ← {a4, a5, a6}; the class
// node takes b1, b2, b3. So types (1,2,7) and (2,3,7) fire b1 and b2, the other
// two b2 and b3: level 2 tells the two halves of a class apart while b1 and b3
// matter, and only the class once b2 dwarfs them — the appendix's account
// (I(level 2; input) → 2 bits, then → 1). Class 2 mirrors class 1 (a8 … a14,
// b4 … b6). The appendix's run: λ, η ~ U(0, 0.01), g⁺ = 1.022^(11/4)·x,
// g⁻ = 1.022^(−1/4)·x, node 7's (and its mirror's) g⁺ = 1.022^(3/4)·x.
//
// fig1 — Figures 1–2: 3 classes, 3 feature levels and the class level. Class 1's
// two types share all but their first-level detail (type 1b misses b1); class 2
// shares the level-2 node b3 and the level-3 node c2 with class 1; class 3 shares
// nothing. So an update at 1a moves 1b most, class 2 less, class 3 least (local
// elasticity, eq. 3.1).
//
// random — Theorem 1's graph: L feature levels of m nodes; on each level b₁
// shared nodes and, per class, b₂ nodes of its own, drawn at random and disjoint
// (the theorem's large-m limit, so m ≥ b₁ + K·b₂); each class's b₁ + b₂ nodes
// of a level feed its b₁ + b₂ of the next and the last ones its class node. A
// shared node fires on any dependent, a class's own on all of them, so a type
// of class j (firing its b₁ + b₂ first-level nodes) fires exactly class j's
// nodes on every level.

public enum NeurashedPreset: String, CaseIterable, Sendable {
    case fig5, fig1, random
}

/// The sizes of a `random` graph (Theorem 1).
public struct RandomGraphSize: Sendable, Equatable {
    public var nodesPerLevel = 100, levels = 3, classes = 2, shared = 2, perClass = 3

    public init(nodesPerLevel: Int = 100, levels: Int = 3, classes: Int = 2, shared: Int = 2, perClass: Int = 3) {
        self.nodesPerLevel = nodesPerLevel; self.levels = levels; self.classes = classes
        self.shared = shared; self.perClass = perClass
    }

    public func problem() -> String? {
        // Each size on its own first, so the sums below cannot overflow.
        for (v, flag) in [(nodesPerLevel, "--nodes"), (levels, "--levels"), (classes, "--classes"), (shared, "--shared"), (perClass, "--per-class")]
        where v > 50_000_000 {
            return "\(flag) \(v) is more than this tool holds (at most 5·10⁷)"
        }
        if classes > 1000 { return "a random graph has at most 1000 classes (--classes)" }
        if levels < 1 { return "a random graph needs at least 1 level (--levels)" }
        if classes < 2 { return "a random graph needs at least 2 classes (--classes)" }
        if shared < 0 || perClass < 0 || shared + perClass < 1 { return "b1 + b2 must be at least 1 (--shared, --per-class)" }
        if perClass < 1 { return "each class needs at least 1 node of its own a level (--per-class ≥ 1), or the classes cannot be told apart" }
        if nodesPerLevel < shared + classes * perClass {
            return "m = \(nodesPerLevel) nodes a level cannot hold b1 + K·b2 = \(shared + classes * perClass) disjoint nodes (raise --nodes)"
        }
        if nodesPerLevel > 50_000_000 || levels > 1000 || Double(nodesPerLevel) * Double(levels) > 4e8 {
            return "m·L = \(nodesPerLevel)·\(levels) nodes is more than this tool holds (at most 4·10⁸)"
        }
        return nil
    }
}

extension NeurashedGraph {
    public static func preset(_ p: NeurashedPreset, size: RandomGraphSize = RandomGraphSize(), seed: UInt64 = 0) throws -> NeurashedGraph {
        switch p {
        case .fig5: return figure5()
        case .fig1: return figure1()
        case .random:
            if let why = size.problem() { throw DLError.usage(why) }
            return randomGraph(size, seed: seed)
        }
    }

    static func figure5() -> NeurashedGraph {
        let slow = UpdateRule.multiply(parseFactor("1.022^3/4")!)
        var l1: [NeurashedNode] = []
        var l2: [NeurashedNode] = []
        var types: [InputType] = []
        for c in 0..<2 {
            let o = 7 * c
            for i in 1...7 { l1.append(NeurashedNode(name: "a\(o + i)", dependents: [], rule: .any, gPlus: i == 7 ? slow : nil)) }
            let deps = { (ids: [Int]) in ids.map { Int32(o + $0 - 1) } }
            l2.append(NeurashedNode(name: "b\(3 * c + 1)", dependents: deps([1, 2, 3]), rule: .any))
            l2.append(NeurashedNode(name: "b\(3 * c + 2)", dependents: deps(Array(1...7)), rule: .atLeast(2)))
            l2.append(NeurashedNode(name: "b\(3 * c + 3)", dependents: deps([4, 5, 6]), rule: .any))
            for (k, f) in [[1, 2, 7], [2, 3, 7], [4, 5, 7], [5, 6, 7]].enumerated() {
                types.append(InputType(name: "\(c + 1)\(["a", "b", "c", "d"][k])", classIndex: c, fires: deps(f), weight: 1))
            }
        }
        let classes = (0..<2).map { c in NeurashedClass(name: "class\(c + 1)", dependents: (0..<3).map { Int32(3 * c + $0) }) }
        return NeurashedGraph(levels: [l1, l2], classes: classes, types: types)
    }

    static func figure1() -> NeurashedGraph {
        let l1 = (1...10).map { NeurashedNode(name: "a\($0)", dependents: [], rule: .any) }
        func n(_ name: String, _ deps: [Int], _ rule: FiringRule) -> NeurashedNode {
            NeurashedNode(name: name, dependents: deps.map { Int32($0 - 1) }, rule: rule)
        }
        let l2 = [n("b1", [1, 2], .all), n("b2", [2, 3], .any), n("b3", [4, 5], .any),
                  n("b4", [6, 7], .any), n("b5", [8, 9], .all), n("b6", [9, 10], .any)]
        let l3 = [n("c1", [1, 2], .any), n("c2", [3], .any), n("c3", [3, 4], .all), n("c4", [5, 6], .any)]
        let classes = [NeurashedClass(name: "class1", dependents: [0, 1]), NeurashedClass(name: "class2", dependents: [1, 2]),
                       NeurashedClass(name: "class3", dependents: [3])]
        func t(_ name: String, _ c: Int, _ fires: [Int]) -> InputType {
            InputType(name: name, classIndex: c, fires: fires.map { Int32($0 - 1) }, weight: 1)
        }
        let types = [t("1a", 0, [1, 2, 4]), t("1b", 0, [2, 3, 4, 5]), t("2", 1, [5, 6, 7]), t("3", 2, [8, 9, 10])]
        return NeurashedGraph(levels: [l1, l2, l3], classes: classes, types: types)
    }

    static func randomGraph(_ z: RandomGraphSize, seed: UInt64) -> NeurashedGraph {
        var rng = RNG(seed: seed, stream: .neurashedGraph)
        let m = z.nodesPerLevel, used = z.shared + z.classes * z.perClass
        // Per level: the first `used` of a partial Fisher–Yates shuffle of 0..<m.
        var chosen: [[Int32]] = []
        for _ in 0..<z.levels {
            var perm = Array(Int32(0)..<Int32(m))
            for i in 0..<used {
                let j = i + rng.below(m - i)
                perm.swapAt(i, j)
            }
            chosen.append(Array(perm[0..<used]))
        }
        // Class j's nodes of level l: the shared ones, then its own.
        func members(_ l: Int, _ j: Int) -> [Int32] {
            Array(chosen[l][0..<z.shared]) + Array(chosen[l][(z.shared + j * z.perClass)..<(z.shared + (j + 1) * z.perClass)])
        }
        var levels: [[NeurashedNode]] = []
        for l in 0..<z.levels {
            var nodes = (0..<m).map { NeurashedNode(name: "l\(l + 1)n\($0)", dependents: [], rule: .any) }
            if l > 0 {
                var deps = [[Int32]](repeating: [], count: m)
                for j in 0..<z.classes { for to in members(l, j) { deps[Int(to)].append(contentsOf: members(l - 1, j)) } }
                for i in 0..<m where !deps[i].isEmpty {
                    let unique = Array(Set(deps[i])).sorted()
                    let shared = chosen[l][0..<z.shared].contains(Int32(i))
                    nodes[i].dependents = unique
                    nodes[i].rule = shared ? .any : .all
                }
            }
            levels.append(nodes)
        }
        let classes = (0..<z.classes).map { NeurashedClass(name: "class\($0 + 1)", dependents: members(z.levels - 1, $0).sorted()) }
        let types = (0..<z.classes).map { InputType(name: "type\($0 + 1)", classIndex: $0, fires: members(0, $0).sorted(), weight: 1) }
        return NeurashedGraph(levels: levels, classes: classes, types: types)
    }
}
