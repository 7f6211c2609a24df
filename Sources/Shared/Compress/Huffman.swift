// Canonical, length-limited Huffman codes (Th. Algorithm 1's HuffmanCodebook,
// Encode and Decode), in the form a packed file stores them: one code length per
// symbol (0: unused); the codes themselves follow from the lengths alone.
//
// - Lengths: package-merge (Larmore & Hirschberg), which gives the optimal prefix
//   code whose longest word is at most `maxLength` bits — plain Huffman when that
//   limit does not bind. Ties break by symbol, so the lengths are deterministic.
// - Codes: canonical (as DEFLATE's), shorter codes first, within a length by
//   symbol: code(s) = first[len] + rank of s among the symbols of its length.
// - Bits are written most significant first, so the decoder reads a code as the
//   top bits of its 64-bit window: one table lookup for codes of up to
//   `tableBits` bits, and for longer ones the canonical walk over lengths.
// A single used symbol gets a 1-bit code; an empty histogram, no code.

public enum HuffmanError {
    static func corrupt(_ what: String) -> DLError {
        DLError.input("corrupt Huffman stream: \(what)", hint: "the packed file is damaged; re-make it with dl-compress")
    }
}

/// The longest code a packed file may use: the decoder's window holds it with room to spare.
public let huffmanMaxLength = 24

/// Optimal code lengths for `counts` with no code longer than `maxLength` bits.
public func huffmanLengths(_ counts: [UInt64], maxLength: Int = huffmanMaxLength) throws -> [UInt8] {
    var lengths = [UInt8](repeating: 0, count: counts.count)
    let used = counts.indices.filter { counts[$0] > 0 }.sorted { (counts[$0], $0) < (counts[$1], $1) }
    let n = used.count
    if n == 0 { return lengths }
    if n == 1 { lengths[used[0]] = 1; return lengths }
    guard maxLength >= 1, maxLength <= 62, n <= 1 << min(maxLength, 62) else {
        throw DLError.usage("\(n) symbols need codes longer than \(maxLength) bits")
    }
    // Package-merge: level 1 is the leaves by weight; each next level merges the
    // leaves with the pairs (packages) of the level before. The 2n − 2 lightest
    // items of the last level say, level by level, which leaves get one bit more.
    // Per level we keep only which items are leaves (and which leaf), in order.
    let L = min(maxLength, n - 1)  // no optimal code is longer than n − 1
    var levels: [[Int32]] = []     // item: leaf rank ≥ 0, or −1 for a package
    var weights = used.map { counts[$0] }
    levels.append(Array(0..<Int32(n)))
    for _ in 1..<L {
        var packages: [UInt64] = []
        packages.reserveCapacity(weights.count / 2)
        var i = 0
        while i + 1 < weights.count { packages.append(weights[i] &+ weights[i + 1]); i += 2 }
        var merged: [Int32] = [], mw: [UInt64] = []
        merged.reserveCapacity(n + packages.count); mw.reserveCapacity(n + packages.count)
        var a = 0, b = 0
        while a < n || b < packages.count {
            // A leaf goes before a package of the same weight (deterministic, and optimal either way).
            if b == packages.count || (a < n && counts[used[a]] <= packages[b]) {
                merged.append(Int32(a)); mw.append(counts[used[a]]); a += 1
            } else {
                merged.append(-1); mw.append(packages[b]); b += 1
            }
        }
        levels.append(merged)
        weights = mw
    }
    var take = 2 * n - 2
    for level in levels.reversed() {
        var packagesTaken = 0
        for item in level.prefix(take) {
            if item >= 0 { lengths[used[Int(item)]] += 1 } else { packagesTaken += 1 }
        }
        take = 2 * packagesTaken
    }
    return lengths
}

/// A canonical code from its lengths (one per symbol, 0 = unused), checked:
/// every length at most huffmanMaxLength and the Kraft sum at most 1.
public struct CanonicalCode {
    public let lengths: [UInt8]
    /// The code of each symbol (its low `lengths[s]` bits).
    public let codes: [UInt32]
    public let maxLength: Int
    /// Per length 1…maxLength: the first code, how many symbols have it, and where they start in `sorted`.
    let first: [UInt32], count: [Int], offset: [Int]
    /// The used symbols, by (length, symbol).
    let sorted: [Int32]
    /// Decoding table over the top `tableBits` bits: symbol << 8 | length (0: a longer code or none).
    let table: [UInt32]
    let tableBits: Int

    public init(lengths: [UInt8]) throws {
        self.lengths = lengths
        let maxLen = Int(lengths.max() ?? 0)
        guard maxLen <= huffmanMaxLength else { throw HuffmanError.corrupt("a code length of \(maxLen) bits (at most \(huffmanMaxLength))") }
        maxLength = maxLen
        var count = [Int](repeating: 0, count: maxLen + 1)
        for l in lengths where l > 0 { count[Int(l)] += 1 }
        // Kraft: Σ 2^−len ≤ 1, in units of 2^−maxLen.
        var kraft: UInt64 = 0
        for l in 1...max(1, maxLen) where l <= maxLen { kraft += UInt64(count[l]) << UInt64(maxLen - l) }
        guard maxLen == 0 || kraft <= 1 << UInt64(maxLen) else { throw HuffmanError.corrupt("code lengths that no prefix code has (Kraft sum above 1)") }
        var first = [UInt32](repeating: 0, count: maxLen + 2), offset = [Int](repeating: 0, count: maxLen + 2)
        var code: UInt32 = 0, at = 0
        if maxLen >= 1 {
            for l in 1...maxLen {
                first[l] = code
                offset[l] = at
                code = (code + UInt32(count[l])) << 1
                at += count[l]
            }
        }
        let sorted = lengths.indices.filter { lengths[$0] > 0 }.sorted { (lengths[$0], $0) < (lengths[$1], $1) }.map { Int32($0) }
        var codes = [UInt32](repeating: 0, count: lengths.count)
        var next = first
        for s in sorted {
            let l = Int(lengths[Int(s)])
            codes[Int(s)] = next[l]
            next[l] += 1
        }
        let tb = min(maxLen, 11)
        var table = [UInt32](repeating: 0, count: 1 << tb)
        for s in sorted where Int(lengths[Int(s)]) <= tb {
            let l = Int(lengths[Int(s)])
            let lo = Int(codes[Int(s)]) << (tb - l), hi = lo + (1 << (tb - l))
            for i in lo..<hi { table[i] = UInt32(s) << 8 | UInt32(l) }
        }
        self.codes = codes
        self.first = first
        self.count = count
        self.offset = offset
        self.sorted = sorted
        self.table = table
        tableBits = tb
    }

    /// The bits `symbols` take in this code (each symbol must have a code).
    public func encodedBits<C: Collection>(_ symbols: C) -> Int where C.Element == UInt32 {
        symbols.reduce(0) { $0 + Int(lengths[Int($1)]) }
    }

    /// Encodes `symbols`, most significant bit first, zero-padded to whole bytes.
    /// Throws for a symbol the code does not have.
    public func encode(_ symbols: UnsafeBufferPointer<UInt32>) throws -> [UInt8] {
        var w = BitWriter()
        for s in symbols {
            guard Int(s) < lengths.count, lengths[Int(s)] > 0 else {
                throw DLError.input("symbol \(s) has no code", hint: "the code was built from other data")
            }
            w.write(UInt64(codes[Int(s)]), bits: Int(lengths[Int(s)]))
        }
        return w.finish()
    }

    /// Decodes exactly `n` symbols from `bytes` into `out` [n]; the stream must
    /// end within the last byte (its padding zero).
    public func decode(_ bytes: UnsafeBufferPointer<UInt8>, count n: Int, into out: UnsafeMutablePointer<UInt32>) throws {
        guard n > 0 else {
            guard bytes.isEmpty else { throw HuffmanError.corrupt("\(bytes.count) bytes where no symbols are") }
            return
        }
        guard maxLength > 0 else { throw HuffmanError.corrupt("\(n) symbols but no code") }
        var r = BitReader(bytes)
        let tb = tableBits, shift = UInt64(64 - tb)
        for i in 0..<n {
            r.refill()
            let top = r.window
            let e = table[Int(top >> shift)]
            if e & 0xFF != 0 {
                let l = Int(e & 0xFF)
                guard r.available >= l else { throw HuffmanError.corrupt("the stream ends inside symbol \(i + 1) of \(n)") }
                out[i] = e >> 8
                r.consume(l)
                continue
            }
            // The canonical walk: the code of length l is the top l bits.
            var found = false
            for l in (tb + 1)...max(tb + 1, maxLength) where l <= maxLength {
                let code = UInt32(truncatingIfNeeded: top >> UInt64(64 - l))
                let rank = Int(code) - Int(first[l])
                if rank >= 0 && rank < count[l] {
                    guard r.available >= l else { throw HuffmanError.corrupt("the stream ends inside symbol \(i + 1) of \(n)") }
                    out[i] = UInt32(sorted[offset[l] + rank])
                    r.consume(l)
                    found = true
                    break
                }
            }
            guard found else { throw HuffmanError.corrupt("bits that are no code word at symbol \(i + 1) of \(n)") }
        }
        try r.finish(what: "Huffman")
    }
}

/// Bits into bytes, most significant first.
struct BitWriter {
    var bytes: [UInt8] = []
    var acc: UInt64 = 0
    var filled = 0

    /// The low `bits` (≤ 32) bits of `value`.
    @inline(__always)
    mutating func write(_ value: UInt64, bits: Int) {
        acc = acc << UInt64(bits) | (value & ((1 << UInt64(bits)) - 1))
        filled += bits
        while filled >= 8 {
            filled -= 8
            bytes.append(UInt8(truncatingIfNeeded: acc >> UInt64(filled)))
        }
    }

    mutating func finish() -> [UInt8] {
        if filled > 0 { bytes.append(UInt8(truncatingIfNeeded: acc << UInt64(8 - filled))) }
        filled = 0
        return bytes
    }
}

/// A 64-bit window over bytes, most significant bit first: `window`'s top
/// `available` bits are the next bits of the stream, the rest zero.
struct BitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var next = 0
    var window: UInt64 = 0
    var available = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    @inline(__always)
    mutating func refill() {
        while available <= 56 && next < bytes.count {
            window |= UInt64(bytes[next]) << UInt64(56 - available)
            next += 1
            available += 8
        }
    }

    @inline(__always)
    mutating func consume(_ bits: Int) {
        window = bits == 64 ? 0 : window << UInt64(bits)
        available -= bits
    }

    /// Reads `bits` (≤ 32) bits; nil past the end.
    @inline(__always)
    mutating func read(_ bits: Int) -> UInt32? {
        refill()
        guard available >= bits else { return nil }
        let v = UInt32(truncatingIfNeeded: window >> UInt64(64 - bits))
        consume(bits)
        return v
    }

    /// Checks that what is left is the last byte's zero padding.
    func finish(what: String) throws {
        guard next == bytes.count, available < 8 else {
            throw DLError.input("corrupt \(what) stream: \(bytes.count - next + available / 8) bytes after the last symbol",
                                hint: "the packed file is damaged; re-make it with dl-compress")
        }
        guard window == 0 else {
            throw DLError.input("corrupt \(what) stream: its padding bits are not zero", hint: "the packed file is damaged; re-make it with dl-compress")
        }
    }
}
