import ArgumentParser
import Foundation
import Shared

@main
struct DLKFilter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dl-kfilter",
        abstract: "k-filtering (Th. 5.4): drop training samples whose k nearest neighbours all share their class.",
        usage: "dl-kfilter -k K [--batch N] [OPTIONS] [DATA]",
        discussion: """
            Exact kNN (Euclidean, the sample itself excluded, ties to the lower index)
            by blocked GEMM. Filters /train; other splits are copied untouched. The
            kept rows carry their original row numbers in /train/index, and /train's
            attributes record k, the batch size and the kept fraction (k-redundancy =
            1 − kept fraction). Works on any data file, features included.
            e.g.:
              dl-data fashion-mnist | dl-kfilter -k 10 --batch 6148 > filtered.h5
              dl-kfilter -k 20 data.h5 --mask-only -o masked.h5
              dl-data checkerboard | dl-kfilter -k 5 | dl-data info
            """,
        version: dlVersionReport
    )

    @Argument(help: ArgumentHelp("The data file ('-' or none = standard input).", valueName: "data"))
    var input = "-"
    @Option(name: [.customShort("k"), .customLong("neighbours")], help: "Neighbours that must all share a sample's class for it to be dropped.")
    var k = 10
    @Option(help: ArgumentHelp("Remove at most this fraction of the rows (Th. 6.8.2 used 0.6).", valueName: "f"))
    var maxFraction: Double?
    @Flag(help: "Keep every row; write the keep-mask to /train/keep (1 = kept) instead.") var maskOnly = false
    @OptionGroup var knn: KNNOptions
    @OptionGroup var common: CommonOptions

    static func main() { ToolMain.run(DLKFilter.self, tool: "dl-kfilter") }

    func validate() throws {
        if !(1...100_000).contains(k) { throw ValidationError("-k must lie in 1…100000") }
        if let f = maxFraction, !(f >= 0 && f <= 1) { throw ValidationError("--max-fraction must lie in [0, 1]") }
    }

    func run() throws {
        try common.start(inputs: [input])
        let data = try readDataFile(try openInput(input))
        var s = knn.settings(common)
        s.k = k
        s.maxFraction = maxFraction
        let t0 = monotonicSeconds()
        let (out, kept) = try kFilter(data, file: displayName(input), settings: s, maskOnly: maskOnly)
        let seconds = monotonicSeconds() - t0
        try writeDataFile(out, to: common.outputTarget, command: historyEntry())
        let m = data.train!.rows
        let fraction = m > 0 ? Double(kept) / Double(m) : 1
        Log.info(String(format: "k=%d: kept %d of %d rows (%.2f%%; k-redundancy %.2f%%) in %.2fs; wrote %@",
                        k, kept, m, 100 * fraction, 100 * (1 - fraction), seconds, common.outputTarget.name))
    }
}
