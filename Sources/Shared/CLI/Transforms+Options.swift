import ArgumentParser
import Foundation

/// The data transforms as flags (dl-data's sources and `cat`).
public struct TransformOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo,
          help: "Scale X to [0, 1]: images by their type's maximum (255), other data by the train split's min and max. Default: on for images, off otherwise.")
    public var scale: Bool?

    @Flag(help: "Standardize each feature to mean 0, std 1 (statistics of the train split, applied to every split).")
    public var standardize = false

    @Flag(help: "Shuffle the rows of each split (seeded by --seed).")
    public var shuffle = false

    @Option(help: ArgumentHelp("Keep at most N rows of each split (after --shuffle).", valueName: "n"))
    public var limit: Int?

    @Option(help: ArgumentHelp("Keep only these splits (comma-separated: train, val, test).", valueName: "list"))
    public var splits: String?

    @Option(help: ArgumentHelp("Move this fraction of the train rows (its last rows) into a /val split.", valueName: "f"))
    public var valFraction: Double?

    public init() {}

    public mutating func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let f = valFraction, !(f > 0 && f < 1) { throw ValidationError("--val-fraction must lie strictly between 0 and 1") }
        if let list = splitList {
            if let bad = list.first(where: { !splitNames.contains($0) }) {
                throw ValidationError("--splits: unknown split '\(bad)' (choose from \(splitNames.joined(separator: ", ")))")
            }
            if !list.contains("train") {
                throw ValidationError("--splits must keep train (every data file has a /train split)")
            }
        }
    }

    var splitList: [String]? {
        splits.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// The settings, given whether the data is images of a type with maximum `typeMax`.
    public func settings(imageTypeMax: Float? = nil) -> TransformSettings {
        var t = TransformSettings()
        t.shuffle = shuffle
        t.limit = limit
        t.valFraction = valFraction
        t.scale = scale ?? (imageTypeMax != nil)
        t.scaleDivisor = imageTypeMax
        t.standardize = standardize
        t.splits = splitList
        return t
    }
}
