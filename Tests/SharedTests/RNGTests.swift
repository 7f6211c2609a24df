import XCTest
import Foundation
import Shared

final class RNGTests: XCTestCase {
    /// Golden values from an independent Python implementation of SplitMix64 + xoshiro256**.
    func testStreamMatchesReference() {
        var r = RNG(seed: 0)
        XCTAssertEqual([r.next(), r.next(), r.next(), r.next()],
                       [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0, 0x6aa5_94f1_262d_2d2c])
        var r42 = RNG(seed: 42)
        XCTAssertEqual([r42.next(), r42.next()], [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e])
    }

    func testUniformBelowPermutation() {
        var r = RNG(seed: 1)
        for _ in 0..<10_000 {
            let u = r.uniform()
            XCTAssertTrue(u >= 0 && u < 1)
            let f = r.uniformFloat()
            XCTAssertTrue(f >= 0 && f < 1)
            XCTAssertTrue((0..<7).contains(r.below(7)))
        }
        let p = r.permutation(100)
        XCTAssertEqual(p.sorted(), Array(0..<100))
        XCTAssertNotEqual(p, Array(0..<100))
        var counts = [Int](repeating: 0, count: 4)
        for _ in 0..<40_000 { counts[r.below(4)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
    }

    func testNormalMoments() {
        var r = RNG(seed: 2)
        let xs = (0..<100_000).map { _ in r.normal() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
    }

    func testDeterministicLogSinAgreeWithLibm() {
        for x in [1e-300, 1e-8, 0.1, 0.5, 0.999, 1, 2, 3.7, 1e10] {
            XCTAssertEqual(logDeterministic(x), Foundation.log(x), accuracy: 1e-14 * max(1, abs(Foundation.log(x))))
        }
        for x in stride(from: -20.0, through: 20.0, by: 0.37) {
            XCTAssertEqual(sinDeterministic(x), Foundation.sin(x), accuracy: 1e-14)
            XCTAssertEqual(cosDeterministic(x), Foundation.cos(x), accuracy: 1e-14)
        }
    }

    func testStreamsDiffer() {
        var a = RNG(seed: 5, stream: .kNNBatches), b = RNG(seed: 5, stream: .kFilterCap), c = RNG(seed: 5, stream: .kNNBatches)
        let x = a.next()
        XCTAssertNotEqual(x, b.next())
        XCTAssertEqual(x, c.next())
    }
    /// The registry (Random/Streams.swift): families own disjoint ranges, every
    /// stream falls in its family's, and the numbers are the ones today's files
    /// were made with.
    func testNamedStreamsNeverCollide() {
        let families = RandomStream.families
        for (i, a) in families.enumerated() {
            for b in families[(i + 1)...] {
                XCTAssertFalse(a.numbers.overlaps(b.numbers), "\(a.name) and \(b.name) overlap")
            }
        }
        func family(_ s: RandomStream) -> String? { families.first { $0.numbers.contains(s.number) }?.name }
        let deep = [1, 2, 3, 50, 8999, 9000, 123_456]
        var streams: [RandomStream] = [.kNNBatches, .kFilterCap, .weightSample, .syntheticTrain, .syntheticTest]
        streams += (0...2).map { .rowShuffle(split: $0) }
        streams += deep.map { .initialWeights(layer: $0) } + [1, 2, 99, 10_000_000].map { .epochOrder(epoch: $0) }
        streams += deep.map { .inputDropout(layer: $0) } + deep.map { .gradientDropout(layer: $0) }
        streams += [0, 1, 9000].map { .decisionWeights(segment: $0) } + [0, 1, 9000].map { .segmentRun(segment: $0) } + [.robinOrder] + [0, 1, 10_000].map { .projection(layer: $0) } + [.neurashedGraph, .neurashedInit, .neurashedBatches, .neurashedNoise]
        XCTAssertEqual(Set(streams.map(\.number)).count, streams.count, "two named streams share a number")
        for s in streams { XCTAssertNotNil(family(s), "\(s) is outside every family") }
        XCTAssertEqual(family(.initialWeights(layer: 9000)), "initialWeights (deep)")
        XCTAssertEqual(family(.gradientDropout(layer: 3)), "gradientDropout")
        // The numbers files were made with before the registry.
        let before: [(RandomStream, UInt64)] = [(.rowShuffle(split: 0), 1), (.rowShuffle(split: 2), 3), (.kNNBatches, 7),
                                                (.kFilterCap, 8), (.weightSample, 11), (.syntheticTrain, 101),
                                                (.syntheticTest, 102), (.initialWeights(layer: 1), 1001), (.epochOrder(epoch: 1), 10_001)]
        for (s, n) in before { XCTAssertEqual(s.number, n, "\(s)") }
        // Substream 0 is the stream itself; other substreams differ.
        var a = RNG(seed: 3, stream: .kNNBatches), b = RNG(seed: 3, stream: .kNNBatches, index: 0), c = RNG(seed: 3, stream: .kNNBatches, index: 1)
        let x = a.next()
        XCTAssertEqual(x, b.next())
        XCTAssertNotEqual(x, c.next())
    }
}
