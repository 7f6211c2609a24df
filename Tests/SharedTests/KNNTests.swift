import XCTest
import Shared

final class KNNTests: XCTestCase {
    /// Random rows on a coarse integer grid (many exact distance ties) plus
    /// duplicated rows.
    func tiedData(n: Int, d: Int, seed: UInt64) throws -> Matrix {
        var rng = RNG(seed: seed)
        var v = (0..<(n * d)).map { _ in Float(rng.below(3)) }
        for r in stride(from: 0, to: n - 1, by: 7) {  // every 7th row duplicates the next
            for c in 0..<d { v[(r + 1) * d + c] = v[r * d + c] }
        }
        return try Matrix(shape: [n, d], storage: v)
    }

    func testMatchesBruteForceWithTiesAndDuplicates() throws {
        for (n, d, k) in [(60, 3, 5), (97, 5, 10), (40, 2, 39)] {
            let X = try tiedData(n: n, d: d, seed: UInt64(n))
            let ref = referenceNeighbours(X, k: k)
            for qb in [2048, 7, 13, 1, 16] {
                var s = KNNSettings()
                s.queryBlock = qb; s.threads = 2
                let got = try nearestNeighbours(X, k: k, settings: s)
                for i in 0..<n {
                    XCTAssertEqual(got.of(i).map(Int.init), ref[i], "n=\(n) k=\(k) block \(qb), row \(i)")
                }
                XCTAssertFalse((0..<n).contains { got.of($0).contains(Int32($0)) }, "a row is its own neighbour")
            }
        }
        // Tiles wide enough to split the column-wise selection over threads.
        let X = try tiedData(n: 300, d: 4, seed: 3)
        let ref = referenceNeighbours(X, k: 10)
        for qb in [128, 100] {
            var s = KNNSettings()
            s.queryBlock = qb; s.threads = 2
            let got = try nearestNeighbours(X, k: 10, settings: s)
            for i in 0..<300 { XCTAssertEqual(got.of(i).map(Int.init), ref[i], "block \(qb), row \(i)") }
        }
    }

    func testRandomDataExactDistances() throws {
        var rng = RNG(seed: 9)
        let X = try Matrix(shape: [200, 16], storage: (0..<3200).map { _ in Float(rng.normal()) })
        let got = try nearestNeighbours(X, k: 7)
        let ref = referenceNeighbours(X, k: 7)
        for i in 0..<200 { XCTAssertEqual(got.of(i).map(Int.init), ref[i]) }
    }

    func testRowsFarFromTheOriginAndOverflow() throws {
        // A common offset of 1000 with a spread of 0.01: without centring,
        // ‖a‖² + ‖b‖² − 2a·b cancels away every digit float32 has.
        var rng = RNG(seed: 21)
        let X = try Matrix(shape: [150, 2], storage: (0..<300).map { _ in Float(1000 + 0.01 * rng.normal()) })
        let got = try nearestNeighbours(X, k: 5)
        let ref = referenceNeighbours(X, k: 5)
        var mismatched = 0
        for i in 0..<150 where got.of(i).map(Int.init) != ref[i] { mismatched += 1 }
        XCTAssertEqual(mismatched, 0)
        // Finite values whose squared norms overflow float32: an error, not a trap.
        let big = try Matrix(rows: [[1e20, 0], [0, 1], [1, 1], [2, 2]])
        XCTAssertThrowsError(try nearestNeighbours(big, k: 2)) { e in
            XCTAssertTrue("\(e)".contains("too large for float32 distances"), "\(e)")
        }
    }

    func testTooFewRows() throws {
        XCTAssertThrowsError(try nearestNeighbours(try Matrix(rows: [[0], [1], [2]]), k: 3))
        XCTAssertThrowsError(try nearestNeighbours(try Matrix(rows: [[0], [1], [2]]), k: 0))
    }

    func testKFilterRuleBatchesAndCap() throws {
        // Two tight clusters far apart, plus one class-1 point inside cluster 0.
        var rows: [[Float]] = [], labels: [Int32] = []
        for i in 0..<10 { rows.append([Float(i) * 0.01, 0]); labels.append(0) }
        for i in 0..<10 { rows.append([100 + Float(i) * 0.01, 0]); labels.append(1) }
        rows.append([0.045, 0]); labels.append(1)
        let X = try Matrix(rows: rows)
        var s = KFilterSettings()
        s.k = 3
        let keep = try kFilterKeepMask(X: X, labels: labels, settings: s)
        // All of cluster 1 is redundant; the intruder and its neighbours in cluster 0 are kept.
        XCTAssertTrue((10..<20).allSatisfy { !keep[$0] })
        XCTAssertTrue(keep[20])
        XCTAssertTrue(keep[4] && keep[5])
        XCTAssertFalse(keep[0])
        // Redundancy masks for several k from one search agree with separate runs.
        let masks = try redundancyMasks(X: X, labels: labels, ks: [1, 3, 5], settings: s)
        for k in [1, 3, 5] {
            XCTAssertEqual(masks[k]!.map { !$0 }, referenceKeep(X, labels, k: k, batches: [Array(0..<21)]), "k = \(k)")
        }
        // Cap: at most 25% of 21 rows (5) removed.
        s.maxFraction = 0.25
        let capped = try kFilterKeepMask(X: X, labels: labels, settings: s)
        XCTAssertEqual(capped.filter { !$0 }.count, 5)
        XCTAssertTrue(zip(capped, keep).allSatisfy { $0 || !$1 }, "only rows the rule drops are dropped")
        // Batches: within batches of 10 the clusters are alone, so every row of
        // the first two batches is redundant, and a batch of 1 row is too small.
        var b = KFilterSettings(); b.k = 3; b.batch = 10
        XCTAssertThrowsError(try kFilterKeepMask(X: X, labels: labels, settings: b)) { e in
            XCTAssertTrue("\(e)".contains("the last of 21 rows in batches of 10 has 1"), "\(e)")
        }
        b.batch = 3
        XCTAssertThrowsError(try kFilterKeepMask(X: X, labels: labels, settings: b)) { e in
            XCTAssertTrue("\(e)".contains("but --batch is 3"), "\(e)")
        }
        b.batch = nil; b.k = 21
        XCTAssertThrowsError(try kFilterKeepMask(X: X, labels: labels, settings: b)) { e in
            XCTAssertTrue("\(e)".contains("k = 21 needs more than 21 rows, but there are 21"), "\(e)")
        }
        b.k = 3
        b.batch = 7
        XCTAssertEqual(try kFilterKeepMask(X: X, labels: labels, settings: b), referenceKeep(X, labels, k: 3, batches: batches(21, 7)))
    }

    /// The k-filter rule by brute force over the given batches of row numbers.
    func referenceKeep(_ X: Matrix, _ labels: [Int32], k: Int, batches: [[Int]]) -> [Bool] {
        var keep = [Bool](repeating: true, count: X.rows)
        for rows in batches {
            let nb = referenceNeighbours(X.gatherRows(rows), k: k)
            for (a, i) in rows.enumerated() where nb[a].allSatisfy({ labels[rows[$0]] == labels[i] }) { keep[i] = false }
        }
        return keep
    }

    func batches(_ n: Int, _ size: Int, order: [Int]? = nil) -> [[Int]] {
        let o = order ?? Array(0..<n)
        return stride(from: 0, to: n, by: size).map { Array(o[$0..<min(n, $0 + size)]) }
    }

    /// Which rows --random-batches and --max-fraction keep, not only how many.
    func testRandomBatchesAndCapKeepTheRuleRows() throws {
        var rng = RNG(seed: 17)
        let X = try Matrix(shape: [90, 2], storage: (0..<180).map { _ in Float(rng.below(6)) + Float(rng.uniform()) * 0.1 })
        let labels = (0..<90).map { i in Int32((Int(X[i, 0]) / 2 + Int(X[i, 1]) / 3) % 2) }
        var s = KFilterSettings()
        s.k = 4; s.batch = 30; s.randomBatches = true; s.seed = 6
        var order = RNG(seed: 6, stream: .kNNBatches)
        let want = referenceKeep(X, labels, k: 4, batches: batches(90, 30, order: order.permutation(90)))
        XCTAssertEqual(try kFilterKeepMask(X: X, labels: labels, settings: s), want)
        XCTAssertNotEqual(want, referenceKeep(X, labels, k: 4, batches: batches(90, 30)), "random batches are not the consecutive ones")
        // The cap: exactly ⌊0.2·90⌋ = 18 rows go, all of them redundant, the
        // ones a seeded permutation of the redundant rows leaves last.
        s.maxFraction = 0.2
        let capped = try kFilterKeepMask(X: X, labels: labels, settings: s)
        let redundant = (0..<90).filter { !want[$0] }
        XCTAssertGreaterThan(redundant.count, 18)
        var pick = RNG(seed: 6, stream: .kFilterCap)
        let keptBack = Set(pick.permutation(redundant.count).prefix(redundant.count - 18).map { redundant[$0] })
        XCTAssertEqual((0..<90).filter { !capped[$0] }, redundant.filter { !keptBack.contains($0) })
    }
}
