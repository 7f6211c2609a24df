import Foundation

/// Diagnostics on standard error, prefixed with the tool name (stdout carries data only).
public enum Log {
    public nonisolated(unsafe) static var tool = "dl"
    public nonisolated(unsafe) static var quiet = false
    public nonisolated(unsafe) static var verbose = false

    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Foundation.write(2, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    /// A normal message (silenced by --quiet).
    public static func info(_ message: String) {
        if !quiet { write("\(tool): \(message)\n") }
    }

    /// Detail for --verbose.
    public static func debug(_ message: String) {
        if verbose && !quiet { write("\(tool): \(message)\n") }
    }

    /// Warnings are shown even with --quiet: they say the result may not be what was asked.
    public static func warning(_ message: String) {
        write("\(tool): warning: \(message)\n")
    }

    public static func error(_ message: String) {
        write("\(tool): error: \(message)\n")
    }
}
