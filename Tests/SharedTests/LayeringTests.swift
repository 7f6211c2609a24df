import XCTest
import Foundation

/// docs/DESIGN.md's rules, checked on the source: the layers of Sources/Shared
/// use only the layers before them, and the C libraries are called only where
/// the design says.
final class LayeringTests: XCTestCase {
    static let layer = ["Base": 1, "Tensor": 2, "Random": 2, "HDF5": 3, "Schema": 4,
                        "Data": 5, "Nets": 5, "KNN": 5, "Neurashed": 5, "Compress": 6, "Projections": 6, "Measures": 7, "Layerwise": 7, "CLI": 8]
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Shared").path

    /// Folder → (file name → source without comments and string literals).
    func sources() throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for folder in try FileManager.default.contentsOfDirectory(atPath: Self.shared) {
            let dir = Self.shared + "/" + folder
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for f in files where f.hasSuffix(".swift") {
                var s = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
                for pattern in [#"\"\"\"[\s\S]*?\"\"\""#, #""(\\.|[^"\\\n])*""#, #"//[^\n]*"#] {
                    s = s.replacingOccurrences(of: pattern, with: "\"\"", options: .regularExpression)
                }
                out[folder, default: [:]][f] = s
            }
        }
        return out
    }

    func matches(_ pattern: String, in s: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: s, range: NSRange(s.startIndex..., in: s)).map { String(s[Range($0.range(at: 1), in: s)!]) }
    }

    func testEveryFolderIsALayer() throws {
        XCTAssertEqual(Set(try sources().keys), Set(Self.layer.keys), "a new folder needs its row in docs/DESIGN.md and here")
    }

    func testNoLayerNamesALaterOne() throws {
        let src = try sources()
        var declaredIn: [String: String] = [:]
        for (folder, files) in src {
            for s in files.values {
                // Top-level types only (nested ones, like DLError.Kind, are named through their parent).
                for name in matches(#"(?m)^(?:(?:public|final|private|fileprivate|internal)\s+)*(?:struct|class|enum|protocol|typealias)\s+([A-Z]\w*)"#, in: s) {
                    declaredIn[name] = folder
                }
            }
        }
        XCTAssertGreaterThan(declaredIn.count, 50)
        for (folder, files) in src {
            for (file, s) in files {
                let used = Set(matches(#"\b([A-Z]\w*)\b"#, in: s))
                for name in used {
                    guard let home = declaredIn[name], home != folder else { continue }
                    XCTAssertLessThan(Self.layer[home]!, Self.layer[folder]!,
                                      "\(folder)/\(file) uses \(name) from \(home)/, a layer it may not use")
                }
            }
        }
    }

    /// The same rule for top-level functions: a call (not a method call, `x.f(`)
    /// of a free function declared in a later layer's folder is a violation.
    func testNoLayerCallsALaterOnesFunctions() throws {
        let src = try sources()
        var declaredIn: [String: String] = [:], twice: Set<String> = []
        for (folder, files) in src {
            for s in files.values {
                for name in matches(#"(?m)^(?:(?:public|internal|private|fileprivate)\s+)?func\s+([a-z]\w*)"#, in: s) {
                    if let other = declaredIn[name], other != folder { twice.insert(name) }
                    declaredIn[name] = folder
                }
            }
        }
        XCTAssertGreaterThan(declaredIn.count, 100)
        for (folder, files) in src {
            for (file, s) in files {
                for name in Set(matches(#"(?<![.\w])([a-z]\w*)\("#, in: s)) where !twice.contains(name) {
                    guard let home = declaredIn[name], home != folder else { continue }
                    XCTAssertLessThan(Self.layer[home]!, Self.layer[folder]!,
                                      "\(folder)/\(file) calls \(name) from \(home)/, a layer it may not use")
                }
            }
        }
    }

    func testCLibrariesOnlyWhereTheDesignSays() throws {
        let allowed: [String: (String, String) -> Bool] = [
            "ArgumentParser": { folder, _ in folder == "CLI" },
            "CHDF5": { folder, _ in folder == "HDF5" },
            "CBLAS": { folder, file in folder == "Tensor" || file == "Dense.swift" },
            "CLAPACKE": { folder, file in folder == "Tensor" || file == "LSD.swift" },
            "CZlib": { folder, file in folder == "Data" || file == "Pack.swift" },  // IDX gunzip; packages' CRC-32
            "CVecMath": { folder, _ in folder == "Tensor" },
        ]
        for (folder, files) in try sources() {
            for (file, s) in files {
                for module in matches(#"(?m)^import\s+(\w+)"#, in: s) where module != "Foundation" && module != "Synchronization" {
                    let ok = allowed[module]?(folder, file) ?? false
                    XCTAssertTrue(ok, "\(folder)/\(file) imports \(module)")
                }
            }
        }
    }

    /// Every subcommand's run() starts by checking all its outputs against its
    /// inputs (CommonOptions.start, directly or through the one helper its tool
    /// shares), so no tool reads or computes before its outputs are known good.
    func testEveryRunChecksItsFilesFirst() throws {
        let sources = Self.shared + "/.."
        let starters = ["common.start(", "produce(", "trainedForAnalysis(", ".start()"]
        var runs = 0
        for tool in try FileManager.default.contentsOfDirectory(atPath: sources) where tool.hasPrefix("dl-") {
            for f in try FileManager.default.contentsOfDirectory(atPath: sources + "/" + tool) where f.hasSuffix(".swift") {
                let s = try String(contentsOfFile: sources + "/" + tool + "/" + f, encoding: .utf8)
                for body in s.components(separatedBy: "func run() throws {").dropFirst() {
                    runs += 1
                    let first = body.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
                    XCTAssertTrue(starters.contains { first.contains($0) }, "\(tool)/\(f): a run() starts with '\(first)'")
                }
            }
        }
        XCTAssertGreaterThan(runs, 30)
    }
}
