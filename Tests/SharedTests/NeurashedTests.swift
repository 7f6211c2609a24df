import XCTest
import Foundation
import Shared

final class NeurashedTests: XCTestCase {
    func testScoresAndLogitsFollowEquation21() throws {
        // fig1, λ = η = 1. Type 1a fires a1, a2, a4: b1 = 1 + 1, b2 = 1 (a2), b3 = 1 (a4);
        // c1 = b1 + b2 = 3, c2 = b3 = 1; Z1 = c1 + c2 = 4, Z2 = c2 + c3 = 1, Z3 = c4 = 0.
        let g = try NeurashedGraph.preset(.fig1)
        let ones = NeurashedState(g, .constant(1), seed: 0)
        XCTAssertEqual(g.logits(g.pathway(ofType: 0), lambda: ones.lambda, eta: ones.eta), [4, 1, 0])
        // λ scales its node's score, and through it everything above.
        var lambda = ones.lambda
        lambda[g.node(1, 0)] = 3  // b1
        XCTAssertEqual(g.logits(g.pathway(ofType: 0), lambda: lambda, eta: ones.eta), [8, 1, 0])
        // Type 3 reaches only class 3; a non-firing node's λ changes nothing.
        lambda[g.node(0, 0)] = 100
        XCTAssertEqual(g.logits(g.pathway(ofType: 3), lambda: lambda, eta: ones.eta), [0, 0, 2 * 2 * 1])
        XCTAssertEqual(softmax([0, 0]), [0.5, 0.5])
        XCTAssertEqual(softmax([1000, 0])[0], 1, accuracy: 1e-12)
    }

    func testFiringRules() {
        XCTAssertTrue(FiringRule.any.fires(1, of: 3)); XCTAssertFalse(FiringRule.any.fires(0, of: 3))
        XCTAssertTrue(FiringRule.all.fires(3, of: 3)); XCTAssertFalse(FiringRule.all.fires(2, of: 3)); XCTAssertFalse(FiringRule.all.fires(0, of: 0))
        XCTAssertTrue(FiringRule.atLeast(2).fires(2, of: 7)); XCTAssertFalse(FiringRule.atLeast(2).fires(1, of: 7))
        XCTAssertEqual(FiringRule("at-least 2"), .atLeast(2)); XCTAssertNil(FiringRule("at-least 0")); XCTAssertNil(FiringRule("most"))
        XCTAssertEqual(UpdateRule("mul:1.022^11/4"), .multiply(Foundation.pow(1.022, 2.75)))
        XCTAssertEqual(UpdateRule("add:-0.5")?.apply(0.2), 0)
        XCTAssertNil(UpdateRule("times:2")); XCTAssertNil(UpdateRule("mul:inf"))
        for bad in ["mul: ", "mul:^", "mul:2^/", "mul:^2", "mul:2^/4", "mul:2^3/", "mul:2^3^4", "mul:10^400"] { XCTAssertNil(UpdateRule(bad), bad) }
        XCTAssertNil(InitialValue("const:^"))
        // Sizes that would overflow are refused before any arithmetic.
        XCTAssertNotNil(RandomGraphSize(nodesPerLevel: 100, levels: 3, classes: Int.max / 2, shared: 2, perClass: 2).problem())
        XCTAssertNotNil(RandomGraphSize(nodesPerLevel: 100, levels: 3, classes: 2, shared: Int.max, perClass: 2).problem())
        XCTAssertNotNil(UpdateRule.multiply(1).plusProblem); XCTAssertNil(UpdateRule.multiply(1).minusProblem)
        XCTAssertNotNil(UpdateRule.multiply(1.1).minusProblem); XCTAssertNotNil(UpdateRule.add(0.1).minusProblem)
    }

    func testFigure5PathwaysAreTheAppendixs() throws {
        let g = try NeurashedGraph.preset(.fig5)
        XCTAssertEqual(g.levels.map(\.count), [14, 6])
        let names = { (t: Int, l: Int) in g.pathway(ofType: t).firing[l].map { g.levels[l][Int($0)].name } }
        XCTAssertEqual(g.types.map(\.name), ["1a", "1b", "1c", "1d", "2a", "2b", "2c", "2d"])
        XCTAssertEqual(names(0, 0), ["a1", "a2", "a7"]); XCTAssertEqual(names(0, 1), ["b1", "b2"])
        XCTAssertEqual(names(1, 1), ["b1", "b2"]); XCTAssertEqual(names(2, 1), ["b2", "b3"]); XCTAssertEqual(names(3, 1), ["b2", "b3"])
        XCTAssertEqual(names(4, 0), ["a8", "a9", "a14"]); XCTAssertEqual(names(7, 1), ["b5", "b6"])
        XCTAssertEqual(g.levels[0][6].gPlus, .multiply(Foundation.pow(1.022, 0.75)))
    }

    /// Algorithm 1 with g⁺ = x + 1, g⁻ = x from 0 counts firings: λ_F is the number
    /// of iterations whose batch fired F, η the number that fired f with its class.
    /// On fig1 with batch 1, a1, a3, a6, a8 each belong to one type only, so they
    /// count the draws of 1a, 1b, 2, 3, and every other λ and η is a sum of those.
    func testDynamicsCountFiringsUnderAdditiveRules() throws {
        let g = try NeurashedGraph.preset(.fig1)
        var s = NeurashedSettings()
        s.iterations = 500; s.batch = 1; s.every = 500; s.gPlus = .add(1); s.gMinus = .multiply(1); s.initial = .constant(0); s.seed = 4
        let (state, traj) = try trainNeurashed(g, s)
        let lam = { (l: Int, i: Int) in state.lambda[g.node(l, i - 1)] }
        let (n1a, n1b, n2, n3) = (lam(0, 1), lam(0, 3), lam(0, 6), lam(0, 8))
        XCTAssertEqual(n1a + n1b + n2 + n3, 500)
        XCTAssertGreaterThan(min(n1a, n1b, n2, n3), 80, "each of 4 equal-weight types drawn about 125 times")
        XCTAssertEqual(lam(0, 4), n1a + n1b)            // a4: 1a, 1b
        XCTAssertEqual(lam(0, 5), n1b + n2)             // a5: 1b, 2
        XCTAssertEqual(lam(1, 1), n1a)                  // b1: 1a only
        XCTAssertEqual(lam(1, 3), n1a + n1b + n2)       // b3
        XCTAssertEqual(lam(2, 2), n1a + n1b + n2)       // c2
        XCTAssertEqual(lam(2, 3), n2)                   // c3
        // η: class 1 ← c1, c2; class 2 ← c2, c3; class 3 ← c4.
        XCTAssertEqual(state.eta, [n1a + n1b, n1a + n1b, n2, n2, n3])
        XCTAssertEqual(traj.iterations, [0, 500])
        XCTAssertEqual(Array(traj.lambda.suffix(g.nodeCount)), state.lambda)
        // Same seed, same run; another seed, other draws.
        XCTAssertEqual(try trainNeurashed(g, s).state, state)
        s.seed = 5
        XCTAssertNotEqual(try trainNeurashed(g, s).state, state)
    }

    /// The lazy run (nodes off G settled only when they fire or a row is kept)
    /// against the eager twin, NeurashedStepper.step on the same batches: equal to
    /// rounding (a^k·x once where the twin multiplies k times), exact for identity g⁻.
    func testLazyRunMatchesTheEagerTwin() throws {
        // Every kind of update the lazy run settles in bulk: multiplicative and
        // additive g⁺/g⁻ (an additive g⁻ clamped at 0, g⁻ = 0), batches drawn,
        // cyclic and full, η free or held at 1.
        let cases: [(NeurashedPreset, String, (inout NeurashedSettings) -> Void)] = [
            (.fig5, "default", { _ in }),
            (.fig1, "batch 3", { $0.batch = 3 }),
            (.fig5, "full batch", { $0.fullBatch = true }),
            (.fig5, "add:0.5 / mul:0.99", { $0.gPlus = .add(0.5); $0.gMinus = .multiply(0.99) }),
            (.fig5, "add:0.5 / add:-0.01", { $0.gPlus = .add(0.5); $0.gMinus = .add(-0.01); $0.initial = .constant(0.02) }),
            (.fig1, "mul:0", { $0.gMinus = .multiply(0) }),
            (.fig1, "cyclic, batch 3", { $0.cyclic = true; $0.batch = 3 }),
            (.fig5, "fixed η", { $0.fixedEta = true }),
        ]
        for (preset, label, configure) in cases {
            let g = try NeurashedGraph.preset(preset)
            var s = NeurashedSettings()
            s.iterations = 300; s.every = 50; s.seed = 7
            configure(&s)
            let (_, lazy) = try trainNeurashed(g, s)
            var state = NeurashedState(g, s.initial, seed: s.seed, fixedEta: s.fixedEta)
            var stepper = NeurashedStepper(g, s)
            var rows: [Double] = state.lambda
            for it in 1...s.iterations {
                stepper.step(&state, batch: neurashedBatch(g, s, iteration: it))
                if it % s.every == 0 { rows += state.lambda }
            }
            XCTAssertEqual(lazy.lambda.count, rows.count, label)
            let worst = zip(lazy.lambda, rows).map { abs($0 - $1) / max(abs($1), 1e-300) }.max()!
            XCTAssertLessThan(worst, 1e-12, "\(preset) \(label)")
            XCTAssertEqual(lazy.eta.suffix(g.edgeCount).map { $0 }, state.eta, "η is updated eagerly in both (\(label))")
        }
    }

    func testWeightsSetHowOftenATypeIsDrawn() throws {
        var g = try NeurashedGraph.preset(.fig1)
        g.types[3].weight = 3  // type 3: half the draws
        var s = NeurashedSettings()
        s.iterations = 2000; s.every = 2000; s.gPlus = .add(1); s.gMinus = .multiply(1); s.initial = .constant(0)
        let (state, _) = try trainNeurashed(g, s)
        XCTAssertEqual(state.lambda[g.node(0, 7)] / 2000, 0.5, accuracy: 0.05)
    }

    func testRandomGraphIsTheorem1s() throws {
        let z = RandomGraphSize(nodesPerLevel: 40, levels: 3, classes: 3, shared: 2, perClass: 4)
        let g = try NeurashedGraph.preset(.random, size: z, seed: 9)
        XCTAssertEqual(g.levels.map(\.count), [40, 40, 40])
        XCTAssertEqual(g.classes.map(\.dependents.count), [6, 6, 6])
        var sharedNodes: [Set<Int32>] = []
        for l in 0..<3 {
            let paths = (0..<3).map { Set(g.pathway(ofType: $0).firing[l]) }
            XCTAssertTrue(paths.allSatisfy { $0.count == 6 }, "level \(l + 1): b1 + b2 nodes fire for each class")
            let common = paths[0].intersection(paths[1]).intersection(paths[2])
            XCTAssertEqual(common.count, 2, "level \(l + 1): the b1 shared nodes")
            XCTAssertEqual(paths[0].intersection(paths[1]), common)
            sharedNodes.append(common)
        }
        XCTAssertEqual(Set(g.classes[0].dependents), Set(g.pathway(ofType: 0).firing[2]))
        XCTAssertEqual(try NeurashedGraph.preset(.random, size: z, seed: 9).classes.map(\.dependents), g.classes.map(\.dependents))
        XCTAssertNotNil(RandomGraphSize(nodesPerLevel: 10, levels: 2, classes: 3, shared: 2, perClass: 3).problem())
    }

    func testSpecsRoundTrip() throws {
        for g in [try NeurashedGraph.preset(.fig5), try NeurashedGraph.preset(.fig1),
                  try NeurashedGraph.preset(.random, size: RandomGraphSize(nodesPerLevel: 12, levels: 2), seed: 1)] {
            let text = NeurashedSpec.render(g)
            let back = try NeurashedSpec.parse(text, source: "x.json")
            XCTAssertEqual(NeurashedSpec.render(back), text)
            XCTAssertEqual(back.levels.map { $0.map(\.dependents) }, g.levels.map { $0.map(\.dependents) })
            XCTAssertEqual(back.levels.map { $0.map(\.rule) }, g.levels.map { $0.map(\.rule) })
            XCTAssertEqual(back.levels.map { $0.map(\.gPlus) }, g.levels.map { $0.map(\.gPlus) })
            XCTAssertEqual(back.types.map(\.fires), g.types.map(\.fires))
        }
    }

    /// Every bad spec: one error that names the node, class or type.
    func testBadSpecsNameTheirMistake() {
        let good = #"{"levels": [["a", "b", "c"], [{"name": "x", "from": ["a", "b"], "rule": "any"}, {"name": "y", "from": ["b", "c"], "rule": "all"}]], "classes": [{"name": "P", "from": ["x"]}, {"name": "Q", "from": ["y"]}], "types": [{"name": "t1", "class": "P", "fires": ["a"]}, {"name": "t2", "class": "Q", "fires": ["b", "c"]}]}"#
        XCTAssertNoThrow(try NeurashedSpec.parse(good, source: "g.json"))
        let cases: [(String, String, String)] = [
            (#"["b", "c"], "rule": "all"}"#, #"["y", "c"], "rule": "all"}"#, "level 2 node 'y' depends on 'y' of level 2, not level 1 (a cycle"),
            (#""rule": "any"}"#, #""rule": "at-least 3"}"#, "level 2 node 'x' fires on at least 3 dependents but has only 2"),
            (#""rule": "any"}"#, #""rule": "most"}"#, "level 2 node 'x' has rule \"most\""),
            (#""fires": ["a"]"#, #""fires": ["a", "zz"]"#, "type 't1' fires 'zz', which is not a first-level node"),
            (#""fires": ["a"]"#, #""fires": ["x"]"#, "type 't1' fires 'x', which is not a first-level node"),
            (#"{"name": "t2", "class": "Q", "fires": ["b", "c"]}"#, #"{"name": "t2", "class": "P", "fires": ["b", "c"]}"#, "class 'Q' has no input types"),
            (#""class": "Q""#, #""class": "R""#, "type 't2' names class \"R\", which is not in 'classes'"),
            (#""fires": ["a"]}"#, #""fires": ["a"], "weight": -1}"#, "type 't1' has weight -1"),
            (#""fires": ["a"]}"#, #""fires": ["a"], "weight": "x"}"#, "type 't1': 'weight' is not a number"),
            (#""rule": "any"}"#, #""rule": "any", "g_minus": "mul:1.5"}"#, "level 2 node 'x': a g⁻ of b·x needs 0 ≤ b ≤ 1 (it is 1.5: that g⁻ increases λ)"),
            (#""rule": "any"}"#, #""rule": "any", "g_plus": "mul:0.5"}"#, "level 2 node 'x': a g⁺ of a·x needs a > 1"),
            (#""rule": "any"}"#, #""rule": "any", "colour": 1}"#, "level 2 node 'x' has an unknown key \"colour\""),
            (#"{"name": "P", "from": ["x"]}"#, #"{"name": "P", "from": ["a"]}"#, "class 'P' depends on 'a' of level 1, not level 2"),
            (#"["a", "b", "c"]"#, #"["a", "b", "b"]"#, "level 1 has two nodes named 'b'"),
            (#", {"name": "Q", "from": ["y"]}"#, "", "'classes' is missing or has fewer than 2 classes"),
            (#"{"levels""#, #"{levels""#, "g.json is not valid JSON"),
            (#""name": "t1""#, #""name": "t\n1""#, "an input type \"t\\n1\" has a tab, newline or other control character"),
            (#""fires": ["a"]}"#, #""fires": ["a"], "weight": 1e308}, {"name": "t3", "class": "P", "fires": ["b"], "weight": 1e308}"#, "the types' weights add up past float64's range"),
            (#""rule": "any"}"#, #""rule": "any", "g_plus": "mul:^"}"#, "level 2 node 'x': g_plus \"mul:^\" is not an update rule"),
            // The branches the cases above do not reach.
            (good, "[" + good + "]", "the top level is not an object with levels, classes and types"),
            (#""levels": [["a", "b", "c"], [{"name": "x", "from": ["a", "b"], "rule": "any"}, {"name": "y", "from": ["b", "c"], "rule": "all"}]]"#,
             #""levels": []"#, "'levels' is missing or empty"),
            (#"["a", "b", "c"], ["#, #"[], ["#, "level 1 is not a non-empty list of nodes"),
            (#"["a", "b", "c"]"#, #"["a", 7, "c"]"#, "a node of level 1 is neither a name nor an object with a name"),
            (#""from": ["a", "b"], "rule": "any""#, #""from": ["a", "a"], "rule": "any""#, "level 2 node 'x' lists a dependent twice"),
            (#""from": ["a", "b"], "rule": "any""#, #""from": "a", "rule": "any""#, "level 2 node 'x': 'from' is not a list of node names"),
            (#"{"name": "P", "from": ["x"]}"#, #""P""#, "a class is not an object with a name"),
            (#"{"name": "Q", "from": ["y"]}"#, #"{"name": "P", "from": ["y"]}"#, "two classes are named 'P'"),
            (#"{"name": "Q", "from": ["y"]}"#, #"{"name": "Q", "from": []}"#, "class 'Q' has no dependent nodes ('from')"),
            (#"{"name": "Q", "from": ["y"]}"#, #"{"name": "Q", "from": ["y", "y"]}"#, "class 'Q' lists a dependent twice"),
            (#""types": [{"name": "t1", "class": "P", "fires": ["a"]}, {"name": "t2", "class": "Q", "fires": ["b", "c"]}]"#, #""types": []"#, "'types' is missing or empty"),
            (#"{"name": "t1", "class": "P", "fires": ["a"]}"#, #"["t1"]"#, "an input type is not an object with a name"),
            (#""name": "t2""#, #""name": "t1""#, "two input types are named 't1'"),
            (#""fires": ["a"]"#, #""fires": []"#, "type 't1' fires no first-level node"),
            (#""fires": ["a"]"#, #""fires": ["a", "a"]"#, "type 't1' lists a firing node twice"),
        ]
        for (from, to, message) in cases {
            let bad = good.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(bad, good, "the case '\(message)' changed nothing")
            XCTAssertThrowsError(try NeurashedSpec.parse(bad, source: "g.json"), message) { e in
                XCTAssertTrue("\(e)".contains(message), "want '\(message)', got '\(e)'")
                XCTAssertFalse("\(e)".contains("\n"), "one line: \(e)")
            }
        }
    }

    func testOverflowIsAnErrorNotInfinity() throws {
        var s = NeurashedSettings()
        s.iterations = 100_000; s.every = 1000; s.gPlus = .multiply(2)
        XCTAssertThrowsError(try trainNeurashed(try NeurashedGraph.preset(.fig5), s)) { e in
            XCTAssertTrue("\(e)".contains("the logits overflowed by iteration"), "\(e)")
        }
    }

    /// Eq. 3.1 on fig1 with g⁺ = x + 1, g⁻ = x from λ = η = 1: an update at 1a moves
    /// 1b most, class 2 less, class 3 not at all; LE(x, x) = 1.
    func testLocalElasticityFollowsSharedPathways() throws {
        let g = try NeurashedGraph.preset(.fig1)
        var s = NeurashedSettings()
        s.gPlus = .add(1); s.gMinus = .multiply(1); s.initial = .constant(1)
        let state = NeurashedState(g, s.initial, seed: 0)
        let (le, own) = localElasticity(g, s, at: state)
        XCTAssertEqual(le[0][0], 1)
        XCTAssertGreaterThan(le[0][1], le[0][2])
        XCTAssertGreaterThan(le[0][2], 0)
        XCTAssertEqual(le[0][3], 0)
        // By hand for base 1a: its λ on a1, a2, a4, b1, b2, b3, c1, c2 and η(1←c1), η(1←c2)
        // go 1 → 2. Before, z(1a) = (4, 1, 0) (testScoresAndLogitsFollowEquation21);
        // after, b1 = 2·(2 + 2) = 8, b2 = 2·2 = 4, b3 = 2·2 = 4, c1 = 2·12 = 24, c2 = 2·4 = 8,
        // Z1 = 2·24 + 2·8 = 64, Z2 = 1·8 + 1·c3 (0) = 8, Z3 = 0: Δz = (60, 7, 0).
        XCTAssertEqual(own[0], (60.0 * 60 + 7 * 7).squareRoot(), accuracy: 1e-9)
        let bases = elasticitySummary(g, le)
        XCTAssertEqual(bases.map(\.base), [0, 1], "1a and 1b have a same-class partner; 2 and 3 none")
        XCTAssertEqual(bases[0].smallestSame, le[0][1])
        XCTAssertEqual(bases[0].largestCross, max(le[0][2], le[0][3]))
        XCTAssertTrue(bases.allSatisfy(\.holds))
        // The state is not changed by measuring, and one base's step does not leak into the next.
        XCTAssertEqual(localElasticity(g, s, at: state).le, le)
    }

    /// Figures 3–4: batches of one type grow the shared nodes fastest (b2 fires for
    /// every type of its class, b1 and b3 for half), so few nodes hold the λ mass; a
    /// full batch fires every pathway each time and grows its nodes alike.
    func testSmallBatchesLearnSparserPathways() throws {
        let g = try NeurashedGraph.preset(.fig5)
        var s = NeurashedSettings()
        s.iterations = 600; s.every = 600
        let small = sparsity(g, try trainNeurashed(g, s).state)
        s.fullBatch = true
        let full = sparsity(g, try trainNeurashed(g, s).state)
        XCTAssertEqual(small.map(\.level), [1, 2])
        XCTAssertLessThan(small[1].nodesFor90, full[1].nodesFor90)
        XCTAssertLessThan(small[1].effectiveNodes, full[1].effectiveNodes)
        XCTAssertGreaterThan(small[1].topShare, 0.5)
        // Full batch: all six level-2 nodes fire every iteration and grow by the same factor,
        // so their λ keep the start's spread: 5 or 6 of them hold 90%.
        XCTAssertGreaterThanOrEqual(full[1].nodesFor90, 5)
        // A uniform level: 2^H is its size, 90% takes 90% of its nodes.
        let flat = sparsity(g, NeurashedState(g, .constant(1), seed: 0))
        XCTAssertEqual(flat[0].effectiveNodes, 14, accuracy: 1e-9)
        XCTAssertEqual(flat[0].nodesFor90, 13)
    }

    /// Theorem 1: the simulated ratio is the appendix's expansion (exact on these
    /// disjoint graphs) and tends to (b₁ + b₂)/b₁; Theorem 2: it grows with L.
    func testTheorem1RatioMatchesTheExpansionAndLimit() throws {
        for (b1, b2) in [(1, 1), (2, 3), (4, 1)] {
            let z = RandomGraphSize(nodesPerLevel: 60, levels: 3, classes: 3, shared: b1, perClass: b2)
            let near = try theorem1Point(z, rounds: 10, c: 2, seed: 1)
            let far = try theorem1Point(z, rounds: 2000, c: 2, seed: 1)
            XCTAssertEqual(near.ratio, near.expansion, accuracy: 1e-9 * near.expansion)
            XCTAssertEqual(far.ratio, far.expansion, accuracy: 1e-9 * far.expansion)
            XCTAssertEqual(far.limit, Double(b1 + b2) / Double(b1))
            XCTAssertLessThan(abs(far.ratio - far.limit), abs(near.ratio - near.limit))
            XCTAssertEqual(far.ratio, far.limit, accuracy: 0.01)
        }
        let byDepth = try [1, 4, 16].map { try theorem1Point(RandomGraphSize(nodesPerLevel: 30, levels: $0, classes: 2, shared: 1, perClass: 2), rounds: 5, c: 1, seed: 2).ratio }
        XCTAssertEqual(byDepth[0], 3, accuracy: 1e-12)
        XCTAssertLessThan(byDepth[0], byDepth[1]); XCTAssertLessThan(byDepth[1], byDepth[2])
    }

    /// The noisy-mixture estimate on configurations with known answers: far-apart
    /// centres carry log₂(n) bits about X, coinciding ones none; the label's
    /// information is H(Y) when the classes are apart.
    func testMutualInformationEstimate() {
        let draws = NoiseDraws(types: 4, samples: 400, dims: 2, seed: 1, level: 0)
        let apart = [[0.0, 0], [1, 0], [0, 1], [1, 1]]
        let (ix, iy) = mutualInformation(apart, classes: [0, 0, 1, 1], weights: [1, 1, 1, 1], noise: 0.01, draws: draws)
        XCTAssertEqual(ix, 2, accuracy: 1e-6); XCTAssertEqual(iy, 1, accuracy: 1e-6)
        // Types 1, 2 of class 0 at one point, types 3, 4 of class 1 at another: 1 bit each.
        let paired = [[0.0, 0], [0, 0], [1, 1], [1, 1]]
        let (px, py) = mutualInformation(paired, classes: [0, 0, 1, 1], weights: [1, 1, 1, 1], noise: 0.01, draws: draws)
        XCTAssertEqual(px, 1, accuracy: 1e-6); XCTAssertEqual(py, 1, accuracy: 1e-6)
        let (zx, zy) = mutualInformation([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], classes: [0, 0, 1, 1], weights: [1, 1, 1, 1], noise: 0.1, draws: draws)
        XCTAssertEqual(zx, 0, accuracy: 1e-9); XCTAssertEqual(zy, 0, accuracy: 1e-9)
        // Noise as large as the spacing loses part of it, never more than all.
        let (nx, _) = mutualInformation(apart, classes: [0, 0, 1, 1], weights: [1, 1, 1, 1], noise: 0.5, draws: draws)
        XCTAssertGreaterThan(nx, 0.2); XCTAssertLessThan(nx, 1.5)
        // Unequal weights: p(x) follows them, I(T; X) = H(X) when apart.
        let (wx, _) = mutualInformation(apart, classes: [0, 0, 1, 1], weights: [2, 1, 1, 0.0001], noise: 0.01, draws: draws)
        XCTAssertEqual(wx, 1.5, accuracy: 0.01)
    }

    /// A level's two views on fig1 at λ = 1: the factors of the firing nodes, or
    /// their scores (eq. 2.1's S), each scaled by the largest norm over the types.
    func testLevelViews() throws {
        let g = try NeurashedGraph.preset(.fig1)
        let ones = [Double](repeating: 1, count: g.nodeCount)
        // Level 2 scores: 1a (2, 1, 1, 0, 0, 0), 1b (0, 2, 2, 0, 0, 0), 2 (0, 0, 1, 2, 0, 0), 3 (0, 0, 0, 0, 2, 2): largest norm √8.
        let scores = levelRepresentation(g, ones, level: 1, view: .scores)
        XCTAssertEqual(scores[0], [2, 1, 1, 0, 0, 0].map { $0 / 8.0.squareRoot() })
        XCTAssertEqual(scores[3], [0, 0, 0, 0, 2, 2].map { $0 / 8.0.squareRoot() })
        // Factors: 1 on the firing nodes; 1a fires b1, b2, b3 (norm √3, the largest).
        let factors = levelRepresentation(g, ones, level: 1)
        XCTAssertEqual(factors[0], [1, 1, 1, 0, 0, 0].map { $0 / 3.0.squareRoot() })
        XCTAssertEqual(g.scores(g.pathway(ofType: 0), lambda: ones, upTo: 2).map { $0.reduce(0, +) }, [3, 4, 4])
    }

    /// Figure 5 (the appendix): on fig5 with its update rules, level 2 tells the two
    /// halves of each class apart at first (2 bits about the 8 types), and only the
    /// class once b2 dwarfs b1 and b3 (1 bit); about the label it keeps 1 bit.
    func testFigure5BottleneckOnLevel2() throws {
        let g = try NeurashedGraph.preset(.fig5)
        var s = NeurashedSettings()
        s.iterations = 400; s.every = 400
        let (_, traj) = try trainNeurashed(g, s)
        let draws = NoiseDraws(types: 8, samples: 200, dims: 6, seed: 0, level: 1)
        let mi = (0..<2).map { k in
            mutualInformation(levelRepresentation(g, Array(traj.lambda[(k * g.nodeCount)..<((k + 1) * g.nodeCount)]), level: 1),
                              classes: g.types.map(\.classIndex), weights: g.types.map(\.weight), noise: 0.1, draws: draws)
        }
        XCTAssertEqual(mi[0].input, 2, accuracy: 0.05)
        XCTAssertEqual(mi[1].input, 1, accuracy: 0.01)
        XCTAssertEqual(mi[0].label, 1, accuracy: 0.01); XCTAssertEqual(mi[1].label, 1, accuracy: 0.01)
    }
}
