import XCTest
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

    func testProgressCountsToTotal() {
        let saved = Log.quiet
        Log.quiet = true  // no output from a unit test; the arithmetic still runs
        defer { Log.quiet = saved }
        let p = Progress("test", total: 10)
        for i in 1...10 { p.update(i) }
        p.finish()
        XCTAssertEqual(p.done, 10)
    }
}
