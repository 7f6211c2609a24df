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

    /// One name, one meaning (docs/DESIGN.md, "Flag vocabulary"): every option
    /// the help snapshots show has its row there, in exactly the tools the row
    /// names, with the short flag it names; no short flag serves two long ones;
    /// and an option's help says the same in every command (its defaults,
    /// values and examples aside) unless its row is marked † (the help then
    /// says what it is in each tool).
    func testOneNamePerMeaning() throws {
        let folder = Shell.repoRoot + "/Tests/EndToEndTests/Snapshots/help/"
        let tools = ["dl-compress", "dl-data", "dl-fit", "dl-kfilter", "dl-layerwise", "dl-measure", "dl-neurashed"]
        var seenTools: [String: Set<String>] = [:], seenShort: [String: String] = [:], helps: [String: [String: String]] = [:]
        let option = try NSRegularExpression(pattern: #"^  (?:(-\w), )?(--[\w-]+)(?:/--no-[\w-]+)?(?: <[^>]+>)?\s*(.*)$"#)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".txt") {
            let command = String(file.dropLast(4)).replacingOccurrences(of: "_", with: " ")
            let text = try String(contentsOfFile: folder + file, encoding: .utf8)
            guard let options = text.components(separatedBy: "OPTIONS:\n").dropFirst().first else { continue }
            var current: String?
            for line in options.components(separatedBy: "SUBCOMMANDS:")[0].split(separator: "\n").map(String.init) {
                let ns = line as NSString
                if let m = option.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) {
                    let name = ns.substring(with: m.range(at: 2))
                    current = name
                    seenTools[name, default: []].insert(String(command.split(separator: " ")[0]))
                    if m.range(at: 1).location != NSNotFound { seenShort[name] = ns.substring(with: m.range(at: 1)) }
                    helps[name, default: [:]][command] = ns.substring(with: m.range(at: 3))
                } else if let c = current, line.hasPrefix(String(repeating: " ", count: 26)) {
                    helps[c]![command]! += " " + line.trimmingCharacters(in: .whitespaces)
                } else {
                    current = nil
                }
            }
        }
        XCTAssertGreaterThan(seenTools.count, 100)
        let design = try String(contentsOfFile: Shell.repoRoot + "/docs/DESIGN.md", encoding: .utf8)
        guard let table = design.components(separatedBy: "## Flag vocabulary").dropFirst().first else {
            return XCTFail("docs/DESIGN.md has no 'Flag vocabulary' section")
        }
        var rows: [String: (short: String?, meaning: String, tools: Set<String>)] = [:]
        for line in table.split(separator: "\n") where line.hasPrefix("| `--") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { XCTFail("a vocabulary row with too few cells: \(line)"); continue }
            let name = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let short = cells[2].isEmpty ? nil : cells[2].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let named = cells[4] == "all" ? Set(tools) : Set(cells[4].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            XCTAssertNil(rows[name], "\(name) has two rows in the vocabulary")
            rows[name] = (short, cells[3], named)
        }
        for (name, used) in seenTools {
            guard let row = rows[name] else { XCTFail("\(name) (\(used.sorted().joined(separator: ", "))) has no row in docs/DESIGN.md's flag vocabulary"); continue }
            XCTAssertEqual(row.tools, used, "\(name): the vocabulary names \(row.tools.sorted()), the help shows it in \(used.sorted())")
            XCTAssertEqual(row.short, seenShort[name], "\(name): short flag")
            if !row.meaning.contains("†") {
                func normal(_ h: String) -> String {
                    var s = h
                    while let r = s.range(of: #"\s*\([^()]*\)"#, options: .regularExpression) { s.removeSubrange(r) }
                    s = s.replacingOccurrences(of: #",? e\.g\. \S+"#, with: "", options: .regularExpression)
                    return s.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces)
                }
                let texts = Dictionary(grouping: helps[name]!, by: { normal($0.value) })
                XCTAssertEqual(texts.count, 1, "\(name) says different things: \(texts.mapValues { $0.map(\.key).sorted() }); mark its row † if it must")
            }
        }
        for name in rows.keys where seenTools[name] == nil { XCTFail("the vocabulary's \(name) is in no help") }
        let shorts = rows.compactMap { row in row.value.short.map { (short: $0, name: row.key) } }
        for (s, names) in Dictionary(grouping: shorts, by: \.short) where names.count > 1 {
            XCTFail("\(s) is the short flag of \(names.map(\.name).sorted())")
        }
    }

    /// Every example of every help page runs as printed — pasted into a shell,
    /// in a folder holding the small files the examples name — and succeeds.
    /// Fashion-MNIST is cut to 1,600 rows a split (`--limit 1600`: Sorted PCA
    /// needs 1,568 rows for 784-1568-10); nothing else in an example changes.
    func testEveryHelpExampleRuns() throws {
        let fm = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: fm + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("no Fashion-MNIST in \(fm) (apt-get install dataset-fashion-mnist): the help examples use it")
        }
        // The files the examples read, made as the examples themselves would.
        let setup = try sh("""
            export HOME=$PWD
            mkdir -p data/mnist out/layers && cp \(fm)/*.gz data/mnist/ \
            && cp \(fm)/train-images-idx3-ubyte.gz images.idx3.gz && cp \(fm)/train-labels-idx1-ubyte.gz labels.idx1.gz \
            && dl-data fashion-mnist --limit 1600 -q -o data.h5 && dl-data fashion-mnist --limit 1600 --standardize -q -o fm.h5 \
            && dl-data checkerboard -q -o board.h5 \
            && dl-fit data.h5 --arch 784-392-50-10 --epochs 1 -q -o model.h5 \
            && dl-fit data.h5 --arch 784-392-50-10 --epochs 3 --snapshots -q -o snaps.h5 && cp snaps.h5 snapshots.h5 \
            && dl-fit data.h5 --arch 784-392-50-10 --epochs 2 --quantize dynamic:c=6 -q -o q.h5 \
            && dl-fit features model.h5 data.h5 --layer 1 -q -o features.h5 \
            && dl-compress model.h5 -q -o model.packed.h5 \
            && dl-data spirals -q | dl-fit project --arch 2-32-32-2 --hidden tanh -q -o pp.h5 \
            && dl-layerwise step --arch 784-392-50-10 --layer 1 data.h5 --epochs 1 --features z1.h5 -q -o layer-1.h5 \
            && dl-layerwise step --arch 784-392-50-10 --layer 2 z1.h5 --epochs 1 -q -o layer-2.h5 \
            && cp layer-1.h5 layer-2.h5 out/layers/ && dl-neurashed spec fig1 -o mine.json
            """)
        XCTAssertEqual(setup.status, 0, setup.stderr)
        var examples: [(command: String, page: String)] = []
        for command in Self.commands {
            let help = try sh("\(command) --help").out
            for block in help.components(separatedBy: "e.g.:\n").dropFirst() {
                var current = ""
                for line in block.components(separatedBy: "\n\n")[0].split(separator: "\n") {
                    let text = line.trimmingCharacters(in: .whitespaces)
                    current += (current.isEmpty ? "" : " ") + text
                    if current.hasSuffix("\\") { current.removeLast(); continue }
                    examples.append((current, command))
                    current = ""
                }
            }
        }
        XCTAssertGreaterThan(examples.count, 80)
        let limit = try NSRegularExpression(pattern: #"dl-data fashion-mnist( --limit \d+)?"#)
        for (example, page) in examples {
            var command = example.replacingOccurrences(of: #"\s+#.*$"#, with: "", options: .regularExpression)
            command = limit.stringByReplacingMatches(in: command, range: NSRange(command.startIndex..., in: command),
                                                     withTemplate: "dl-data fashion-mnist --limit 1600")
            let r = try sh("export HOME=$PWD; { " + command + "; } > .example.out")
            XCTAssertEqual(r.status, 0, "'\(example)' (\(page) --help) failed: \(r.stderr)")
        }
    }
}
