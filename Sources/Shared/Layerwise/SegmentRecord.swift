import Foundation

// What a layer-wise run records: a row per visit of a segment (the per-layer log
// of Th. Table 6.3: accuracy, rows kept, memory against full backprop, time),
// the run's result, and the line each visit logs.

/// One visit of one segment: what it trained and how it did (the per-layer log).
public struct SegmentRecord: Equatable, Sendable {
    public var round = 1
    /// j, from 0.
    public var segment = 0
    public var firstLayer = 1
    public var lastLayer = 1
    public var epochs = 0
    public var learningRate: Double = 0
    public var weightDecay: Double = 0
    /// Rows trained on (after k-filtering) and their share of /train.
    public var trainRows = 0
    public var keptFraction: Double = 1
    public var trainLoss: Double = .nan
    public var trainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// Th. Table 6.3's memory: the subnet (with its feednet) and full backprop of the whole net, at the same batch.
    public var memory = TrainingMemory()
    public var fullBackpropBytes = 0
    /// Checkpointed features held in memory for this segment (train and test).
    public var featureBytes = 0
    public var seconds: Double = 0
    public var peakResidentBytes = 0

    public init() {}

    public var relativeMemory: Double { fullBackpropBytes > 0 ? Double(memory.total) / Double(fullBackpropBytes) : .nan }

    /// "layer 3" or "layers 2–3".
    public var layersName: String { firstLayer == lastLayer ? "layer \(firstLayer)" : "layers \(firstLayer)–\(lastLayer)" }
}

public struct LayerwiseResult {
    public var model: MLP
    public var segments: [SegmentRecord]
    /// Every epoch of every visit, in order, with the visit it belongs to.
    public var log: [EpochRecord]
    public var logVisit: [Int]
}

/// "layer 2: test accuracy 87.10%, kept 61.3% of rows; memory 1.2 MB = 23.1% of full backprop (5.3 MB); peak RSS 310 MB; 12.3s".
public func segmentSummary(_ r: SegmentRecord, mode: FeedMode) -> String {
    func mb(_ b: Int) -> String { String(format: "%.2f MB", Double(b) / 1e6) }
    var s = r.layersName + ":"
    if let a = r.testAccuracy { s += String(format: " test accuracy %.2f%%", 100 * a) }
    else if let l = r.testLoss { s += String(format: " test loss %.4g", l) }
    else { s += String(format: " train loss %.4g", r.trainLoss) }
    if r.keptFraction < 1 { s += String(format: ", kept %.1f%% of the rows", 100 * r.keptFraction) }
    s += "; memory \(mb(r.memory.total))" + (mode == .feednet ? " with the feednet" : "")
    s += String(format: " = %.1f%% of full backprop (%@)", 100 * r.relativeMemory, mb(r.fullBackpropBytes))
    s += "; peak RSS \(mb(r.peakResidentBytes))" + String(format: "; %.1fs", r.seconds)
    return s
}
