import Foundation

// What a layer-wise run is asked to do (Th. 6, Table 6.3): the feeding mode, the
// robin order, the per-segment schedules, online k-filtering, and the segments
// of hidden layers (Th. 6.5). LayerwiseRun (Layerwise.swift) carries them out.

public enum FeedMode: String, CaseIterable, Sendable { case checkpoint, feednet }
public enum RobinOrder: String, CaseIterable, Sendable { case sequential, random }

public struct LayerwiseSettings {
    /// The base run: optimizer, batch, lr and wd of segment 0, seed, threads,
    /// targets; its `epochs` is ignored (see `epochs`).
    public var training = TrainingSettings()
    /// Epochs per segment: one number for all, or one per segment.
    public var epochs: [Int] = [10]
    public var lrDecay: Float = 0.8
    public var wdGrowth: Float = 1.15
    /// Forward dropout on the segment's input at its first epoch, and its decay per epoch.
    public var inputDropout: Float = 0
    public var inputDropoutDecay: Float = 0.95
    /// Backward dropout on the gradient entering the trained layers from the decision block.
    public var gradientDropout: Float = 0
    /// Hidden widths of the decision block ([]: a single decision layer).
    public var decision: [Int] = []
    /// How the decision block's weights are drawn (nil: the hidden activation's default).
    public var decisionInit: Initialization?
    public var subnetSize = 1
    public var step = 1
    public var mode = FeedMode.checkpoint
    /// Random robin: rounds, each training every segment `epochsPerRound` epochs.
    public var rounds = 1
    public var epochsPerRound = 1
    public var order = RobinOrder.sequential
    /// Online k-filtering of the features under every segment above the first.
    public var kfilter: KFilterSettings?

    public init() {}

    /// Epochs of segment j on one visit.
    func visitEpochs(_ j: Int) -> Int { rounds > 1 ? epochsPerRound : (epochs.count == 1 ? epochs[0] : epochs[j]) }

    /// Throws a usage error naming the first setting out of range, for `segments` segments.
    public func validate(segments n: Int) throws {
        try training.validate()
        guard epochs.count == 1 || epochs.count == n else {
            throw DLError.usage("--epochs lists \(epochs.count) numbers for \(n) segment\(n == 1 ? "" : "s")",
                                hint: "give one number, or one per segment (\(n))")
        }
        guard epochs.allSatisfy({ (1...TrainingSettings.maxEpochs).contains($0) }) else {
            throw DLError.usage("every --epochs number must lie in 1…\(TrainingSettings.maxEpochs)")
        }
        guard lrDecay > 0, lrDecay.isFinite, wdGrowth > 0, wdGrowth.isFinite else {
            throw DLError.usage("--lr-decay and --wd-growth must be positive and finite")
        }
        guard (0..<1).contains(inputDropout), (0..<1).contains(gradientDropout) else {
            throw DLError.usage("dropout rates must lie in [0, 1)")
        }
        // The last segment's rate and decay must stay representable (a deep net
        // multiplies them by decay^j and growth^j hundreds of times).
        let j = Float(max(0, n - 1))
        let lastLR = training.learningRate * pow(lrDecay, j)
        let lastWD = training.weightDecay == 0 ? 0 : training.weightDecay * pow(wdGrowth, j)
        guard lastLR > 0, lastLR.isFinite else {
            throw DLError.usage("segment \(n - 1)'s learning rate, --lr × \(lrDecay)^\(n - 1), is \(lastLR) in float32",
                                hint: "use a --lr-decay closer to 1 for a net this deep")
        }
        guard lastWD.isFinite else {
            throw DLError.usage("segment \(n - 1)'s weight decay, --wd × \(wdGrowth)^\(n - 1), overflows float32",
                                hint: "use a --wd-growth closer to 1 for a net this deep")
        }
        guard inputDropoutDecay > 0, inputDropoutDecay <= 1 else { throw DLError.usage("--input-dropout-decay must lie in (0, 1]") }
        guard decision.allSatisfy({ (1...(1 << 24)).contains($0) }) else { throw DLError.usage("decision widths must be positive") }
        guard subnetSize >= 1 else { throw DLError.usage("--subnet-size must be at least 1") }
        guard step >= 1, step <= subnetSize else {
            throw DLError.usage("--stride must lie in 1…\(subnetSize) (the subnet size): a larger stride would skip layers")
        }
        guard (1...1_000_000).contains(rounds) else { throw DLError.usage("--rounds must lie in 1…1000000") }
        guard (1...TrainingSettings.maxEpochs).contains(epochsPerRound) else { throw DLError.usage("--epochs-per-round must be at least 1") }
        if let f = kfilter {
            guard f.k >= 1 else { throw DLError.usage("--kfilter: k must be at least 1") }
            if let m = f.maxFraction, !(0...1).contains(m) { throw DLError.usage("--kfilter: max must lie in [0, 1]") }
        }
    }
}

/// The segments a…b of hidden layers 1…h: size `size`, starting every `step`
/// layers, the last ending at h (Th. 6.5; overlap size − step).
public func layerwiseSegments(hiddenLayers h: Int, size: Int, step: Int) -> [ClosedRange<Int>] {
    guard h >= 1 else { return [] }
    var out: [ClosedRange<Int>] = []
    var a = 1
    while true {
        let b = min(a + size - 1, h)
        out.append(a...b)
        if b == h { return out }
        a += step
    }
}
