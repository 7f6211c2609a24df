import XCTest
import Shared

final class CompressTests: XCTestCase {
    /// Classic Huffman's total cost (Σ count·length), by repeatedly merging the two lightest: the twin.
    func referenceHuffmanCost(_ counts: [UInt64]) -> UInt64 {
        var w = counts.filter { $0 > 0 }
        if w.count < 2 { return w.first ?? 0 }
        var cost: UInt64 = 0
        while w.count > 1 {
            w.sort(by: >)
            let a = w.removeLast(), b = w.removeLast()
            cost += a + b
            w.append(a + b)
        }
        return cost
    }

    func kraft(_ lengths: [UInt8]) -> Double { lengths.filter { $0 > 0 }.reduce(0) { $0 + pow(2, -Double($1)) } }

    func cost(_ counts: [UInt64], _ lengths: [UInt8]) -> UInt64 { zip(counts, lengths).reduce(0) { $0 + $1.0 * UInt64($1.1) } }

    func testLengthsAreOptimalAndMeetKraft() throws {
        var rng = RNG(seed: 1)
        for trial in 0..<200 {
            let n = 1 + rng.below(300)
            let counts = (0..<n).map { _ in rng.below(4) == 0 ? 0 : UInt64(1 + rng.below(trial % 2 == 0 ? 10 : 100_000)) }
            let lengths = try huffmanLengths(counts)
            let used = counts.filter { $0 > 0 }.count
            XCTAssertEqual(lengths.count, n)
            for (c, l) in zip(counts, lengths) { XCTAssertEqual(c > 0, l > 0) }
            if used >= 2 {
                XCTAssertEqual(kraft(lengths), 1, accuracy: 1e-12, "a complete code")
                XCTAssertEqual(cost(counts, lengths), referenceHuffmanCost(counts), "trial \(trial): as short as Huffman")
            } else if used == 1 {
                XCTAssertEqual(lengths.max(), 1)
            }
            XCTAssertEqual(try huffmanLengths(counts), lengths, "deterministic")
        }
    }

    /// Fibonacci counts make Huffman codes as long as n − 1: the limit binds,
    /// and the limited code is still complete and no worse than any other within it.
    func testLengthLimitBinds() throws {
        var counts: [UInt64] = [1, 1]
        while counts.count < 30 { counts.append(counts[counts.count - 1] + counts[counts.count - 2]) }
        XCTAssertEqual(try huffmanLengths(counts, maxLength: 40).max(), 29)
        XCTAssertEqual(try huffmanLengths(counts).max(), UInt8(huffmanMaxLength))
        for limit in [5, 8, 12] {
            let l = try huffmanLengths(counts, maxLength: limit)
            XCTAssertEqual(Int(l.max()!), limit)
            XCTAssertEqual(kraft(l), 1, accuracy: 1e-12)
            XCTAssertGreaterThanOrEqual(cost(counts, l), referenceHuffmanCost(counts))
        }
        // The only code of length ≤ 5 for 32 symbols is the flat one.
        XCTAssertEqual(Set(try huffmanLengths([UInt64](repeating: 3, count: 31) + [1_000_000], maxLength: 5)), [5])
        XCTAssertThrowsError(try huffmanLengths([UInt64](repeating: 1, count: 33), maxLength: 5))
    }

    /// The canonical code decodes what it encodes, and agrees with a decoder
    /// that reads the stream bit by bit against the code words (the twin).
    func testCanonicalCodeRoundTripsAndMatchesABitByBitDecoder() throws {
        var rng = RNG(seed: 2)
        for trial in 0..<60 {
            let k = 1 + rng.below(trial % 3 == 0 ? 5000 : 40)
            let skew = 1 + rng.below(6)
            let symbols = (0..<(1 + rng.below(3000))).map { _ in UInt32(min(k - 1, rng.below(k) / skew)) }
            var counts = [UInt64](repeating: 0, count: k)
            for s in symbols { counts[Int(s)] += 1 }
            // Small tables too, so the long-code walk decodes most symbols.
            let code = try CanonicalCode(lengths: try huffmanLengths(counts, maxLength: trial % 2 == 0 ? 24 : 12),
                                         tableBits: trial % 4 == 1 ? 3 : 12)
            let bytes = try symbols.withUnsafeBufferPointer { try code.encode($0) }
            XCTAssertEqual(bytes.count, (code.encodedBits(symbols) + 7) / 8)
            var out = [UInt32](repeating: 0, count: symbols.count)
            try bytes.withUnsafeBufferPointer { b in try out.withUnsafeMutableBufferPointer { try code.decode(b, count: symbols.count, into: $0.baseAddress!) } }
            XCTAssertEqual(out, symbols, "trial \(trial)")
            // Twin: code words as bit strings, matched as the bits come.
            var words: [String: UInt32] = [:]
            for s in 0..<k where code.lengths[s] > 0 {
                let l = Int(code.lengths[s])
                let word = String(String(code.codes[s], radix: 2).reversed()).padding(toLength: l, withPad: "0", startingAt: 0)
                words[String(word.reversed())] = UInt32(s)
            }
            let bits = bytes.map { String(String($0, radix: 2).reversed()).padding(toLength: 8, withPad: "0", startingAt: 0) }
                .map { String($0.reversed()) }.joined()
            var twin: [UInt32] = [], current = ""
            for c in bits where twin.count < symbols.count {
                current.append(c)
                if let s = words[current] { twin.append(s); current = "" }
            }
            XCTAssertEqual(twin, symbols, "trial \(trial): bit-by-bit decoder")
        }
    }

    func quantizeReference(_ w: [Float], bits: Int) -> [Float] {
        let lo = Double(w.min()!), hi = Double(w.max()!), n = Double(1 << bits)
        return w.map { v in
            guard hi > lo else { return Float(lo) }
            let q = min(n - 1, ((Double(v) - lo) * n / (hi - lo)).rounded(.down))
            return Float(lo + (hi - lo) * (q + 0.5) / n)
        }
    }

    /// decode(encode(W)) is quantize(W) bit for bit, at the width Algorithm 1 picks.
    func testPackedTensorsDecodeToTheirQuantization() throws {
        var rng = RNG(seed: 3)
        var s = CompressionSettings()
        let tensors: [[Float]] = [
            (0..<5000).map { _ in Float(rng.normal() * 0.05) },
            (0..<777).map { _ in Float(rng.uniform() * 2 - 1) },
            [Float](repeating: 0.25, count: 100),   // constant: w_min = w_max
            [3.5],                                  // one element
            [-1, 1, -1, 1, 1],                      // two symbols, the rest of 2^N unused
            (0..<300).map { Float($0 % 7) },
            (0..<4096).map { _ in Float(rng.normal() * 0.05) },  // the first size in four segments
            (0..<4099).map { _ in Float(rng.normal() * 0.05) },  // segments of unequal length
            (0..<20_000).map { _ in Float(rng.normal()) * (rng.below(50) == 0 ? 40 : 1) },  // outliers: long codes
        ]
        for (t, w) in tensors.enumerated() {
            for mode in 0..<4 {
                s.fixedBits = mode < 2 ? nil : [8, 3][mode - 2]
                s.huffman = mode % 2 == 0
                let p = try packTensor(w, shape: [w.count], s)
                let got = try unpackTensor(p)
                let want = quantizeReference(w, bits: p.bits)
                XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "tensor \(t), mode \(mode)")
                XCTAssertEqual(got, try quantizedWeights(w, s))
                if s.fixedBits == nil {
                    XCTAssertEqual(p.bits, min(16, max(1, Int((p.entropy + 5).rounded(.up)))))
                    XCTAssertEqual(p.entropy, try weightEntropy(w, bits: 4, sampleFraction: 0.03), "H from a 3% sample at M = 4")
                }
                if !s.huffman { XCTAssertEqual(p.stream.count, (w.count * p.bits + 7) / 8) }
            }
        }
        // The Huffman stream of a Gaussian tensor: within 0.05 bits a weight of the
        // entropy of its N-bit symbols (and so below N bits).
        s.fixedBits = nil; s.huffman = true
        let p = try packTensor(tensors[0], shape: [50, 100], s)
        let hN = try weightEntropy(tensors[0], bits: p.bits)
        let rate = Double(p.stream.count * 8) / 5000
        XCTAssertGreaterThanOrEqual(rate, hN - 1e-9)
        XCTAssertLessThan(rate, hN + 0.05, "N = \(p.bits), H_N = \(hN)")
        for bad: [Float] in [[1, .nan], [.infinity, 0], [-.infinity]] {
            XCTAssertThrowsError(try packTensor(bad, shape: [bad.count], s)) { e in
                XCTAssertTrue("\(e)".contains("NaN or Inf"), "\(e)")
            }
        }
        XCTAssertThrowsError(try packTensor([1, 2, 3], shape: [2, 2], s))
    }

    /// Damaged packages fail with an error, never a trap or wrong weights: every
    /// single-bit flip of a stream, truncations, lying counts and lengths, N out of range.
    func testDamagedPackagesAreRefused() throws {
        var rng = RNG(seed: 4)
        let w = (0..<400).map { _ in Float(rng.normal()) }
        for huffman in [true, false] {
            var s = CompressionSettings()
            s.huffman = huffman
            let p = try packTensor(w, shape: [20, 20], s)
            let good = try unpackSymbols(p)
            var refused = 0
            for byte in 0..<p.stream.count {
                for bit in 0..<8 {
                    var d = p
                    d.stream[byte] ^= 1 << UInt8(bit)
                    if let q = try? unpackSymbols(d) { XCTAssertEqual(q, good, "a flip that decodes must not change the weights") } else { refused += 1 }
                }
            }
            XCTAssertEqual(refused, p.stream.count * 8, "every flipped bit is caught (huffman: \(huffman))")
            var t = p; t.stream.removeLast(); XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.stream.append(0); XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.shape = [20, 21]; XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.shape = [1 << 30, 1 << 30]; XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.shape = [-1, 5]; XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.bits = 0; XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.bits = 40; XCTAssertThrowsError(try unpackSymbols(t))
            t = p; t.wmax = .nan; XCTAssertThrowsError(try unpackSymbols(t))
            if huffman {
                t = p; t.lengths[0] = 1; t.lengths[1] = 1; t.lengths[2] = 1; XCTAssertThrowsError(try unpackSymbols(t), "Kraft above 1")
                t = p; t.lengths[3] = 30; XCTAssertThrowsError(try unpackSymbols(t))
                t = p; t.lengths.removeLast(); XCTAssertThrowsError(try unpackSymbols(t))
            }
        }
        // Four segments: sizes that lie (their CRC made to match) end in an error or, at worst, other valid symbols; never a trap.
        let big = (0..<5003).map { _ in Float(rng.normal()) }
        let p4 = try packTensor(big, shape: [big.count], CompressionSettings())
        XCTAssertEqual(p4.segments.count, 4)
        XCTAssertEqual(try unpackTensor(p4), try quantizedWeights(big, CompressionSettings()))
        for trial in 0..<300 {
            var t = p4
            switch trial % 3 {
            case 0: t.segments.swapAt(rng.below(4), rng.below(4))
            case 1: let k = rng.below(4), d = 1 + rng.below(8); t.segments[k] += d; t.segments[(k + 1) % 4] -= d
            default: t.segments = [t.stream.count]
            }
            t.crc32 = t.packageCRC
            if let q = try? unpackSymbols(t) { XCTAssertEqual(q.count, big.count) }
            if trial % 3 == 2 { XCTAssertThrowsError(try unpackSymbols(t), "four segments from 4096 weights on") }
        }
        // Random garbage: errors only.
        for _ in 0..<2000 {
            var p = PackedTensor(shape: [rng.below(50)], wmin: -1, wmax: 1, bits: 1 + rng.below(6), entropy: .nan,
                                 lengths: [], stream: (0..<rng.below(40)).map { _ in UInt8(rng.below(256)) }, crc32: 0)
            if rng.below(2) == 0 { p.lengths = (0..<(1 << p.bits)).map { _ in UInt8(rng.below(9)) } }
            XCTAssertThrowsError(try unpackSymbols(p), "a wrong CRC")
            p.crc32 = p.packageCRC  // past the CRC: the decoder's own checks
            _ = try? unpackSymbols(p)
        }
    }

    /// Each damaged package whose CRC was made to match again (as a careful
    /// forger, or a bug in our own writer, would) fails at the check that is
    /// there for it, with that check's own message — not at the CRC.
    func testDamageBehindAMatchingCRCFailsItsOwnCheck() throws {
        var rng = RNG(seed: 9)
        let w = (0..<400).map { _ in Float(rng.normal()) }
        func refused(_ t: PackedTensor, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            var t = t
            t.crc32 = t.packageCRC
            XCTAssertThrowsError(try unpackSymbols(t), message, file: file, line: line) { e in
                XCTAssertTrue("\(e)".contains(message), "expected '\(message)', got: \(e)", file: file, line: line)
            }
        }
        for huffman in [true, false] {
            var s = CompressionSettings()
            s.huffman = huffman
            let p = try packTensor(w, shape: [20, 20], s)
            // A shape that claims more weights than the stream codes.
            var t = p; t.shape = [20, 21]
            refused(t, huffman ? "corrupt Huffman stream: the stream ends inside symbol" : "a fixed-width stream of")
            // Bytes after the last symbol.
            t = p; t.stream.append(0); t.segments = [t.stream.count]
            refused(t, huffman ? "bytes after the last symbol" : "a fixed-width stream of")
            // A stream cut short.
            t = p; t.stream.removeLast(); t.segments = [t.stream.count]
            refused(t, huffman ? "the stream ends inside symbol" : "a fixed-width stream of")
            guard huffman else { continue }
            // Code lengths no prefix code has; a length past the cap.
            t = p; t.lengths[0] = 1; t.lengths[1] = 1; t.lengths[2] = 1
            refused(t, "code lengths that no prefix code has (Kraft sum above 1)")
            t = p; t.lengths[3] = 30
            refused(t, "a code length of 30 bits")
            // A padding bit set in the last byte: one of its flips is refused as padding.
            var paddingCaught = false
            for bit in 0..<8 {
                t = p; t.stream[t.stream.count - 1] ^= 1 << UInt8(bit); t.crc32 = t.packageCRC
                if let e = (Result { try unpackSymbols(t) }).failure, "\(e)".contains("its padding bits are not zero") { paddingCaught = true }
            }
            XCTAssertTrue(paddingCaught, "a set padding bit is refused as such")
        }
        // An incomplete code (symbol 1 has none) and a stream that starts with the missing code word.
        let incomplete = PackedTensor(shape: [1], wmin: 0, wmax: 1, bits: 1, entropy: .nan, lengths: [1, 0], stream: [0x80], crc32: 0)
        let lsbFirst = PackedTensor(shape: [1], wmin: 0, wmax: 1, bits: 1, entropy: .nan, lengths: [1, 0], stream: [0x01], crc32: 0)
        let messages = [incomplete, lsbFirst].map { t -> String in
            var t = t; t.crc32 = t.packageCRC
            return (Result { try unpackSymbols(t) }).failure.map { "\($0)" } ?? ""
        }
        XCTAssertTrue(messages.contains { $0.contains("bits that are no code word") }, "\(messages)")
    }

    /// Length-limited Huffman lengths are optimal: for every alphabet of up to 7
    /// symbols (counts 1…4 each, a few limits), no length assignment that keeps
    /// Kraft's inequality and the limit codes the counts in fewer bits (brute force).
    func testLengthLimitedCodesAreOptimalByBruteForce() throws {
        var rng = RNG(seed: 12)
        for n in 2...7 {
            for _ in 0..<12 {
                let counts = (0..<n).map { _ in UInt64(1 + rng.below(4)) * (rng.below(3) == 0 ? 7 : 1) }
                let least = Int((Double(n)).squareRoot().rounded(.up)) + 1
                for limit in Set([least, 3, 4, 6].filter { (1 << $0) >= n }) {
                    let lengths = try huffmanLengths(counts, maxLength: limit)
                    let cost = zip(counts, lengths).reduce(UInt64(0)) { $0 + $1.0 * UInt64($1.1) }
                    // Every assignment of lengths 1…limit to the n symbols.
                    var best = UInt64.max
                    var l = [Int](repeating: 1, count: n)
                    while true {
                        let kraft = l.reduce(0.0) { $0 + pow(2.0, -Double($1)) }
                        if kraft <= 1 + 1e-12 {
                            best = min(best, zip(counts, l).reduce(UInt64(0)) { $0 + $1.0 * UInt64($1.1) })
                        }
                        var k = 0
                        while k < n && l[k] == limit { l[k] = 1; k += 1 }
                        if k == n { break }
                        l[k] += 1
                    }
                    XCTAssertEqual(cost, best, "counts \(counts), limit \(limit): lengths \(lengths)")
                    XCTAssertLessThanOrEqual(lengths.map(Int.init).max() ?? 0, limit)
                }
            }
        }
    }

    /// The entropy sample draws distinct weights: a fraction that rounds up to all
    /// of them gives the full histogram's H, and a sample's H stays near the full one.
    func testEntropySampleDrawsDistinctWeights() throws {
        var rng = RNG(seed: 5)
        for n in [1, 2, 7, 100, 1001] {
            let w = (0..<n).map { _ in Float(rng.normal()) }
            let full = try weightEntropy(w, bits: 6)
            XCTAssertEqual(try weightEntropy(w, bits: 6, sampleFraction: 1 - 0.5 / Double(n), seed: 9), full, accuracy: 1e-12, "n = \(n)")
        }
        let w = (0..<200_000).map { _ in Float(rng.normal()) }
        let full = try weightEntropy(w, bits: 4)
        let seeds = try (0..<20).map { try weightEntropy(w, bits: 4, sampleFraction: 0.03, seed: UInt64($0)) }
        XCTAssertGreaterThan(Set(seeds).count, 10, "the seed picks the sample")
        XCTAssertEqual(seeds.reduce(0, +) / 20, full, accuracy: 0.01, "an unbiased-looking estimate of H")
    }

    func testQuantizeSpecs() throws {
        XCTAssertNil(try parseQuantizeSpec("dynamic", seed: 1).fixedBits)
        let d = try parseQuantizeSpec("dynamic:F=0.1,M=5,c=6", seed: 1)
        XCTAssertEqual(d.sampleFraction, 0.1); XCTAssertEqual(d.previewBits, 5); XCTAssertEqual(d.floor, 6); XCTAssertEqual(d.seed, 1)
        let f = try parseQuantizeSpec("fixed:8,huffman=0", seed: 0)
        XCTAssertEqual(f.fixedBits, 8); XCTAssertFalse(f.huffman)
        for bad in ["", "fixed", "fixed:0", "fixed:x", "dynamic:F=2", "dynamic:c", "static", "fixed:8,c=5", "dynamic:huffman=2"] {
            XCTAssertThrowsError(try parseQuantizeSpec(bad, seed: 0), bad)
        }
    }

    /// Quantized training (Th. 3.7): after every epoch each tensor holds at most
    /// 2^N values, and the epoch's record measures the quantized weights (it is
    /// evaluated after the hook).
    func testQuantizedTrainingEvaluatesTheWeightsANodeReceives() throws {
        var model = try MLP(widths: [5, 12, 3], hidden: .tanh, head: OutputHead(.linear))
        model.initialize(.glorot, seed: 2)
        let task = try tinyTask(rows: 120, d: 5, K: 3, seed: 3)
        var s = TrainingSettings()
        s.epochs = 3; s.batchSize = 20; s.logEpochs = false
        var cs = CompressionSettings()
        cs.floor = 1; cs.sampleFraction = 1
        let q = QuantizedTraining(settings: cs)
        let result = try train(model, on: task, test: task, settings: s, hooks: q.hooks)
        XCTAssertEqual(q.epochs, [1, 2, 3])
        let m = result.model
        for i in 1...m.layers {
            for (t, values) in [m.weight(i).storage, m.bias(i)].enumerated() {
                let n = q.bits.last![2 * (i - 1) + t]
                XCTAssertLessThanOrEqual(Set(values).count, 1 << n, "layer \(i) tensor \(t): at most 2^N values")
            }
        }
        let ev = try Evaluator(model: m, maxRows: 120).evaluate(task, targets: s.targets)
        XCTAssertEqual(ev.loss, result.log.last!.testLoss!, accuracy: 1e-12)
        XCTAssertEqual(ev.accuracy, result.log.last!.testAccuracy)
        let plain = try train(model, on: task, test: task, settings: s)
        XCTAssertNotEqual(plain.model.parameters, m.parameters)
    }
}

extension Result {
    /// The error, when there is one.
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
