// What a dl file holds, by its root attribute `dl_kind` (docs/FORMAT.md): read
// here and nowhere else, so each reader states the kinds it takes and every
// refusal reads the same. A new kind (dl-compress's packed files, dl-neurashed's
// models) adds its case here, and the compiler points at each switch over kinds.

public enum DLKind: String, CaseIterable, Sendable {
    /// Splits of samples (dl-data, dl-kfilter), features included.
    case data
    /// A trained net (dl-fit).
    case model
    /// A model's weights through Th. Algorithm 1 (dl-compress).
    case packed
    /// A neurashed graph and a run of its training dynamics (dl-neurashed).
    case neurashed

    /// The tool that makes files of this kind, for hints.
    public var maker: String {
        switch self {
        case .data: return "dl-data"
        case .model: return "dl-fit"
        case .packed: return "dl-compress"
        case .neurashed: return "dl-neurashed"
        }
    }
}

/// The kind of a dl file; an error for a plain HDF5 file or a kind this version does not know.
public func dlKind(of file: H5File) throws -> DLKind {
    guard let value = try file.root.attribute("dl_kind") else {
        throw DLError.input("\(file.name) is an HDF5 file but not a dl file (no dl_kind attribute)",
                            hint: "make data files with dl-data")
    }
    guard let name = value.string else {
        throw DLError.input("\(file.name): the dl_kind attribute is not a string", hint: "it should read data, model, …")
    }
    guard let kind = DLKind(rawValue: name) else {
        throw DLError.input("\(file.name) is a dl \(name) file, which this version of dl does not know",
                            hint: "it reads \(DLKind.allCases.map(\.rawValue).joined(separator: " and ")) files")
    }
    return kind
}

/// The kind of a dl file, which must be one of `accepted`.
@discardableResult
public func expectKind(_ file: H5File, _ accepted: [DLKind]) throws -> DLKind {
    let kind = try dlKind(of: file)
    guard accepted.contains(kind) else {
        let names = accepted.map(\.rawValue).joined(separator: " or ")
        let hint = kind == .packed && accepted.contains(.model)
            ? "decode it first: dl-compress -d \(file.name == "standard input" ? "-" : file.name) -o model.h5"
            : "make \(names) files with \(Set(accepted.map(\.maker)).sorted().joined(separator: " or "))"
        throw DLError.input("\(file.name) is a dl \(kind.rawValue) file; expected \(names)", hint: hint)
    }
    return kind
}
