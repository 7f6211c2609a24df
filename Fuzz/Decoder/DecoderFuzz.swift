import Foundation
import Shared

// The decoder's fuzz target (libFuzzer): every input is a package — or, with the
// top bit of its first byte, weights to pack — and the only allowed outcomes are
// a DLError or a correct answer. A trap, a sanitizer report or a wrong round trip
// is a finding.
//
// Input layout (little-endian):
//   [0]     flags: bit 7 round-trip mode; bit 0 the package has code lengths;
//           bit 1 keep the CRC given in [4…7] (else it is computed, so the decoder
//           itself meets the bytes, not just the CRC check); bit 2 the lengths
//           are sparse (so N = 13…16 codes fit in a short input)
//   [1]     N = 1 + [1] mod 16
//   [2…3]   the weight count
//   [4…7]   CRC-32
//   then    with bit 0: 2^N code lengths (missing bytes are 0), or with bit 2 too a
//           count P (2 bytes) and P (symbol: 2 bytes mod 2^N, length: 1 byte) pairs;
//           with bit 0 and 4096 or more weights, three segment sizes (2 bytes each;
//           the fourth is the rest of the input); then the stream.
// Round-trip mode: [1] the floor c = [1] mod 9, [2] fixed N (0: dynamic,
// else 1 + ([2] − 1) mod 16: 1…16 as they are), [3] bit 0: no Huffman code; the
// rest float32 weights.
//
// Built twice (Makefile `make fuzz`): with -sanitize=fuzzer -DFUZZING it is the
// libFuzzer target; in the package's normal build it replays files or folders
// of inputs (the kept corpus, Fuzz/corpus/decoder, in `make test`), and with
// --seeds DIR writes the seed inputs the corpus started from.

func fuzzOne(_ bytes: [UInt8]) {
    guard bytes.count >= 4 else { return }
    if bytes[0] & 0x80 != 0 { return roundTrip(bytes) }
    guard bytes.count >= 8 else { return }
    let bits = 1 + Int(bytes[1] % 16)
    let count = Int(bytes[2]) | Int(bytes[3]) << 8
    let crc = bytes[4...7].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.1) << UInt32(8 * $1.0) }
    var at = 8
    var lengths: [UInt8] = []
    if bytes[0] & 1 != 0 {
        lengths = [UInt8](repeating: 0, count: 1 << bits)
        if bytes[0] & 4 != 0 {
            guard bytes.count >= at + 2 else { return }
            let pairs = min(Int(bytes[at]) | Int(bytes[at + 1]) << 8, (bytes.count - at - 2) / 3)
            at += 2
            for _ in 0..<pairs {
                lengths[(Int(bytes[at]) | Int(bytes[at + 1]) << 8) & ((1 << bits) - 1)] = bytes[at + 2]
                at += 3
            }
        } else {
            let n = min(lengths.count, bytes.count - at)
            for i in 0..<n { lengths[i] = bytes[at + i] }
            at += n
        }
    }
    var segments: [Int]? = nil
    if !lengths.isEmpty && streamSegments(count: count) == 4 {
        guard bytes.count >= at + 6 else { return }
        var sizes = (0..<3).map { Int(bytes[at + 2 * $0]) | Int(bytes[at + 2 * $0 + 1]) << 8 }
        at += 6
        let rest = bytes.count - at
        sizes = sizes.map { min($0, rest) }
        segments = sizes + [max(0, rest - sizes.reduce(0, +))]
    }
    var p = PackedTensor(shape: [count], wmin: -1, wmax: 1, bits: bits, entropy: .nan, lengths: lengths,
                         stream: Array(bytes[at...]), segments: segments, crc32: crc)
    if bytes[0] & 2 == 0 { p.crc32 = p.packageCRC }
    guard let symbols = try? unpackSymbols(p) else { return }
    // What decodes is a valid stream: N-bit symbols, and the weights their bin centres.
    precondition(symbols.count == count && symbols.allSatisfy { $0 < 1 << bits })
    let w = try! unpackTensor(p)
    precondition(zip(symbols, w).allSatisfy { dequantize($0, wmin: -1, wmax: 1, bits: bits) == $1 })
}

func roundTrip(_ bytes: [UInt8]) {
    var s = CompressionSettings()
    s.floor = Double(bytes[1] % 9)
    s.fixedBits = bytes[2] == 0 ? nil : 1 + Int(bytes[2] - 1) % 16
    s.huffman = bytes[3] & 1 == 0
    let w = stride(from: 4, to: bytes.count - 3, by: 4).map { i in
        Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
    }
    guard let p = try? packTensor(w, shape: [w.count], s) else {
        precondition(w.contains { !$0.isFinite }, "only non-finite weights are refused")
        return
    }
    precondition(try! unpackTensor(p) == quantizedWeights(w, s), "decode(encode(W)) = quantize(W)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// A package in the input layout above, its CRC left for the target to compute
/// (so a mutation reaches the decoder), its lengths dense or sparse.
func seedInput(_ p: PackedTensor, sparse: Bool) -> [UInt8] {
    var b: [UInt8] = [p.lengths.isEmpty ? 0 : sparse ? 5 : 1, UInt8(p.bits - 1), UInt8(p.count & 0xFF), UInt8(p.count >> 8)]
    b += (0..<4).map { UInt8(truncatingIfNeeded: p.crc32 >> UInt32(8 * $0)) }
    if sparse && !p.lengths.isEmpty {
        let used = p.lengths.indices.filter { p.lengths[$0] > 0 }
        b += [UInt8(used.count & 0xFF), UInt8(used.count >> 8)]
        for s in used { b += [UInt8(s & 0xFF), UInt8(s >> 8), p.lengths[s]] }
    } else if !p.lengths.isEmpty {
        b += p.lengths
    }
    if p.segments.count == 4 { for size in p.segments.prefix(3) { b += [UInt8(size & 0xFF), UInt8(size >> 8)] } }
    return b + p.stream
}

/// Seeds for the corpus: packages of Gaussian, uniform, constant and tiny tensors
/// at several widths, with and without Huffman codes, and round-trip inputs.
func writeSeeds(to dir: String) throws {
    var rng = RNG(seed: 11)
    let tensors: [[Float]] = [
        (0..<600).map { _ in Float(rng.normal() * 0.1) }, (0..<300).map { _ in Float(rng.uniform()) },
        (0..<5000).map { _ in Float(rng.normal() * 0.1) },  // four segments
        [Float](repeating: 0.5, count: 40), [2], (0..<200).map { Float($0 % 3) },
    ]
    var n = 0
    func put(_ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/seed-\(n)"))
        n += 1
    }
    for w in tensors {
        for (fixed, huffman) in [(nil, true), (3, true), (8, false), (nil, false), (14, true)] as [(Int?, Bool)] {
            if fixed == 14 && w.count > 1000 { continue }  // its sparse lengths would pass the fuzzer's 8 KiB inputs
            var s = CompressionSettings()
            s.fixedBits = fixed
            s.huffman = huffman
            var p = try packTensor(w, shape: [w.count], s)
            // The fuzz layout's range is [−1, 1]: re-packed there, the stream is the same, the CRC new.
            p.wmin = -1
            p.wmax = 1
            p.crc32 = p.packageCRC
            try put(seedInput(p, sparse: p.bits > 10))
            let floats = w.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> UInt32(8 * $0)) } }
            if w.count <= 2000 { try put([0x80, 5, UInt8(fixed ?? 0), huffman ? 0 : 1] + floats) }
        }
    }
    FileHandle.standardError.write(Data("fuzz-decoder: wrote \(n) seeds to \(dir)\n".utf8))
}

#if FUZZING
// SwiftPM links an executable's entry point as <module>_main; under libFuzzer that
// entry hands the arguments to libFuzzer's driver (found by name: the fuzz build
// exports its symbols).
typealias FuzzerDriver = @convention(c) (UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                         @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("fuzz_decoder_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    guard let driver = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") else {
        fputs("fuzz-decoder: no libFuzzer driver linked (build it with `make fuzz`)\n", stderr)
        return 2
    }
    var c = argc, v = argv
    return unsafeBitCast(driver, to: FuzzerDriver.self)(&c, &v, { LLVMFuzzerTestOneInput($0, $1) })
}
#else
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        if args.first == "--seeds", args.count == 2 {
            do { try writeSeeds(to: args.last!) } catch {
                FileHandle.standardError.write(Data("fuzz-decoder: \(error)\n".utf8))
                exit(1)
            }
            return
        }
        guard !args.isEmpty else {
            FileHandle.standardError.write(Data("usage: fuzz-decoder FILE_OR_FOLDER… (replays fuzz inputs; `make fuzz` fuzzes)\n".utf8))
            exit(2)
        }
        var files: [String] = []
        for a in args {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: a, isDirectory: &isDir) else {
                FileHandle.standardError.write(Data("fuzz-decoder: \(a) does not exist\n".utf8))
                exit(1)
            }
            if isDir.boolValue {
                files += ((try? FileManager.default.contentsOfDirectory(atPath: a)) ?? []).sorted().map { a + "/" + $0 }
            } else {
                files.append(a)
            }
        }
        for f in files { fuzzOne([UInt8](FileManager.default.contents(atPath: f) ?? Data())) }
        FileHandle.standardError.write(Data("fuzz-decoder: \(files.count) inputs replayed, no finding\n".utf8))
    }
}
#endif
