import XCTest
import Foundation

/// Every tool's and subcommand's --help, snapshotted (swift-argument-parser's
/// own practice): a change to a flag, a default or an example shows up here as
/// a diff to review. Each help also keeps SPEC §2's shape: a usage line and
/// real examples. To accept changed help after review:
///   DL_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshot
final class HelpSnapshotTests: EndToEndCase {
    static let commands = [
        "dl-data", "dl-data fashion-mnist", "dl-data mnist", "dl-data idx", "dl-data spirals", "dl-data checkerboard",
        "dl-data sine", "dl-data info", "dl-data cat",
        "dl-fit", "dl-fit train", "dl-fit project", "dl-fit eval", "dl-fit features", "dl-fit log",
        "dl-kfilter", "dl-compress", "dl-compress pack", "dl-compress series", "dl-compress bench",
        "dl-layerwise", "dl-layerwise train", "dl-layerwise step", "dl-layerwise stack",
        "dl-measure", "dl-measure lsd", "dl-measure redundancy", "dl-measure entropy", "dl-measure rank", "dl-measure accuracy",
        "dl-neurashed", "dl-neurashed train", "dl-neurashed information", "dl-neurashed elasticity", "dl-neurashed sparsity", "dl-neurashed theorem1", "dl-neurashed spec", "dl-neurashed pathways",
    ]

    func testEveryHelpMatchesItsSnapshot() throws {
        let folder = Shell.repoRoot + "/Tests/EndToEndTests/Snapshots/help/"
        let update = ProcessInfo.processInfo.environment["DL_UPDATE_SNAPSHOTS"] == "1"
        for command in Self.commands {
            let r = try sh("\(command) --help")
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
            XCTAssertTrue(r.out.contains("USAGE: "), command)
            XCTAssertTrue(r.out.contains("e.g.:"), "\(command) --help has no examples")
            let path = folder + command.replacingOccurrences(of: " ", with: "_") + ".txt"
            if update {
                try r.out.write(toFile: path, atomically: true, encoding: .utf8)
                continue
            }
            guard let want = try? String(contentsOfFile: path, encoding: .utf8) else {
                XCTFail("no snapshot of '\(command) --help': run DL_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshot")
                continue
            }
            XCTAssertEqual(r.out, want, "'\(command) --help' changed: review it, then update the snapshot")
        }
        // Examples paste as commands: at 80 columns none wraps (a wrapped line
        // starts at column 0); a long one goes on after a backslash.
        for command in Self.commands {
            let help = try sh("\(command) --help").out
            for block in help.components(separatedBy: "e.g.:\n").dropFirst() {
                let lines = block.components(separatedBy: "\n\n")[0].split(separator: "\n")
                for line in lines where !line.hasPrefix("  ") {
                    XCTFail("\(command) --help: an example wraps at 80 columns before '\(line)'")
                }
                for (a, b) in zip(lines, lines.dropFirst()) where b.hasPrefix("    ") {
                    XCTAssertTrue(a.hasSuffix("\\"), "\(command) --help: '\(b)' goes on an example without a backslash")
                }
            }
        }
        // Every subcommand a tool lists has a snapshot.
        for tool in ["dl-data", "dl-fit", "dl-layerwise", "dl-measure", "dl-compress", "dl-neurashed"] {
            let listed = try sh("\(tool) --help").out.components(separatedBy: "SUBCOMMANDS:").last ?? ""
            XCTAssertGreaterThan(listed.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }.count, 2, tool)
            for line in listed.split(separator: "\n") where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                let sub = line.split(separator: " ").first.map(String.init) ?? ""
                if sub == "See" { continue }  // "See 'TOOL help <subcommand>' for detailed help."
                XCTAssertTrue(Self.commands.contains("\(tool) \(sub)"), "\(tool) \(sub) has no help snapshot")
            }
        }
    }
}
