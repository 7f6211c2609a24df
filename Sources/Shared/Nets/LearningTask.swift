/// What a net learns from: inputs and either class labels or regression targets.
public struct LearningTask {
    public let name: String
    public let X: Matrix               // [m, d]
    public let labels: [Int32]?        // [m]
    public let Y: Matrix?              // [m, K]
    public var rows: Int { X.rows }
    public var isClassification: Bool { labels != nil }

    public init(split: Split, file: String) throws {
        name = split.name
        X = split.X
        labels = split.y
        Y = split.Y
        guard labels != nil || Y != nil else {
            throw DLError.input("\(file): /\(split.name) has neither labels y nor targets Y", hint: "dl-fit needs labelled data")
        }
        if let bad = firstNonFinite(X) {
            throw DLError.input("\(file): /\(split.name)/X has a NaN or Inf value in row \(bad)", hint: "clean or re-make the data")
        }
        if let Y, let bad = firstNonFinite(Y) {
            throw DLError.input("\(file): /\(split.name)/Y has a NaN or Inf value in row \(bad)")
        }
    }
}
