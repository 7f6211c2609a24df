import Foundation

/// Progress on standard error: a live line on a terminal, one line per step
/// otherwise (at most one every `minInterval` seconds), nothing with --quiet.
public final class Progress {
    let label: String
    let total: Int
    let unit: String
    let start: Double
    var last: Double
    let live: Bool
    let minInterval: Double
    public private(set) var done = 0
    /// The count the last printed line showed (nil: none yet).
    var shown: Int?

    public init(_ label: String, total: Int, unit: String = "rows", minInterval: Double = 1.0) {
        self.label = label
        self.total = total
        self.unit = unit
        self.start = monotonicSeconds()
        self.last = -Double.infinity
        self.live = isatty(2) == 1
        self.minInterval = live ? 0.1 : minInterval
    }

    /// `done` units finished so far.
    public func update(_ done: Int, force: Bool = false) {
        self.done = done
        if Log.quiet { return }
        let now = monotonicSeconds()
        if !force && now - last < minInterval && done < total { return }
        if done == shown && done >= total { return }
        last = now
        shown = done
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(label): \(done)/\(total) \(unit)"
        if total > 0 { line += String(format: " (%.0f%%)", 100.0 * Double(done) / Double(total)) }
        // No speed before the first unit is done: "0.0 rows/s" is no speed.
        if done > 0 { line += ", " + formatRate(rate, unit) }
        if done < total && rate > 0 {
            line += ", " + formatDuration(Double(total - done) / rate) + " left"
        }
        if live {
            Log.write("\r\u{1B}[K\(Log.tool): \(line)" + (done >= total ? "\n" : ""))
        } else {
            Log.write("\(Log.tool): \(line)\n")
        }
    }

    /// Marks the work complete and prints the closing line (once).
    public func finish() {
        update(total, force: true)
    }
}

public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

public func formatRate(_ rate: Double, _ unit: String) -> String {
    if rate >= 1e6 { return String(format: "%.2fM %@/s", rate / 1e6, unit) }
    if rate >= 1e3 { return String(format: "%.1fk %@/s", rate / 1e3, unit) }
    return String(format: "%.1f %@/s", rate, unit)
}

public func formatDuration(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let s = Int(seconds.rounded())
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}

public func formatBytes(_ n: Int) -> String {
    let d = Double(n)
    if d >= 1e9 { return String(format: "%.2f GB", d / 1e9) }
    if d >= 1e6 { return String(format: "%.1f MB", d / 1e6) }
    if d >= 1e3 { return String(format: "%.1f kB", d / 1e3) }
    return "\(n) B"
}
