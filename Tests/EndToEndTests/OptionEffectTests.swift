import XCTest
import Foundation

/// Options no other test ran: each is run against the same command without it,
/// and what it governs (the weights, λ, a table; never the command line that
/// dl_history records) changes — or, for --threads, provably does not.
final class OptionEffectTests: EndToEndCase {
    /// What a file holds that an option may change: an HDF5 group's datasets as
    /// h5dump prints them (file name left out), or a text file as it is.
    func content(_ file: String, _ group: String?) throws -> String {
        let r = group.map { try? sh("h5dump -y -w 0 -g \($0) \(file) | tail -n +2") }
            ?? (try? sh("cat \(file)"))
        guard let r, r.status == 0 else { throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot read \(file)"]) }
        return r.out
    }

    /// Runs `base` and `base + option` (each writing OUT) and compares `group` of the two outputs.
    func check(_ option: String, base: String, group: String?, changes: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) throws {
        try compare(base, base + " " + option, group: group, changes: changes, what: option, file: file, line: line)
    }

    func compare(_ first: String, _ second: String, group: String?, changes: Bool = true, what: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        for (cmd, out) in [(first, "a.out"), (second, "b.out")] {
            let r = try sh(cmd.replacingOccurrences(of: "OUT", with: out))
            XCTAssertEqual(r.status, 0, "\(cmd): \(r.stderr)", file: file, line: line)
        }
        let (a, b) = (try content("a.out", group), try content("b.out", group))
        XCTAssertFalse(a.isEmpty, "\(first): nothing to compare", file: file, line: line)
        if changes {
            XCTAssertNotEqual(a, b, "\(what) changed nothing in \(group ?? "the output") of '\(first)'", file: file, line: line)
        } else {
            XCTAssertEqual(a, b, "\(what) changed \(group ?? "the output") of '\(first)'", file: file, line: line)
        }
    }

    func testCompressOptions() throws {
        guard Shell.have("h5dump") else { throw XCTSkip("h5dump is not installed (apt-get install hdf5-tools)") }
        try sh("dl-data spirals --rows 600 -q -o d.h5 && dl-fit d.h5 --arch 2-64-64-2 --epochs 2 -q -o m.h5")
        // N = ⌈H + 5⌉ is about 9 here: a cap of 6 bits lowers it.
        try check("--max-bits 6", base: "dl-compress m.h5 -q -o OUT", group: "/packed")
        // The entropy sample (F = 3% of each tensor) is drawn with the seed.
        try check("-s 3", base: "dl-compress m.h5 -q --report OUT -o /dev/null", group: nil)
        // Threads change the speed, never the bytes.
        try check("--threads 1", base: "dl-compress m.h5 -q --threads 2 -o OUT", group: "/packed", changes: false)
    }

    func testLayerwiseOptions() throws {
        guard Shell.have("h5dump") else { throw XCTSkip("h5dump is not installed (apt-get install hdf5-tools)") }
        try sh("dl-data spirals --rows 600 --test-rows 100 -q -o d.h5 && dl-fit d.h5 --arch 2-16-16-2 --epochs 1 -q -o m.h5")
        let base = "dl-layerwise d.h5 --arch 2-16-16-2 --epochs 2 --batch-size 32 -q -o OUT"
        let weights = "/model/layers"
        try check("--head tanh", base: base, group: weights)
        try check("--targets 0.1,0.9", base: base, group: weights)
        try check("--optimizer adamw", base: base, group: weights)
        try check("--initialization glorot", base: base, group: weights)
        try check("--lr-step 1:0.1", base: base, group: weights)
        try check("--input-dropout-decay 0.5", base: base + " --input-dropout 0.3", group: weights)
        try check("--stride 2", base: "dl-layerwise d.h5 --arch 2-16-16-16-2 --epochs 1 --batch-size 32 --subnet-size 2 -q -o OUT",
                  group: weights)
        try compare(base, base.replacingOccurrences(of: "--arch 2-16-16-2", with: "--init-from m.h5"), group: weights, what: "--init-from")
    }

    func testProjectionOptions() throws {
        guard Shell.have("h5dump") else { throw XCTSkip("h5dump is not installed (apt-get install hdf5-tools)") }
        try sh("dl-data spirals --rows 500 -q -o d.h5")
        let base = "dl-fit project d.h5 --arch 2-24-24-2 --hidden tanh -q -o OUT"
        let weights = "/model/layers"
        try check("--lstsq-driver gelsd", base: base + " --solver lstsq", group: weights)
        try check("--projection random-w", base: base, group: weights)
        try check("--sorted-pca", base: base, group: weights)
        // Platonic PCA gives at most n + K = 4 components a layer here.
        try check("--ema 0.2", base: "dl-fit project d.h5 --arch 2-4-4-2 --hidden tanh --projection pca -q -o OUT", group: weights)
        try check("--rcond 0.05", base: base, group: weights)
    }

    func testNeurashedOptions() throws {
        guard Shell.have("h5dump") else { throw XCTSkip("h5dump is not installed (apt-get install hdf5-tools)") }
        let random = "dl-neurashed train --preset random --nodes 20 -n 50 --every 50 -q -o OUT"
        try check("--levels 2", base: random, group: "/trajectory")
        try check("--shared 3", base: random, group: "/trajectory")
        try check("--per-class 4", base: random, group: "/trajectory")
        let fig5 = "dl-neurashed train --preset fig5 -n 100 --every 50 -q -o OUT"
        try check("--batch-size 3", base: fig5, group: "/trajectory")
        try check("--full-batch", base: fig5, group: "/trajectory")
        let information = "dl-neurashed information --preset fig5 -n 100 --every 50 --samples 50 -q -o OUT"
        try check("--view scores", base: information, group: nil)
        try check("--noise 0.05", base: information, group: nil)
        // spec random prints a graph that train reads back, the same one as --preset random draws.
        let r = try sh("""
            dl-neurashed spec random --nodes 20 --levels 2 -s 4 > g.json \
            && dl-neurashed train g.json -n 50 --every 50 -s 4 -q -o a.h5 \
            && dl-neurashed train --preset random --nodes 20 --levels 2 -n 50 --every 50 -s 4 -q -o b.h5 \
            && h5dump -y -w 0 -d /trajectory/lambda a.h5 | tail -n +2 > a.txt \
            && h5dump -y -w 0 -d /trajectory/lambda b.h5 | tail -n +2 > b.txt && cmp a.txt b.txt
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// --order random: each round visits the five segments in an order drawn from the
    /// seed — not the sequential one, the same for the same seed, another for another.
    func testRobinOrderFollowsTheSeed() throws {
        guard Shell.have("h5dump") else { throw XCTSkip("h5dump is not installed (apt-get install hdf5-tools)") }
        try sh("dl-data spirals --rows 300 -q -o d.h5")
        func visits(_ flags: String) throws -> [Int] {
            let r = try sh("dl-layerwise d.h5 --arch 2-8-8-8-8-8-2 --rounds 4 --epochs-per-round 1 --batch-size 50 \(flags) -q -o m.h5 "
                           + "&& h5dump -y -w 0 -d /model/layerwise/segment m.h5 | tr -cs '0-9' '\\n' | tail -n +2")
            XCTAssertEqual(r.status, 0, r.stderr)
            // h5dump's header numbers (type, dataspace) come first; the last 4 × 5 are the visits.
            return Array(r.out.split(separator: "\n").compactMap { Int($0) }.suffix(20))
        }
        let sequential = try visits("--order sequential")
        XCTAssertEqual(sequential, Array(repeating: Array(0..<5), count: 4).flatMap { $0 })
        let a = try visits("--order random -s 1"), again = try visits("--order random -s 1"), b = try visits("--order random -s 2")
        XCTAssertEqual(a, again, "the same seed, the same order")
        XCTAssertNotEqual(a, sequential)
        XCTAssertNotEqual(a, b, "another seed, another order")
        for round in 0..<4 { XCTAssertEqual(Set(a[(5 * round)..<(5 * round + 5)]), Set(0..<5), "every segment once a round") }
    }
}
