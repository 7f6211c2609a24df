// Compression during training (Th. 3.7–3.9, Figure 3.4): after every epoch's
// last step each W_i and b_i is replaced by its decoded package — Algorithm 1,
// then Algorithm 2 — as the other nodes of a data-parallel run would receive
// it, before the epoch is evaluated; training goes on from those weights. The
// run records N and the Huffman-coded rate of every tensor in every epoch.

/// Parses a --quantize spec: `dynamic` or `dynamic:F=0.03,M=4,c=5` (Algorithm 1's
/// N = ⌈H + c⌉), or `fixed:N` (Th. Figure 3.1); `huffman=0` stores N-bit symbols.
public func parseQuantizeSpec(_ spec: String, seed: UInt64) throws -> CompressionSettings {
    var s = CompressionSettings()
    s.seed = seed
    let bad = DLError.usage("bad --quantize '\(spec)'", hint: "dynamic[:F=0.03,M=4,c=5] or fixed:N, e.g. fixed:8")
    let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
    guard let mode = parts.first else { throw bad }
    var rest = parts.count > 1 ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
    switch mode {
    case "dynamic": break
    case "fixed":
        guard let n = rest.first.flatMap({ Int($0) }) else { throw bad }
        s.fixedBits = n
        rest.removeFirst()
    default: throw bad
    }
    for kv in rest {
        let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
        guard p.count == 2 else { throw bad }
        switch (mode, p[0]) {
        case ("dynamic", "F"): guard let v = Double(p[1]) else { throw bad }; s.sampleFraction = v
        case ("dynamic", "M"): guard let v = Int(p[1]) else { throw bad }; s.previewBits = v
        case ("dynamic", "c"): guard let v = Double(p[1]) else { throw bad }; s.floor = v
        case (_, "max"): guard let v = Int(p[1]) else { throw bad }; s.maxBits = v
        case (_, "huffman"): guard p[1] == "0" || p[1] == "1" else { throw bad }; s.huffman = p[1] == "1"
        default: throw bad
        }
    }
    do { try s.validate() } catch let e as DLError { throw DLError.usage("bad --quantize '\(spec)': \(e.what)", hint: bad.hint) }
    return s
}

/// The quantizing hook of one training run and what it recorded.
public final class QuantizedTraining {
    public let settings: CompressionSettings
    /// Per quantized epoch: its number, and per tensor (W_1, b_1, …) N and the stream's bits per parameter.
    public private(set) var epochs: [Int] = []
    public private(set) var bits: [[Int]] = []
    public private(set) var rates: [[Double]] = []
    /// All tensors' stream bits over all their parameters, per epoch.
    public private(set) var totalRates: [Double] = []

    public init(settings: CompressionSettings) { self.settings = settings }

    public var hooks: TrainingHooks { TrainingHooks(beforeEvaluation: { [self] t, e in try quantize(t, epoch: e) }) }

    func quantize(_ trainer: Trainer, epoch: Int) throws {
        let m = trainer.model
        var n: [Int] = [], r: [Double] = [], streamBits = 0, count = 0
        try trainer.withParameters { w in
            for i in 1...m.layers {
                let tensors = [(m.weightOffset(i), [m.widths[i - 1], m.widths[i]]), (m.biasOffset(i), [m.widths[i]])]
                for (t, (offset, shape)) in tensors.enumerated() {
                    let size = shape.reduce(1, *)
                    var s = settings
                    s.seed = settings.seed &+ UInt64(epoch) << 20 &+ UInt64(2 * (i - 1) + t)
                    // Packed from the engine's own buffer and decoded back into it: no copies.
                    let tensor = UnsafeMutableBufferPointer(rebasing: w[offset..<(offset + size)])
                    let p: PackedTensor
                    do {
                        p = try packTensor(UnsafeBufferPointer(tensor), shape: shape, s)
                        try unpackTensor(p, into: tensor)
                    } catch let e as DLError {
                        throw e.within("epoch \(epoch), layer \(i) \(t == 0 ? "W" : "b")")
                    }
                    n.append(p.bits)
                    r.append(Double(p.stream.count * 8) / Double(max(1, size)))
                    streamBits += p.stream.count * 8
                    count += size
                }
            }
        }
        epochs.append(epoch)
        bits.append(n)
        rates.append(r)
        totalRates.append(Double(streamBits) / Double(max(1, count)))
        Log.debug("epoch \(epoch): N = \(n.map(String.init).joined(separator: ",")); \(String(format: "%.3f", totalRates.last!)) bits a parameter")
    }

    /// Writes the record beside a model's training log: /model/log/quantize_bits
    /// [E, 2k] (N per tensor), quantize_bits_per_param [E, 2k], quantize_total_bits_per_param [E].
    public func write(to model: H5Group, spec: String) throws {
        guard !epochs.isEmpty else { return }
        try model.setAttribute("quantize", spec)
        let log = model.kind(of: "log") == .group ? try model.openGroup("log") : try model.createGroup("log")
        let T = bits[0].count
        try log.write("quantize_bits", shape: [epochs.count, T], values: bits.flatMap { $0.map { Int32($0) } })
        try log.write("quantize_bits_per_param", shape: [epochs.count, T], values: rates.flatMap { $0 })
        try log.write("quantize_total_bits_per_param", shape: [epochs.count], values: totalRates)
    }
}
