import CZlib
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
    /// The byte sizes of the stream's consecutive segments (Huffman streams of
    /// many weights come in four, decoded side by side; one otherwise).
    public var segments: [Int]
    /// CRC-32 of the package (`packageCRC`), checked before anything is decoded.
    public var crc32: UInt32

    /// The element count; 0 for a shape that has none (negative or overflowing sizes, which `checkPackage` refuses).
    public var count: Int { checkedElementCount(shape) ?? 0 }

    /// `segments` nil: the stream is one segment.
    public init(shape: [Int], wmin: Float, wmax: Float, bits: Int, entropy: Double, lengths: [UInt8], stream: [UInt8],
                segments: [Int]? = nil, crc32: UInt32) {
        self.segments = segments ?? [stream.count]
        self.shape = shape
        self.wmin = wmin
        self.wmax = wmax
        self.bits = bits
        self.entropy = entropy
        self.lengths = lengths
        self.stream = stream
        self.crc32 = crc32
    }

    /// zlib's CRC-32 of what decoding reads, in order: wmin and wmax as
    /// little-endian float32, the shape's sizes, N and the segment sizes as
    /// little-endian int64, the code lengths, the stream (docs/FORMAT.md).
    public var packageCRC: UInt32 {
        var header: [UInt8] = []
        for v in [wmin, wmax] { withUnsafeBytes(of: v.bitPattern.littleEndian) { header += $0 } }
        for v in shape + [bits] + segments { withUnsafeBytes(of: Int64(v).littleEndian) { header += $0 } }
        var c = CZlib.crc32(0, nil, 0)
        for part in [header, lengths, stream] {
            part.withUnsafeBufferPointer { b in
                var at = 0
                while at < b.count {  // zlib takes 32-bit lengths
                    let len = min(b.count - at, 1 << 30)
                    c = CZlib.crc32(c, b.baseAddress! + at, UInt32(len))
                    at += len
                }
            }
        }
        return UInt32(truncatingIfNeeded: c)
    }
}

/// The centre of bin q (Algorithm 2, line 4); w_min itself when the range is empty.
@inline(__always)
public func dequantize(_ q: UInt32, wmin: Float, wmax: Float, bits: Int) -> Float {
    guard wmax > wmin else { return wmin }
    return Float(Double(wmin) + (Double(wmax) - Double(wmin)) * (Double(q) + 0.5) / Double(1 << bits))
}

/// The centres of all 2^bits bins: the decoder's lookup table.
func binCentres(wmin: Float, wmax: Float, bits: Int) -> [Float] {
    (0..<UInt32(1 << bits)).map { dequantize($0, wmin: wmin, wmax: wmax, bits: bits) }
}

/// The range of `w`, checked finite (0…0 when empty).
func checkedRange(_ w: UnsafeBufferPointer<Float>) throws -> (wmin: Float, wmax: Float) {
    if w.isEmpty { return (0, 0) }
    guard let r = finiteRange(w) else {
        throw DLError.input("the weights have NaN or Inf values", hint: "a diverged model cannot be quantized")
    }
    return (r.min, r.max)
}

/// N for `w` (Algorithm 1, lines 4–5: N = ⌈H + c⌉ within 1…maxBits, or the fixed
/// width) and the H it came from (NaN when fixed).
func bitWidth(_ w: UnsafeBufferPointer<Float>, wmin: Float, wmax: Float, _ s: CompressionSettings) -> (bits: Int, entropy: Double) {
    if let n = s.fixedBits { return (n, .nan) }
    let h = w.isEmpty ? 0 : sampledEntropy(w, wmin: wmin, wmax: wmax, bits: s.previewBits, sampleFraction: s.sampleFraction, seed: s.seed)
    return (min(s.maxBits, max(1, Int((h + s.floor).rounded(.up)))), h)
}

/// Th. Algorithm 1 on one tensor.
public func packTensor(_ w: [Float], shape: [Int], _ s: CompressionSettings) throws -> PackedTensor {
    try w.withUnsafeBufferPointer { try packTensor($0, shape: shape, s) }
}

/// Th. Algorithm 1 on one tensor in place: one pass for the range, one over the
/// F-sample for H, one for the symbols (UInt16: N ≤ 16) and their histogram, the
/// code from the histogram, one pass writing the code words.
public func packTensor(_ w: UnsafeBufferPointer<Float>, shape: [Int], _ s: CompressionSettings) throws -> PackedTensor {
    try s.validate()
    guard checkedElementCount(shape) == w.count else { throw DLError.usage("shape \(shape) does not hold \(w.count) weights") }
    let (wmin, wmax) = try checkedRange(w)
    let (bits, entropy) = bitWidth(w, wmin: wmin, wmax: wmax, s)
    let bins = Bins(wmin: wmin, wmax: wmax, levels: 1 << bits)
    let n = w.count
    guard n <= (1 << 34) - 4 else { throw DLError.input("a tensor of \(n) weights (at most 2^34 − 4 a tensor)") }
    let symbols = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: max(1, n))
    defer { symbols.deallocate() }
    // Four histograms, so runs of one symbol do not wait on one counter (weight i
    // counts in histogram i mod 4: each at most ⌈n/4⌉ < 2^32).
    let levels = 1 << bits
    var hist = [UInt32](repeating: 0, count: 4 * levels)
    hist.withUnsafeMutableBufferPointer { h in
        var i = 0
        while i + 4 <= n {
            for k in 0..<4 {
                let q = bins.index(w[i + k])
                symbols[i + k] = UInt16(truncatingIfNeeded: q)
                h[k * levels + q] &+= 1
            }
            i += 4
        }
        while i < n {
            let q = bins.index(w[i])
            symbols[i] = UInt16(truncatingIfNeeded: q)
            h[(i & 3) * levels + q] &+= 1
            i += 1
        }
    }
    let counts = (0..<levels).map { UInt64(hist[$0]) + UInt64(hist[levels + $0]) + UInt64(hist[2 * levels + $0]) + UInt64(hist[3 * levels + $0]) }
    var lengths: [UInt8] = [], words: [UInt32], totalBits: Int
    if s.huffman {
        lengths = try huffmanLengths(counts)
        words = try CanonicalCode(lengths: lengths).words
        totalBits = zip(counts, lengths).reduce(0) { $0 + Int($1.0) * Int($1.1) }
    } else {
        // N bits a symbol: the canonical code whose lengths are all N is the symbol itself.
        words = (0..<UInt32(1 << bits)).map { $0 << 8 | UInt32(bits) }
        totalBits = n * bits
    }
    // K consecutive segments, each padded to whole bytes, written one after another.
    let K = s.huffman ? streamSegments(count: n) : 1, m = (n + K - 1) / K
    var segments: [Int] = []
    let stream = [UInt8](unsafeUninitializedCapacity: (totalBits + 7) / 8 + K + 8) { buf, initialized in
        let out = UnsafeMutableRawPointer(buf.baseAddress!)
        var at = 0
        words.withUnsafeBufferPointer { wp in
            for j in 0..<K {
                let part = UnsafeBufferPointer(rebasing: symbols[min(n, j * m)..<min(n, (j + 1) * m)])
                let size = writeCodeWords(part, words: wp, into: out + at)
                segments.append(size)
                at += size
            }
        }
        initialized = at
    }
    var p = PackedTensor(shape: shape, wmin: wmin, wmax: wmax, bits: bits, entropy: entropy, lengths: lengths, stream: stream,
                         segments: segments, crc32: 0)
    p.crc32 = p.packageCRC
    return p
}

/// How many segments a Huffman stream of `n` weights comes in: four from 4096
/// weights on (each a lookup chain of its own for the decoder), else one.
public func streamSegments(count n: Int) -> Int { n >= 4096 ? 4 : 1 }

/// Checks a package's numbers and CRC before its stream is read; returns the element count.
func checkPackage(_ p: PackedTensor) throws -> Int {
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
    guard p.segments.count == (p.lengths.isEmpty ? 1 : streamSegments(count: n)), p.segments.allSatisfy({ $0 >= 0 }),
          p.segments.reduce(0, { $0 &+ $1 }) == p.stream.count else {
        throw DLError.input("a packed tensor of \(n) weights whose stream segments \(p.segments) do not fit its \(p.stream.count) bytes",
                            hint: "the packed file is damaged")
    }
    guard p.packageCRC == p.crc32 else {
        throw DLError.input("a packed tensor whose CRC-32 does not match its contents", hint: "the packed file is damaged")
    }
    return n
}

/// Decodes a checked package's stream, writing values[symbol] for each weight into `out` [n].
func decodePackage<T>(_ p: PackedTensor, values: UnsafeBufferPointer<T>, into out: UnsafeMutableBufferPointer<T>) throws {
    guard !out.isEmpty else {
        guard p.stream.isEmpty else { throw HuffmanError.corrupt("\(p.stream.count) bytes where no symbols are") }
        return
    }
    try p.stream.withUnsafeBufferPointer { bytes in
        if p.lengths.isEmpty {
            try readFixedWidth(bytes, count: out.count, bits: p.bits, values: values, into: out.baseAddress!)
        } else {
            // Tables about as large as the tensor: a bias of ten weights need not build 4096 entries.
            let tableBits = Int.bitWidth - out.count.leadingZeroBitCount
            try CanonicalCode(lengths: p.lengths, tableBits: tableBits).decode(bytes, segments: p.segments, count: out.count, values: values,
                                                                                into: out.baseAddress!)
        }
    }
}

/// Th. Algorithm 2 on one tensor: its symbols.
public func unpackSymbols(_ p: PackedTensor) throws -> [UInt32] {
    let n = try checkPackage(p)
    let identity = (0..<UInt32(1 << p.bits)).map { $0 }
    var q = [UInt32](repeating: 0, count: n)
    try identity.withUnsafeBufferPointer { v in try q.withUnsafeMutableBufferPointer { try decodePackage(p, values: v, into: $0) } }
    return q
}

/// The dequantized weights of a packed tensor.
public func unpackTensor(_ p: PackedTensor) throws -> [Float] {
    let n = try checkPackage(p)
    var w = [Float](repeating: 0, count: n)
    try w.withUnsafeMutableBufferPointer { try unpackTensor(p, into: $0, alreadyChecked: true) }
    return w
}

/// The dequantized weights of a packed tensor, into `out` (its element count).
public func unpackTensor(_ p: PackedTensor, into out: UnsafeMutableBufferPointer<Float>) throws {
    try unpackTensor(p, into: out, alreadyChecked: false)
}

func unpackTensor(_ p: PackedTensor, into out: UnsafeMutableBufferPointer<Float>, alreadyChecked: Bool) throws {
    let n = alreadyChecked ? p.count : try checkPackage(p)
    guard out.count == n else { throw DLError.input("a packed tensor of \(n) weights for a place of \(out.count)") }
    let centres = binCentres(wmin: p.wmin, wmax: p.wmax, bits: p.bits)
    try centres.withUnsafeBufferPointer { try decodePackage(p, values: $0, into: out) }
}

/// The weights as the receiver of a packed tensor sees them: quantize(W) at the
/// bit width Algorithm 1 picks, without coding a stream.
public func quantizedWeights(_ w: [Float], _ s: CompressionSettings) throws -> [Float] {
    try s.validate()
    return try w.withUnsafeBufferPointer { b in
        let (wmin, wmax) = try checkedRange(b)
        let (bits, _) = bitWidth(b, wmin: wmin, wmax: wmax, s)
        let bins = Bins(wmin: wmin, wmax: wmax, levels: 1 << bits)
        let centres = binCentres(wmin: wmin, wmax: wmax, bits: bits)
        return b.map { centres[bins.index($0)] }
    }
}
