import Foundation

// One weight tensor through Th. Algorithm 1 and back through Algorithm 2.
//
// Algorithm 1: H = entropy of a 2^M-bin histogram of a fraction F of the weights;
// N = ⌈H + c⌉ bits (within 1…maxBits; the thesis' N = H + c is not an integer);
// every weight to its N-bit bin (Quantize.swift's orientation); a canonical
// Huffman code over the 2^N bins from their counts; the bitstream. Fixed mode
// skips the estimate (N given), and may skip the Huffman code (N bits a weight).
// Algorithm 2: the code from its lengths, the symbols from the stream, each the
// centre of its bin. decode(encode(W)) is quantize(W) bit for bit.

public struct CompressionSettings: Sendable {
    /// F: the fraction of the weights the entropy estimate samples.
    public var sampleFraction = 0.03
    /// M: bits of the preliminary quantization the entropy is measured at.
    public var previewBits = 4
    /// c: the floor added to the entropy.
    public var floor = 5.0
    /// The most bits a weight may get.
    public var maxBits = 16
    /// Fixed N bits (Th. Figure 3.1) instead of N = ⌈H + c⌉.
    public var fixedBits: Int?
    /// Huffman-code the symbols (false: N bits each).
    public var huffman = true
    public var seed: UInt64 = 0
    public init() {}

    public func validate() throws {
        guard sampleFraction > 0, sampleFraction <= 1 else { throw DLError.usage("F must lie in (0, 1]") }
        guard (1...16).contains(previewBits) else { throw DLError.usage("M must lie in 1…16") }
        guard floor.isFinite, floor >= 0 else { throw DLError.usage("c must be finite and ≥ 0") }
        guard (1...16).contains(maxBits) else { throw DLError.usage("the bit cap must lie in 1…16") }
        if let n = fixedBits, !(1...maxBits).contains(n) { throw DLError.usage("fixed bits must lie in 1…\(maxBits)") }
    }
}

/// A packed tensor: what Algorithm 1's package holds, and enough to check it.
public struct PackedTensor: Equatable, Sendable {
    public var shape: [Int]
    public var wmin: Float
    public var wmax: Float
    /// N.
    public var bits: Int
    /// H of the preliminary quantization (NaN in fixed mode).
    public var entropy: Double
    /// Code length per symbol 0…2^N − 1 (empty: N bits a symbol, no Huffman code).
    public var lengths: [UInt8]
    public var stream: [UInt8]
    /// FNV-1a 64 of the symbols, as little-endian UInt32s.
    public var checksum: UInt64

    public var count: Int { shape.reduce(1, *) }

    public init(shape: [Int], wmin: Float, wmax: Float, bits: Int, entropy: Double, lengths: [UInt8], stream: [UInt8], checksum: UInt64) {
        self.shape = shape
        self.wmin = wmin
        self.wmax = wmax
        self.bits = bits
        self.entropy = entropy
        self.lengths = lengths
        self.stream = stream
        self.checksum = checksum
    }
}

/// FNV-1a over the symbols' little-endian bytes.
func symbolChecksum(_ q: UnsafeBufferPointer<UInt32>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for s in q {
        for k in 0..<4 { h = (h ^ UInt64((s >> UInt32(8 * k)) & 0xFF)) &* 0x0000_0100_0000_01b3 }
    }
    return h
}

/// The bin symbols of `w` at `bits` over its own range (checked finite).
public func quantizeSymbols(_ w: [Float], bits: Int) throws -> (symbols: [UInt32], wmin: Float, wmax: Float) {
    guard let wmin = w.min(), let wmax = w.max(), wmin.isFinite, wmax.isFinite, !w.contains(where: { $0.isNaN }) else {
        if w.isEmpty { return ([], 0, 0) }
        throw DLError.input("the weights have NaN or Inf values", hint: "a diverged model cannot be quantized")
    }
    let levels = 1 << bits
    return (w.map { UInt32(quantizeIndex($0, wmin: wmin, wmax: wmax, levels: levels)) }, wmin, wmax)
}

/// The centre of bin q (Algorithm 2, line 4); w_min itself when the range is empty.
@inline(__always)
public func dequantize(_ q: UInt32, wmin: Float, wmax: Float, bits: Int) -> Float {
    guard wmax > wmin else { return wmin }
    return Float(Double(wmin) + (Double(wmax) - Double(wmin)) * (Double(q) + 0.5) / Double(1 << bits))
}

/// N for `w` (Algorithm 1, lines 4–5: N = ⌈H + c⌉ within 1…maxBits, or the fixed
/// width) and the H it came from (NaN when fixed).
func bitWidth(_ w: [Float], _ s: CompressionSettings) throws -> (bits: Int, entropy: Double) {
    if let n = s.fixedBits { return (n, .nan) }
    let h = try weightEntropy(w, bits: s.previewBits, sampleFraction: s.sampleFraction, seed: s.seed)
    return (min(s.maxBits, max(1, Int((h + s.floor).rounded(.up)))), h)
}

/// Th. Algorithm 1 on one tensor.
public func packTensor(_ w: [Float], shape: [Int], _ s: CompressionSettings) throws -> PackedTensor {
    try s.validate()
    guard shape.reduce(1, *) == w.count else { throw DLError.usage("shape \(shape) does not hold \(w.count) weights") }
    let (bits, entropy) = try bitWidth(w, s)
    let (q, wmin, wmax) = try quantizeSymbols(w, bits: bits)
    var lengths: [UInt8] = []
    var stream: [UInt8]
    if s.huffman {
        var counts = [UInt64](repeating: 0, count: 1 << bits)
        for v in q { counts[Int(v)] += 1 }
        lengths = try huffmanLengths(counts)
        stream = try q.withUnsafeBufferPointer { try CanonicalCode(lengths: lengths).encode($0) }
    } else {
        var bw = BitWriter()
        for v in q { bw.write(UInt64(v), bits: bits) }
        stream = bw.finish()
    }
    let checksum = q.withUnsafeBufferPointer(symbolChecksum)
    return PackedTensor(shape: shape, wmin: wmin, wmax: wmax, bits: bits, entropy: entropy, lengths: lengths,
                        stream: stream, checksum: checksum)
}

/// Th. Algorithm 2 on one tensor: its symbols, checked against the checksum.
public func unpackSymbols(_ p: PackedTensor) throws -> [UInt32] {
    guard (1...16).contains(p.bits) else { throw DLError.input("a packed tensor with N = \(p.bits) bits (1…16)", hint: "the packed file is damaged") }
    guard p.shape.allSatisfy({ $0 >= 0 }), let n = checkedElementCount(p.shape, limit: 1 << 34) else {
        throw DLError.input("a packed tensor of shape \(p.shape)")
    }
    guard p.wmin.isFinite, p.wmax.isFinite, p.wmin <= p.wmax else {
        throw DLError.input("a packed tensor with range [\(p.wmin), \(p.wmax)]")
    }
    guard p.lengths.isEmpty || p.lengths.count == 1 << p.bits else {
        throw DLError.input("a packed tensor of N = \(p.bits) bits with \(p.lengths.count) code lengths, not \(1 << p.bits)")
    }
    // Every symbol takes at least one bit: a count the stream cannot hold is a lie, caught before allocating.
    guard n <= p.stream.count * 8 else {
        throw DLError.input("a packed tensor of \(n) weights in a stream of \(p.stream.count) bytes", hint: "the packed file is damaged")
    }
    var q = [UInt32](repeating: 0, count: n)
    try p.stream.withUnsafeBufferPointer { bytes in
        try q.withUnsafeMutableBufferPointer { out in
            if p.lengths.isEmpty {
                guard bytes.count == (n * p.bits + 7) / 8 else {
                    throw DLError.input("a fixed-width stream of \(bytes.count) bytes for \(n) weights of \(p.bits) bits",
                                        hint: "the packed file is damaged")
                }
                var r = BitReader(bytes)
                for i in 0..<n { out[i] = r.read(p.bits)! }
                try r.finish(what: "fixed-width")
            } else {
                try CanonicalCode(lengths: p.lengths).decode(bytes, count: n, into: out.baseAddress!)
            }
        }
    }
    guard q.withUnsafeBufferPointer(symbolChecksum) == p.checksum else {
        throw DLError.input("a packed tensor whose symbols fail their checksum", hint: "the packed file is damaged")
    }
    return q
}

/// The dequantized weights of a packed tensor.
public func unpackTensor(_ p: PackedTensor) throws -> [Float] {
    try unpackSymbols(p).map { dequantize($0, wmin: p.wmin, wmax: p.wmax, bits: p.bits) }
}

/// The weights as the receiver of a packed tensor sees them: quantize(W) at the
/// bit width Algorithm 1 picks, without coding a stream.
public func quantizedWeights(_ w: [Float], _ s: CompressionSettings) throws -> [Float] {
    try s.validate()
    let (bits, _) = try bitWidth(w, s)
    let (q, wmin, wmax) = try quantizeSymbols(w, bits: bits)
    return q.map { dequantize($0, wmin: wmin, wmax: wmax, bits: bits) }
}
