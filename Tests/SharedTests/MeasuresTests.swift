import XCTest
import Foundation
import Shared

final class MeasuresTests: XCTestCase {
    func randomMatrix(_ m: Int, _ n: Int, seed: UInt64) throws -> Matrix {
        var rng = RNG(seed: seed)
        return try Matrix(shape: [m, n], storage: (0..<(m * n)).map { _ in Float(rng.normal()) })
    }

    func randomLabels(_ m: Int, classes: Int, seed: UInt64) -> [Int32] {
        var rng = RNG(seed: seed ^ 0xA5A5)
        return (0..<m).map { _ in Int32(rng.below(classes)) }
    }

    /// LSD by the normal equations, B = (ZᵀZ)⁻¹ZᵀY, in float64 plain loops: the
    /// textbook formula, fine on well-conditioned full-rank Z.
    func normalEquationsLSD(_ Z: Matrix, _ Y: Matrix64) throws -> Double {
        let Zd = Z.toDouble()
        let ZtZ = try matmul(Zd, Zd, transA: true), ZtY = try matmul(Zd, Y, transA: true)
        let B = try solve(ZtZ, ZtY)
        let m = Z.rows, n = Z.cols, K = Y.cols
        var ss = 0.0
        for i in 0..<m {
            for c in 0..<K {
                var fit = 0.0
                for j in 0..<n { fit += Zd[i, j] * B[j, c] }
                ss += (Y[i, c] - fit) * (Y[i, c] - fit)
            }
        }
        return ss / Double(m)
    }

    func testLSDIsZeroWhenTargetsLieInTheColumnSpace() throws {
        let m = 300, K = 4
        let labels = randomLabels(m, classes: K, seed: 1)
        let Y = oneHot(labels, classes: K)
        // Z = [one-hot · 2 | noise]: Y is a linear function of Z.
        let noise = try randomMatrix(m, 5, seed: 2)
        var v = [Float]()
        for i in 0..<m {
            for c in 0..<K { v.append(Y[i, c] == 1 ? 2 : 0) }
            for j in 0..<5 { v.append(noise[i, j]) }
        }
        let r = try leastSquaresDistance(try Matrix(shape: [m, K + 5], storage: v), Y)
        XCTAssertEqual(r.lsd, 0, accuracy: 1e-24)
        XCTAssertEqual(r.rank, K + 5)
        // Regression targets Y = Z·B exactly.
        let Z = try randomMatrix(m, 6, seed: 3)
        let B = try Matrix64(rows: (0..<6).map { j in [Double(j) - 2.5, 0.5 * Double(j * j)] })
        XCTAssertEqual(try leastSquaresDistance(Z, try matmul(Z.toDouble(), B)).lsd, 0, accuracy: 1e-20)
    }

    func testLSDMatchesNormalEquations() throws {
        for (m, n, K, seed) in [(400, 12, 10, UInt64(4)), (150, 30, 3, 5), (50, 1, 2, 6)] {
            let Z = try randomMatrix(m, n, seed: seed)
            let Y = oneHot(randomLabels(m, classes: K, seed: seed), classes: K)
            let got = try leastSquaresDistance(Z, Y)
            let want = try normalEquationsLSD(Z, Y)
            XCTAssertEqual(got.lsd, want, accuracy: 1e-12 * max(1, want), "m=\(m) n=\(n)")
            XCTAssertGreaterThan(got.lsd, 0.1)
            XCTAssertEqual(got.rank, n)
            // The intercept is a column of ones.
            var v = [Float]()
            for i in 0..<m { for j in 0..<n { v.append(Z[i, j]) }; v.append(1) }
            let withOnes = try normalEquationsLSD(try Matrix(shape: [m, n + 1], storage: v), Y)
            XCTAssertEqual(try leastSquaresDistance(Z, Y, intercept: true).lsd, withOnes, accuracy: 1e-12)
        }
    }

    func testLSDOfRankDeficientFeatures() throws {
        // Dead units (zero columns) and copies add nothing to the column space.
        let m = 200
        let base = try randomMatrix(m, 4, seed: 7)
        var v = [Float]()
        for i in 0..<m {
            let r = (0..<4).map { base[i, $0] }
            v += r + [0, r[1], 2 * r[2], 0]  // exact copies (×2 is exact in float32)
        }
        let Z = try Matrix(shape: [m, 8], storage: v)
        let Y = oneHot(randomLabels(m, classes: 5, seed: 8), classes: 5)
        let got = try leastSquaresDistance(Z, Y)
        XCTAssertEqual(got.rank, 4)
        XCTAssertEqual(got.lsd, try normalEquationsLSD(base, Y), accuracy: 1e-12)
        // More columns than rows: Z Z⁺ = I, nothing is left.
        let wide = try leastSquaresDistance(try randomMatrix(10, 30, seed: 9), oneHot(randomLabels(10, classes: 3, seed: 1), classes: 3))
        XCTAssertEqual(wide.lsd, 0, accuracy: 1e-20)
        XCTAssertEqual(wide.rank, 10)
        // All-zero features fit nothing: LSD = (1/m)‖Y‖² = 1 for one-hot rows.
        XCTAssertEqual(try leastSquaresDistance(Matrix(zeros: [m, 3]), Y).lsd, 1, accuracy: 1e-15)
    }

    func testLSDChunksAndThreadsAgree() throws {
        // Several TSQR rounds (chunks of 2n = 14 or 20 rows), rank-deficient columns,
        // threads: the same LSD and rank as one chunk, and as the normal equations.
        let m = 500
        let base = try randomMatrix(m, 5, seed: 11)
        var v = [Float]()
        for i in 0..<m {
            let r = (0..<5).map { base[i, $0] }
            v += r + [0, r[3]]
        }
        let Z = try Matrix(shape: [m, 7], storage: v)
        let Y = oneHot(randomLabels(m, classes: 6, seed: 12), classes: 6)
        let want = try normalEquationsLSD(base, Y)
        var results: [LSDResult] = []
        for (chunk, threads) in [(nil, 1), (14, 1), (14, 3), (20, 2), (499, 2), (1, 1)] as [(Int?, Int)] {
            let r = try leastSquaresDistance(Z, Y, threads: threads, chunkRows: chunk)
            XCTAssertEqual(r.lsd, want, accuracy: 1e-12, "chunk \(chunk ?? 0)")
            XCTAssertEqual(r.rank, 5)
            results.append(r)
        }
        // The thread count never changes the bits.
        XCTAssertEqual(results[1], results[2])
        XCTAssertEqual(try leastSquaresDistance(Z, Y, intercept: true, threads: 2, chunkRows: 16).lsd,
                       try leastSquaresDistance(Z, Y, intercept: true).lsd, accuracy: 1e-12)
    }

    func testFloat32RoundingIsNotRank() throws {
        // Z = X·W with X: [400, 5], W: [5, 300], rounded to float32: its true rank
        // is 5, and the 295 directions of rounding noise must not fit Y.
        let X = try randomMatrix(400, 5, seed: 31), W = try randomMatrix(5, 300, seed: 32)
        let Z = try matmul(X, W)
        let Y = oneHot(randomLabels(400, classes: 3, seed: 33), classes: 3)
        let got = try leastSquaresDistance(Z, Y)
        XCTAssertEqual(got.rank, 5)
        XCTAssertEqual(got.lsd, try normalEquationsLSD(X, Y), accuracy: 1e-5)
        // numpy's cut (max(m, n)·ε₆₄ relative) counts the noise.
        XCTAssertGreaterThan(try leastSquaresDistance(Z, Y, rcond: 400 * Double.ulpOfOne).rank, 5)
    }

    func testLSDRejectsNaN() throws {
        var Z = try randomMatrix(10, 2, seed: 1)
        Z[3, 1] = .nan
        XCTAssertThrowsError(try leastSquaresDistance(Z, oneHot(randomLabels(10, classes: 2, seed: 1), classes: 2)))
    }

    func testEntropyOfUniformAndPureSelections() throws {
        XCTAssertEqual(entropyBits([5, 5, 5, 5]), 2, accuracy: 1e-15)
        XCTAssertEqual(entropyBits([0, 7, 0]), 0)
        XCTAssertEqual(entropyBits([Int]()), 0)
        XCTAssertEqual(entropyBits([1, 1, 2]), 1.5, accuracy: 1e-15)
        // Feature 0 selects every sample (classes uniform over k = 8): log2 8 = 3.
        // Feature 1 selects only class 5: 0. Feature 2 selects nothing: dead.
        // Feature 3 selects classes 0 and 1 once each (values just above the cut): 1 bit.
        let k = 8, m = 64
        let labels = (0..<m).map { Int32($0 % k) }
        var v = [Float]()
        for i in 0..<m {
            let c = Int(labels[i])
            v += [1 + Float(i), c == 5 ? 0.5 : -1, 0, (i < 2) ? 0.25 : 0.2]
        }
        let h = try conditionalEntropy(try Matrix(shape: [m, 4], storage: v), labels: labels, classes: k, threshold: 0.2)
        XCTAssertEqual(h.perFeature[0], 3, accuracy: 1e-15)
        XCTAssertEqual(h.perFeature[1], 0)
        XCTAssertTrue(h.perFeature[2].isNaN)
        XCTAssertEqual(h.perFeature[3], 1, accuracy: 1e-15)
        XCTAssertEqual(h.dead, 1)
        XCTAssertEqual(h.mean, 4.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(h.selectedFraction, Double(64 + 8 + 0 + 2) / Double(4 * 64), accuracy: 1e-15)
        XCTAssertThrowsError(try conditionalEntropy(Matrix(zeros: [3, 1]), labels: [0, 1, 2], classes: 2))
    }

    func testWeightEntropy() throws {
        // 2^M distinct values spread evenly over [0, 1]: every bin once → M bits.
        for M in [1, 4, 8] {
            let levels = 1 << M
            let w = (0..<levels).map { (Float($0) + 0.5) / Float(levels) }
            XCTAssertEqual(try weightEntropy(w, bits: M), Double(M), accuracy: 1e-12)
        }
        XCTAssertEqual(try weightEntropy([0.3, 0.3, 0.3], bits: 4), 0)
        XCTAssertEqual(try weightEntropy([], bits: 4), 0)
        // Two clusters at the ends of the range: 1 bit whatever M.
        XCTAssertEqual(try weightEntropy([-1, -1, 2, 2], bits: 8), 1, accuracy: 1e-15)
        XCTAssertEqual(quantizeIndex(-1, wmin: -1, wmax: 2, levels: 16), 0)
        XCTAssertEqual(quantizeIndex(2, wmin: -1, wmax: 2, levels: 16), 15)
        XCTAssertEqual(quantizeIndex(0.5, wmin: -1, wmax: 2, levels: 16), 8)
        // A sample is seeded: same seed, same estimate; close to the full histogram.
        var rng = RNG(seed: 5)
        let w = (0..<20_000).map { _ in Float(rng.normal()) }
        let full = try weightEntropy(w, bits: 4)
        let a = try weightEntropy(w, bits: 4, sampleFraction: 0.03, seed: 1)
        XCTAssertEqual(a, try weightEntropy(w, bits: 4, sampleFraction: 0.03, seed: 1))
        XCTAssertEqual(a, full, accuracy: 0.15)
        XCTAssertThrowsError(try weightEntropy([1, .nan], bits: 4))
        XCTAssertThrowsError(try weightEntropy([1, 2], bits: 0))
    }

    func testStableRank() throws {
        XCTAssertEqual(try stableRank(try Matrix(rows: [[3, 0], [0, 4]])), 25.0 / 16, accuracy: 1e-12)
        XCTAssertEqual(try stableRank(try Matrix(rows: [[1, 2, 3], [2, 4, 6]])), 1, accuracy: 1e-12)
        XCTAssertEqual(try stableRank(Matrix(zeros: [3, 2])), 0)
        let I = try Matrix(rows: (0..<5).map { i in (0..<5).map { Float($0 == i ? 1 : 0) } })
        XCTAssertEqual(try stableRank(I), 5, accuracy: 1e-12)
    }

    func testRepresentationsFollowTheForwardPass() throws {
        var model = try MLP(widths: [3, 5, 4, 2], hidden: .tanh, head: OutputHead(.softmax))
        model.initialize(.glorot, seed: 3)
        let X = try randomMatrix(17, 3, seed: 4)
        var seen: [Int: LayerRepresentation] = [:]
        try forEachRepresentation(of: model, on: X, selections: true) { seen[$0.layer] = $0 }
        XCTAssertEqual(seen.keys.sorted(), [0, 1, 2, 3])
        XCTAssertEqual(seen[0]!.Z, X)
        // Layer 1 by hand: tanh(X W1 + b1).
        let W1 = model.weight(1), b1 = model.bias(1)
        for i in 0..<17 {
            for j in 0..<5 {
                var a: Float = b1[j]
                for t in 0..<3 { a += X[i, t] * W1[t, j] }
                XCTAssertEqual(seen[1]!.Z[i, j], tanh(a), accuracy: 1e-5)
            }
        }
        XCTAssertEqual(seen[1]!.threshold, 0)
        // The last layer is the net's output; its selection reads the logits.
        let out = try Evaluator(model: model, maxRows: 17).predict(X)
        for (a, b) in zip(seen[3]!.Z.storage, out.storage) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(seen[3]!.selection?.shape, [17, 2])
        // The selection is the logits: their softmax is the output.
        let logits = try XCTUnwrap(seen[3]!.selection)
        for r in 0..<17 {
            let row = (0..<2).map { Double(logits[r, $0]) }
            for (j, p) in referenceHead(OutputHead(.softmax), row).enumerated() { XCTAssertEqual(Double(seen[3]!.Z[r, j]), p, accuracy: 1e-6) }
        }
        // Only the layers asked for; selections read the pre-activations, so a
        // sigmoid feature selects exactly where σ(a) > 1/2 in exact arithmetic.
        let sig = try MLP(widths: model.widths, hidden: .sigmoid, head: model.head!, parameters: model.parameters)
        var layers: [Int] = []
        try forEachRepresentation(of: sig, on: X, layers: [1], selections: true) { r in
            layers.append(r.layer)
            XCTAssertEqual(r.threshold, 0)
            for (a, z) in zip(r.selection!.storage, r.Z.storage) { XCTAssertEqual(z, 1 / (1 + exp(-a)), accuracy: 1e-6) }
        }
        XCTAssertEqual(layers, [1])
        try forEachRepresentation(of: model, on: X) { XCTAssertNil($0.selection, "no copy unless asked") }
        XCTAssertThrowsError(try forEachRepresentation(of: model, on: try randomMatrix(2, 4, seed: 1)) { _ in })
    }

    func testTables() throws {
        let rows = [MeasureRow("lsd", split: "train", layer: 2, value: 0.25),
                    MeasureRow("k_redundancy", split: "test", layer: 0, param: 10, value: 1.0 / 3),
                    MeasureRow("stable_rank", layer: 1, value: 7),
                    MeasureRow("conditional_entropy", split: "train", layer: 1, value: .nan)]
        XCTAssertEqual(formatTSV(rows), """
            metric\tsplit\tlayer\tparam\tvalue
            lsd\ttrain\t2\tNA\t0.25
            k_redundancy\ttest\t0\t10\t0.333333333
            stable_rank\tNA\t1\tNA\t7
            conditional_entropy\ttrain\t1\tNA\tNA

            """)
        XCTAssertFalse(formatTSV(rows, header: false).hasPrefix("metric"))
        let parsed = try JSONSerialization.jsonObject(with: Data(formatJSON(rows).utf8)) as! [[String: Any]]
        XCTAssertEqual(parsed.count, 4)
        XCTAssertEqual(parsed[1]["param"] as? Int, 10)
        XCTAssertTrue(parsed[2]["split"] is NSNull)
        XCTAssertTrue(parsed[3]["value"] is NSNull)
        XCTAssertEqual(formatJSON([]), "[]\n")
    }
}
