import ArgumentParser

/// How a kNN search over a split is batched and tiled: the options dl-kfilter and
/// dl-measure redundancy share.
public struct KNNOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Search within consecutive mini-batches of N rows, as the thesis ran it (default: the whole split).", valueName: "n"))
    public var batch: Int?
    @Flag(help: "Form the batches from randomly ordered rows (seeded by --seed) instead of consecutive ones.")
    public var randomBatches = false
    @Option(help: ArgumentHelp("Rows per side of a distance tile (memory: block² floats).", valueName: "n"))
    public var block = 2048

    public init() {}

    public func validate() throws {
        if let batch, batch < 2 { throw ValidationError("--batch must be at least 2") }
        if !(16...16384).contains(block) { throw ValidationError("--block must lie in 16…16384 (a tile holds block² floats)") }
        if randomBatches && batch == nil { throw ValidationError("--random-batches only matters with --batch") }
    }

    /// k-filter settings with these options, the seed and the threads.
    public func settings(_ common: CommonOptions) -> KFilterSettings {
        var s = KFilterSettings()
        s.batch = batch
        s.randomBatches = randomBatches
        s.seed = common.seed
        s.knn.queryBlock = block
        s.knn.threads = common.threadCount
        return s
    }
}
