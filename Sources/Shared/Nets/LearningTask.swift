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
        try split.checkValues(file: file)
    }
}
