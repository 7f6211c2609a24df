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

    /// `tableBits`: the most bits the decoding tables index (12: 16 KiB and 32 KiB);
    /// a short stream deserves smaller ones, since building them costs 2^bits.
    public init(lengths: [UInt8], tableBits maxTableBits: Int = 12) throws {
        self.lengths = lengths
        guard lengths.count <= 1 << 16 else { throw HuffmanError.corrupt("\(lengths.count) symbols (at most 65,536: N ≤ 16)") }
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
        let tb = min(maxLen, max(1, min(12, maxTableBits)))
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

    /// Each symbol's code word and length as the writer takes them: code << 8 | length.
    var words: [UInt32] { zip(codes, lengths).map { $0 << 8 | UInt32($1) } }

    /// Encodes `symbols`, most significant bit first, zero-padded to whole bytes.
    /// Throws for a symbol the code does not have.
    public func encode(_ symbols: UnsafeBufferPointer<UInt32>) throws -> [UInt8] {
        var bits = 0
        for s in symbols {
            guard Int(s) < lengths.count, lengths[Int(s)] > 0 else {
                throw DLError.input("symbol \(s) has no code", hint: "the code was built from other data")
            }
            bits += Int(lengths[Int(s)])
        }
        return words.withUnsafeBufferPointer { writeCodeWords(symbols, words: $0, totalBits: bits) }
    }

    /// Decodes exactly `n` symbols from `bytes` into `out` [n]; the stream must
    /// end within the last byte (its padding zero).
    public func decode(_ bytes: UnsafeBufferPointer<UInt8>, count n: Int, into out: UnsafeMutablePointer<UInt32>) throws {
        let identity = (0..<UInt32(lengths.count)).map { $0 }
        try identity.withUnsafeBufferPointer { try decode(bytes, count: n, values: $0, into: out) }
    }

    /// The two-symbol table over the same top bits: per entry the first symbol
    /// (bits 32…47) and, when its code leaves room for a whole second code in
    /// the table's bits, the second (48…63); how many (16…23), the bits both take
    /// (8…15; 0: the first code is longer than the table).
    func pairTable() -> [UInt64] {
        let tb = tableBits, mask = (1 << tb) - 1
        return (0..<(1 << tb)).map { x -> UInt64 in
            let e = table[x], l1 = Int(e & 0xFF)
            guard l1 != 0 else { return 0 }
            var entry = UInt64(e >> 8) << 32 | 1 << 16 | UInt64(l1) << 8
            let f = table[(x << l1) & mask], l2 = Int(f & 0xFF)
            if l2 != 0 && l1 + l2 <= tb {
                entry = UInt64(e >> 8) << 32 | UInt64(f >> 8) << 48 | 2 << 16 | UInt64(l1 + l2) << 8
            }
            return entry
        }
    }

    /// The long-code walk: the symbol whose code of length l > tableBits is the top
    /// l bits of `window`, and l; nil for bits that are no code word.
    @inline(never)
    func longCode(_ window: UInt64) -> (symbol: Int, length: Int)? {
        guard maxLength > tableBits else { return nil }
        for l in (tableBits + 1)...maxLength {
            let rank = Int(window >> UInt64(64 - l)) - Int(first[l])
            if rank >= 0 && rank < count[l] { return (Int(sorted[offset[l] + rank]), l) }
        }
        return nil
    }

    /// Decodes exactly `n` symbols from `bytes`, writing `values[symbol]` for each
    /// into `out` [n] (the decoder and the dequantizer in one pass), starting at
    /// bit `startBit`. The stream must end within its last byte, the padding zero.
    /// While eight bytes and four symbols remain it runs `step` (two lookups in a
    /// 64-bit window); the last bytes go one symbol at a time, checked.
    func decode<T>(_ bytes: UnsafeBufferPointer<UInt8>, count n: Int, values: UnsafeBufferPointer<T>,
                   into out: UnsafeMutablePointer<T>, startBit: Int = 0, pairs given: [UInt64]? = nil) throws {
        guard n > 0 else { return try checkPadding(bytes, consumed: startBit, what: "Huffman") }
        guard maxLength > 0 else { throw HuffmanError.corrupt("\(n) symbols but no code") }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { throw HuffmanError.corrupt("no bytes for \(n) symbols") }
        guard values.count >= lengths.count else { throw HuffmanError.corrupt("\(lengths.count) symbols but \(values.count) values") }
        let raw = UnsafeRawPointer(base), nb = bytes.count
        let shift = UInt64(64 - tableBits)
        let pairs = given ?? pairTable()
        // The fast part is one lane of the segmented decoder's loop.
        var lane = Lane(base: raw, bytes: nb, end: n, pos: startBit, i: 0)
        try pairs.withUnsafeBufferPointer { pt in
            while lane.ready { try step(&lane, pt, values, out, shift) }
        }
        var pos = lane.pos, i = lane.i
        try table.withUnsafeBufferPointer { t in
            while i < n {
                let byte = pos >> 3
                guard byte < nb else { throw HuffmanError.corrupt("the stream ends inside symbol \(i + 1) of \(n)") }
                var window: UInt64 = 0
                for k in 0..<min(8, nb - byte) { window |= UInt64(bytes[byte + k]) << UInt64(56 - 8 * k) }
                window <<= UInt64(pos & 7)
                let valid = min(64 - (pos & 7), nb * 8 - pos)
                let e = t[Int(window >> shift)]
                var sym = Int(e >> 8), l = Int(e & 0xFF)
                if l == 0 {
                    guard let c = longCode(window) else { throw HuffmanError.corrupt("bits that are no code word at symbol \(i + 1) of \(n)") }
                    (sym, l) = c
                }
                guard l <= valid else { throw HuffmanError.corrupt("the stream ends inside symbol \(i + 1) of \(n)") }
                out[i] = values[sym]
                i += 1
                pos += l
            }
        }
        try checkPadding(bytes, consumed: pos, what: "Huffman")
    }

    /// A stream (or one segment of a segmented one) as the fast loop walks it.
    struct Lane {
        let base: UnsafeRawPointer, bytes: Int, end: Int
        var pos = 0, i: Int
        /// Eight bytes to load and room for four symbols.
        @inline(__always) var ready: Bool { (pos &>> 3) &+ 8 <= bytes && i &+ 4 <= end }
    }

    /// Two lookups in one lane: ≤ 48 bits of the ≥ 57 one window holds. Masking
    /// shifts and wrapping sums: every amount is below 64 and every index in range;
    /// a pair entry's second symbol is written even when the entry has one, and
    /// overwritten next.
    @inline(__always)
    func step<T>(_ l: inout Lane, _ pt: UnsafeBufferPointer<UInt64>, _ values: UnsafeBufferPointer<T>, _ out: UnsafeMutablePointer<T>,
                 _ shift: UInt64) throws {
        var window = UInt64(bigEndian: l.base.loadUnaligned(fromByteOffset: l.pos &>> 3, as: UInt64.self)) &<< UInt64(l.pos & 7)
        for _ in 0..<2 {
            let e = pt[Int(truncatingIfNeeded: window &>> shift)]
            var n = Int(truncatingIfNeeded: (e &>> 8) & 0xFF)
            if _fastPath(n != 0) {
                out[l.i] = values[Int(truncatingIfNeeded: (e &>> 32) & 0xFFFF)]
                out[l.i &+ 1] = values[Int(truncatingIfNeeded: e &>> 48)]
                l.i &+= Int(truncatingIfNeeded: (e &>> 16) & 0xFF)
            } else {
                guard let c = longCode(window) else { throw HuffmanError.corrupt("bits that are no code word at symbol \(l.i + 1)") }
                out[l.i] = values[c.symbol]
                n = c.length
                l.i &+= 1
            }
            window = window &<< UInt64(truncatingIfNeeded: n)
            l.pos &+= n
        }
    }

    /// Decodes a segmented stream: `segments` gives the byte size of each of its
    /// consecutive parts, part j holding symbols [j·m, (j+1)·m) with m = ⌈n/K⌉
    /// (docs/FORMAT.md). Four parts are decoded together, one lookup chain each, so
    /// the core overlaps them; what is left of each is finished alone.
    func decode<T>(_ bytes: UnsafeBufferPointer<UInt8>, segments: [Int], count n: Int, values: UnsafeBufferPointer<T>,
                   into out: UnsafeMutablePointer<T>) throws {
        let K = segments.count
        guard K >= 1, segments.allSatisfy({ $0 >= 0 }), segments.reduce(0, { $0 + $1 }) == bytes.count else {
            throw HuffmanError.corrupt("segment sizes \(segments) that do not add up to the stream's \(bytes.count) bytes")
        }
        let m = (n + K - 1) / K
        var offsets = [0]
        for size in segments { offsets.append(offsets.last! + size) }
        var done = (0..<K).map { min(n, $0 * m) }, bits = [Int](repeating: 0, count: K)
        let pairs = maxLength > 0 ? pairTable() : []
        if K == 4, maxLength > 0, let b = bytes.baseAddress {
            let raw = UnsafeRawPointer(b), shift = UInt64(64 - tableBits)
            func lane(_ j: Int) -> Lane {
                Lane(base: raw + offsets[j], bytes: segments[j], end: min(n, (j + 1) * m), i: done[j])
            }
            var l0 = lane(0), l1 = lane(1), l2 = lane(2), l3 = lane(3)
            try pairs.withUnsafeBufferPointer { pt in
                while l0.ready && l1.ready && l2.ready && l3.ready {
                    try step(&l0, pt, values, out, shift)
                    try step(&l1, pt, values, out, shift)
                    try step(&l2, pt, values, out, shift)
                    try step(&l3, pt, values, out, shift)
                }
            }
            for (j, l) in [l0, l1, l2, l3].enumerated() { (done[j], bits[j]) = (l.i, l.pos) }
        }
        for j in 0..<K {
            try decode(UnsafeBufferPointer(rebasing: bytes[offsets[j]..<offsets[j + 1]]), count: min(n, (j + 1) * m) - done[j],
                       values: values, into: out + done[j], startBit: bits[j], pairs: pairs)
        }
    }
}

/// Writes each symbol's code word (words[s] = code << 8 | length, lengths ≤ 24),
/// most significant bit first, into ⌈totalBits/8⌉ bytes, the last zero-padded;
/// `totalBits` is the sum of the symbols' lengths.
func writeCodeWords<S: FixedWidthInteger>(_ symbols: UnsafeBufferPointer<S>, words: UnsafeBufferPointer<UInt32>, totalBits: Int) -> [UInt8] {
    let size = (totalBits + 7) / 8
    return [UInt8](unsafeUninitializedCapacity: size + 8) { buf, initialized in
        initialized = writeCodeWords(symbols, words: words, into: UnsafeMutableRawPointer(buf.baseAddress!))
    }
}

/// The writer: 32 bits go out at a time, never past the last byte the symbols
/// fill; returns the bytes written.
func writeCodeWords<S: FixedWidthInteger>(_ symbols: UnsafeBufferPointer<S>, words: UnsafeBufferPointer<UInt32>,
                                          into out: UnsafeMutableRawPointer) -> Int {
    var acc: UInt64 = 0, filled = 0, at = 0
    for s in symbols {
        let e = words[Int(s)]
        let l = Int(truncatingIfNeeded: e & 0xFF)
        acc = acc &<< UInt64(truncatingIfNeeded: l) | UInt64(e &>> 8)
        filled &+= l
        if filled >= 32 {
            filled &-= 32
            out.storeBytes(of: UInt32(truncatingIfNeeded: acc &>> UInt64(truncatingIfNeeded: filled)).bigEndian, toByteOffset: at, as: UInt32.self)
            at &+= 4
        }
    }
    while filled >= 8 {
        filled -= 8
        out.storeBytes(of: UInt8(truncatingIfNeeded: acc >> UInt64(filled)), toByteOffset: at, as: UInt8.self)
        at += 1
    }
    if filled > 0 {
        out.storeBytes(of: UInt8(truncatingIfNeeded: acc << UInt64(8 - filled)), toByteOffset: at, as: UInt8.self)
        at += 1
    }
    return at
}

/// Reads `n` fixed-width symbols of `bits` (≤ 16) each, MSB first, writing
/// `values[symbol]` for each; the stream must be exactly ⌈n·bits/8⌉ bytes, the padding zero.
func readFixedWidth<T>(_ bytes: UnsafeBufferPointer<UInt8>, count n: Int, bits: Int, values: UnsafeBufferPointer<T>,
                       into out: UnsafeMutablePointer<T>) throws {
    guard bytes.count == (n * bits + 7) / 8 else {
        throw DLError.input("a fixed-width stream of \(bytes.count) bytes for \(n) weights of \(bits) bits",
                            hint: "the packed file is damaged")
    }
    guard n > 0, let base = bytes.baseAddress else { return }
    guard values.count >= 1 << bits else { throw HuffmanError.corrupt("\(1 << bits) symbols but \(values.count) values") }
    let raw = UnsafeRawPointer(base), nb = bytes.count, shift = UInt64(64 - bits)
    var pos = 0
    for i in 0..<n {
        let byte = pos >> 3
        var window: UInt64
        if byte + 8 <= nb {
            window = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            window = 0
            for k in 0..<(nb - byte) { window |= UInt64(bytes[byte + k]) << UInt64(56 - 8 * k) }
        }
        out[i] = values[Int((window << UInt64(pos & 7)) >> shift)]
        pos += bits
    }
    try checkPadding(bytes, consumed: pos, what: "fixed-width")
}

/// Checks that a stream whose symbols took `consumed` bits ends in the byte they
/// end in, and that the rest of that byte is zero.
func checkPadding(_ bytes: UnsafeBufferPointer<UInt8>, consumed: Int, what: String) throws {
    guard (consumed + 7) / 8 == bytes.count else {
        throw DLError.input("corrupt \(what) stream: \(bytes.count - (consumed + 7) / 8) bytes after the last symbol",
                            hint: "the packed file is damaged; re-make it with dl-compress")
    }
    guard consumed % 8 == 0 || bytes[bytes.count - 1] & (0xFF >> UInt8(consumed % 8)) == 0 else {
        throw DLError.input("corrupt \(what) stream: its padding bits are not zero", hint: "the packed file is damaged; re-make it with dl-compress")
    }
}
