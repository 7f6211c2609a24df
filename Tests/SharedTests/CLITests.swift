import XCTest
import Foundation
import Shared

final class CLITests: XCTestCase {
    func testFormatting() {
        XCTAssertEqual(formatDuration(5.25), "5.2s")
        XCTAssertEqual(formatDuration(125), "2m05s")
        XCTAssertEqual(formatDuration(7300), "2h01m")
        XCTAssertEqual(formatBytes(188_408_192), "188.4 MB")
        XCTAssertEqual(formatBytes(512), "512 B")
    }

    func testErrorsMapToExitStatus() {
        XCTAssertEqual(DLError.usage("x").exitCode, 2)
        XCTAssertEqual(DLError.input("x").exitCode, 1)
        XCTAssertEqual(DLError.io("x").exitCode, 1)
        XCTAssertEqual(DLError.input("two\nlines", hint: "fix it").description, "two lines (fix it)")
        XCTAssertEqual(displayName("-"), "standard input")
        XCTAssertEqual(displayName("-", output: true), "standard output")
    }

    /// What `body` writes to standard error (file descriptor 2, where Log writes).
    func standardError(of body: () -> Void) -> String {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(2)
        dup2(fds[1], 2)
        close(fds[1])
        body()
        dup2(saved, 2)
        close(saved)
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        close(fds[0])
        return String(decoding: bytes, as: UTF8.self)
    }

    func testProgressLinesOffATerminal() {
        let saved = (Log.quiet, Log.tool)
        defer { (Log.quiet, Log.tool) = saved }
        Log.quiet = false
        Log.tool = "dl-test"
        // Off a terminal: the first update, then at most one a second, and the closing line once.
        let text = standardError {
            let p = Progress("kNN", total: 10)
            for i in 1...10 { p.update(i) }
            p.finish()
            XCTAssertEqual(p.done, 10)
        }
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, text)
        XCTAssertTrue(lines[0].hasPrefix("dl-test: kNN: 1/10 rows (10%), "), text)
        XCTAssertTrue(lines[0].hasSuffix(" left"), text)
        XCTAssertTrue(lines[1].hasPrefix("dl-test: kNN: 10/10 rows (100%), "), text)
        XCTAssertFalse(lines[1].contains("left"), text)
        // --quiet: nothing at all.
        Log.quiet = true
        XCTAssertEqual(standardError {
            let p = Progress("kNN", total: 3)
            p.update(1)
            p.finish()
            Log.info("hidden")
        }, "")
        // Warnings and errors are shown even then.
        XCTAssertEqual(standardError { Log.warning("w"); Log.error("e") }, "dl-test: warning: w\ndl-test: error: e\n")
    }
}
