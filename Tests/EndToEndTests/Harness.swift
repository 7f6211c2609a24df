import XCTest
import Foundation

/// Runs shell commands with the freshly built dl binaries first on PATH, the
/// way a user types them; captures status, stdout and stderr.
struct Shell {
    static let binDir: String = {
        // The test bundle sits beside the built executables.
        Bundle.main.bundleURL.path
    }()
    static let repoRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    struct Result {
        let command: String
        let status: Int32
        let stdout: Data
        let stderr: String
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `script` under bash (with pipefail) in `dir`.
    @discardableResult
    static func run(_ script: String, in dir: String) throws -> Result {
        let outPath = dir + "/.stdout", errPath = dir + "/.stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-o", "pipefail", "-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        // Help text wraps at the terminal's width: the same width everywhere.
        env["COLUMNS"] = "80"
        p.environment = env
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        p.waitUntilExit()
        let out = try Data(contentsOf: URL(fileURLWithPath: outPath))
        let err = try String(contentsOfFile: errPath, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return Result(command: script, status: status, stdout: out, stderr: err)
    }

    static func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "dl-e2e-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func have(_ command: String) -> Bool {
        (try? run("command -v \(command)", in: NSTemporaryDirectory()).status) == 0
    }

    /// The Python snippet of docs/FORMAT.md that reads `file`, made to read `replacement`.
    static func formatSnippet(reading file: String, as replacement: String) throws -> String {
        let doc = try String(contentsOfFile: repoRoot + "/docs/FORMAT.md", encoding: .utf8)
        let blocks = doc.components(separatedBy: "```python\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        guard let code = blocks.first(where: { $0.contains(file) }) else {
            throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "no snippet reads \(file)"])
        }
        return code.replacingOccurrences(of: file, with: replacement)
    }

    /// Whether python3 has h5py and numpy (asked once).
    static let haveH5py: Bool = (try? run("python3 -c 'import h5py, numpy'", in: NSTemporaryDirectory()).status) == 0
}

struct MissingH5py: Error, CustomStringConvertible {
    var description: String { "python3 has no h5py/numpy, and DL_REQUIRE_H5PY=1 says the h5py checks must run" }
}

extension XCTestCase {
    /// The h5py/numpy cross-checks that follow need python3 with h5py: without it
    /// the test is skipped, visibly, or fails under DL_REQUIRE_H5PY=1 (as CI runs).
    func requireH5py() throws {
        if Shell.haveH5py { return }
        if ProcessInfo.processInfo.environment["DL_REQUIRE_H5PY"] == "1" { throw MissingH5py() }
        throw XCTSkip("python3 has no h5py/numpy (apt-get install python3-h5py python3-numpy): this test's h5py checks did not run")
    }
}

/// A test case with its own scratch folder, and `sh` to run commands in it.
class EndToEndCase: XCTestCase {
    var dir = ""
    override func setUp() { dir = Shell.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func sh(_ s: String) throws -> Shell.Result { try Shell.run(s, in: dir) }

    /// Crafted data files (needs h5py): nan.h5, 20 rows with a NaN in row 4, and
    /// single.h5, 20 rows whose labels are `singleLabels` (a class with one sample).
    func makeNaNAndSingleClassFiles(singleLabels: String) throws {
        try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            f = h5py.File("nan.h5", "w"); f.attrs["dl_kind"] = "data"
            X = np.random.rand(20, 2).astype(np.float32); X[4, 0] = np.nan
            f["train/X"] = X; f["train/y"] = np.arange(20, dtype=np.int32) % 2; f.close()
            f = h5py.File("single.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.random.rand(20, 2).astype(np.float32)
            f["train/y"] = np.array(\(singleLabels), np.int32); f.close()
            PY
            """)
    }
}

extension XCTestCase {
    /// Asserts a failed run: the status, one error line `dl-TOOL: error: …`
    /// naming the problem (the tool the command starts with, when it starts with
    /// one), nothing on standard output, no Swift crash output.
    func assertFails(_ r: Shell.Result, status: Int32, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, "stderr: \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one error line, got: \(r.stderr)", file: file, line: line)
        let first = r.command.split(separator: " ").first.map(String.init) ?? ""
        let prefix = first.hasPrefix("dl-") && !r.command.contains("|") ? "\(first): error: " : nil
        if let prefix {
            XCTAssertTrue(r.stderr.hasPrefix(prefix), "expected '\(prefix)…', got: \(r.stderr)", file: file, line: line)
        } else {
            XCTAssertTrue(r.stderr.range(of: #"^dl-[a-z]+: error: "#, options: .regularExpression) != nil, r.stderr, file: file, line: line)
        }
        XCTAssertTrue(r.stderr.contains(mentions), "expected '\(mentions)' in: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stdout.isEmpty, "a failed run wrote \(r.stdout.count) bytes to standard output", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("crashed"), r.stderr, file: file, line: line)
    }
}
