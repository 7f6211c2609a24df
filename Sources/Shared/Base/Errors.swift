import Foundation

/// Every failure a user can cause ends here: one line, a hint, an exit status.
/// Status 1 is a failed run (bad input, I/O), 2 a usage mistake.
public struct DLError: Error, CustomStringConvertible {
    public enum Kind { case usage, input, io }
    public let kind: Kind
    public let what: String
    public let hint: String?

    public init(_ kind: Kind, _ what: String, hint: String? = nil) {
        self.kind = kind
        self.what = what
        self.hint = hint
    }

    public static func usage(_ what: String, hint: String? = nil) -> DLError { DLError(.usage, what, hint: hint) }
    public static func input(_ what: String, hint: String? = nil) -> DLError { DLError(.input, what, hint: hint) }
    public static func io(_ what: String, hint: String? = nil) -> DLError { DLError(.io, what, hint: hint) }

    public var exitCode: Int32 { kind == .usage ? 2 : 1 }

    /// The same error with `context` (e.g. "data.h5: /train layer 2") in front.
    public func within(_ context: String) -> DLError { DLError(kind, "\(context): \(what)", hint: hint) }

    public var description: String {
        let oneLine = what.replacingOccurrences(of: "\n", with: " ")
        if let hint { return "\(oneLine) (\(hint))" }
        return oneLine
    }
}

/// Human name of an input or output argument: "-" is standard input/output.
public func displayName(_ path: String, output: Bool = false) -> String {
    path == "-" ? (output ? "standard output" : "standard input") : path
}

/// errno as text, e.g. "No space left on device".
public func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
