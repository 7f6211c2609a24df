/// Every random stream the suite draws from, by name. `RNG(seed:stream:)` takes
/// one of these, so a new use cannot silently share a stream with an old one.
/// Each maps to the stream number the files were made with (changing a number
/// changes outputs), and each family owns a range of numbers of its own
/// (`families`; the tests check that they are disjoint and that every stream
/// falls in its family's range). A new use of randomness adds a case here.
public enum RandomStream: Hashable, Sendable {
    /// dl-data --shuffle: the rows of split i (0 train, 1 val, 2 test).
    case rowShuffle(split: Int)
    /// kNN batches of randomly ordered rows (dl-kfilter, dl-measure redundancy).
    case kNNBatches
    /// Which redundant rows a k-filter's --max-fraction cap keeps.
    case kFilterCap
    /// The weights sampled for a weight-entropy estimate (Th. Algorithm 1).
    case weightSample
    /// Synthetic data (dl-data spirals, checkerboard, sine): the train and test splits.
    case syntheticTrain, syntheticTest
    /// The initial W_i of layer i.
    case initialWeights(layer: Int)
    /// The order of the training rows in epoch e.
    case epochOrder(epoch: Int)
    /// Dropout masks on layer i's input, and on the gradient entering layer i
    /// (substream: the training row's place in the run).
    case inputDropout(layer: Int), gradientDropout(layer: Int)
    /// Layer-wise training (Th. 6): the initial weights of segment j's decision
    /// block (substream: its layer), and the seed of segment j's run (its row
    /// orders and dropout masks).
    case decisionWeights(segment: Int), segmentRun(segment: Int)
    /// Platonic Projections (Th. 7): layer i's random P (substream: the try) or random W.
    case projection(layer: Int)
    /// The order of the segments in each round of random robin (Th. Algorithm 4; substream: the round).
    case robinOrder
    /// Neurashed: a `random` preset's graph; the initial λ and η; the mini-batches
    /// of types (substream: the iteration); the noise of the mutual-information estimate.
    case neurashedGraph, neurashedInit, neurashedBatches, neurashedNoise

    /// The stream number.
    public var number: UInt64 {
        switch self {
        case .rowShuffle(let split): return 1 + UInt64(clamping: min(max(split, 0), 2))
        case .kNNBatches: return 7
        case .kFilterCap: return 8
        case .weightSample: return 11
        case .syntheticTrain: return 101
        case .syntheticTest: return 102
        // Layers past 8999 would run into the epochs' numbers: they go above them.
        case .initialWeights(let i): return i < 9000 ? 1000 + UInt64(clamping: i) : Self.high + UInt64(clamping: min(i, Self.maxLayer))
        case .epochOrder(let e): return 10_000 + UInt64(clamping: min(e, Self.maxEpoch))
        case .inputDropout(let i): return 2 * Self.high + UInt64(clamping: min(i, Self.maxLayer))
        case .gradientDropout(let i): return 3 * Self.high + UInt64(clamping: min(i, Self.maxLayer))
        case .decisionWeights(let j): return 4 * Self.high + UInt64(clamping: min(max(j, 0), Self.maxLayer))
        case .segmentRun(let j): return 5 * Self.high + UInt64(clamping: min(max(j, 0), Self.maxLayer))
        case .robinOrder: return 12
        case .neurashedGraph: return 201
        case .neurashedInit: return 202
        case .neurashedBatches: return 203
        case .neurashedNoise: return 204
        case .projection(let i): return 6 * Self.high + UInt64(clamping: min(max(i, 0), Self.maxLayer))
        }
    }

    static let high: UInt64 = 1 << 40
    /// Beyond any epoch count or depth a run can have (the settings' checks cap them lower).
    public static let maxEpoch = Int(high) - 20_000
    static let maxLayer = Int(high) - 1  // keeps every family below the next

    /// Each family's range of stream numbers.
    public static let families: [(name: String, numbers: ClosedRange<UInt64>)] = [
        ("rowShuffle", 1...3), ("kNNBatches", 7...7), ("kFilterCap", 8...8), ("weightSample", 11...11),
        ("synthetic", 101...102), ("initialWeights", 1000...9999), ("epochOrder", 10_000...(high - 1)),
        ("initialWeights (deep)", (high + 9000)...(2 * high - 1)),
        ("inputDropout", (2 * high)...(3 * high - 1)), ("gradientDropout", (3 * high)...(4 * high - 1)),
        ("decisionWeights", (4 * high)...(5 * high - 1)), ("segmentRun", (5 * high)...(6 * high - 1)), ("robinOrder", 12...12),
        ("projection", (6 * high)...(7 * high - 1)), ("neurashed", 201...204),
    ]
}
