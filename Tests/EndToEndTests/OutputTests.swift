import XCTest
import Foundation

/// A failed or interrupted run leaves no output and no temporary file (SPEC §2):
/// files are written under a temporary name in the same folder and renamed only
/// when complete.
final class OutputEndToEndTests: EndToEndCase {
    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".std") }.sorted()
    }

    func testAFailedWriteLeavesNothing() throws {
        try sh("dl-data spirals --rows 100 -q -o old.h5 && dl-data spirals --rows 100000 -q -o big.h5")
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/old.h5"))
        // A file-size limit (64 kB) makes the write fail half-way, as a full disk would.
        for (tool, command) in [("dl-data", "dl-data cat big.h5"), ("dl-kfilter", "dl-kfilter -k 3 --batch 5000 --mask-only big.h5"),
                                ("dl-data", "dl-data spirals --rows 100000")] {
            for out in ["new.h5", "old.h5"] {
                let r = try sh("trap '' XFSZ; ulimit -f 64; \(command) -q -o \(out)")
                XCTAssertEqual(r.status, 1, r.stderr)
                XCTAssertEqual(r.stderr, "\(tool): error: cannot write \(out): File too large\n")
            }
        }
        XCTAssertEqual(try listing(), ["big.h5", "old.h5"], "no new.h5, no .new.h5.tmp.*")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/old.h5")), before, "the earlier file is untouched")
    }

    func testAnInterruptedWriteLeavesNothing() throws {
        // A background job of a script starts with SIGINT ignored, and what a tool
        // starts ignoring it keeps ignoring; perl resets the three to their
        // defaults first, as an interactive shell's job would have them.
        let defaults = #"perl -e '$SIG{INT} = $SIG{HUP} = $SIG{TERM} = "DEFAULT"; exec @ARGV'"#
        for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
            // The tool holds its finished temporary file; interrupt it there.
            let r = try sh("""
                DL_TEST_PAUSE_BEFORE_RENAME=20 \(defaults) dl-data spirals --rows 1000 -q -o out.h5 & pid=$!
                for i in $(seq 200); do ls -a | grep -q '^\\.out\\.h5\\.tmp\\.' && break; sleep 0.05; done
                ls -a | grep '^\\.out\\.h5\\.tmp\\.' | wc -l; kill -\(signal) $pid; wait $pid; echo "status $?"
                """)
            XCTAssertTrue(r.out.hasPrefix("1\n"), "the temporary file existed: \(r.out)")
            // It dies of the signal, as it would without our handler, after removing the file.
            XCTAssertTrue(r.out.contains("status \(128 + number)"), "\(signal): \(r.out)")
            let files = try listing()
            XCTAssertEqual(files, [], "\(signal): \(files)")
        }
        // Started ignoring SIGHUP (nohup), the tool rides it out and writes its file.
        let r = try sh("""
            DL_TEST_PAUSE_BEFORE_RENAME=1 nohup dl-data spirals --rows 1000 -q -o out.h5 2> /dev/null & pid=$!
            for i in $(seq 200); do ls -a | grep -q '^\\.out\\.h5\\.tmp\\.' && break; sleep 0.05; done
            kill -HUP $pid; wait $pid; echo "status $?"
            """)
        XCTAssertEqual(r.out, "status 0\n", r.stderr)
        XCTAssertEqual(try listing().filter { $0 != "nohup.out" }, ["out.h5"])
    }
}
