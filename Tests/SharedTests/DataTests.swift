import XCTest
import Foundation
import Shared

/// Writes an IDX file: magic 00 00 TYPE RANK, big-endian dims, payload.
func idxBytes(type: UInt8, shape: [Int], payload: [UInt8]) -> [UInt8] {
    var b: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for d in shape { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return b + payload
}

func gzipFile(_ path: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-f", path]
    try p.run()
    p.waitUntilExit()
}

final class IDXTests: XCTestCase {
    func testParsesEveryElementType() throws {
        let u8 = try parseIDX(idxBytes(type: 0x08, shape: [2, 2], payload: [0, 1, 128, 255]), name: "t")
        XCTAssertEqual(u8.shape, [2, 2])
        XCTAssertEqual(u8.floats(), [0, 1, 128, 255])
        XCTAssertEqual(u8.typeMax, 255)
        let i16 = try parseIDX(idxBytes(type: 0x0B, shape: [2], payload: [0xFF, 0xFE, 0x01, 0x00]), name: "t")
        XCTAssertEqual(i16.floats(), [-2, 256])
        let f32 = try parseIDX(idxBytes(type: 0x0D, shape: [1], payload: [0x3F, 0xC0, 0, 0]), name: "t")
        XCTAssertEqual(f32.floats(), [1.5])
        let f64 = try parseIDX(idxBytes(type: 0x0E, shape: [1], payload: [0x40, 0, 0, 0, 0, 0, 0, 0]), name: "t")
        XCTAssertEqual(f64.floats(), [2])
    }

    func testRejectsBadFiles() {
        func message(_ bytes: [UInt8]) -> String {
            do { _ = try parseIDX(bytes, name: "f"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message([1, 2]).contains("not an IDX file"))
        XCTAssertTrue(message([0x1F, 0x8B, 8, 0, 0, 0]).contains("magic number 1f8b0800"))
        XCTAssertTrue(message([0, 0, 0x07, 1, 0, 0, 0, 1, 0]).contains("unknown IDX element type"))
        XCTAssertTrue(message([0, 0, 8, 2, 0, 0]).contains("truncated"))
        XCTAssertTrue(message(idxBytes(type: 8, shape: [2, 3], payload: [1, 2, 3])).contains("truncated"))
        XCTAssertTrue(message(idxBytes(type: 8, shape: [1], payload: [1, 2])).contains("longer than its header"))
    }

    func testSplitFromGzipAndRawFilesAndCountMismatch() throws {
        let dir = tempDir()
        let images = idxBytes(type: 8, shape: [3, 2, 2], payload: Array(0..<12))
        let labels = idxBytes(type: 8, shape: [3], payload: [2, 0, 1])
        _ = FileManager.default.createFile(atPath: dir + "/img", contents: Data(images))
        _ = FileManager.default.createFile(atPath: dir + "/lab", contents: Data(labels))
        try gzipFile(dir + "/img")
        let (split, typeMax) = try readIDXSplit(name: "train", images: dir + "/img.gz", labels: dir + "/lab")
        XCTAssertEqual(split.X.shape, [3, 4])
        XCTAssertEqual(split.sampleShape, [2, 2])
        XCTAssertEqual(split.y, [2, 0, 1])
        XCTAssertEqual(split.classes, 3)
        XCTAssertEqual(typeMax, 255)
        XCTAssertEqual(Array(split.X.storage[4..<8]), [4, 5, 6, 7])

        _ = FileManager.default.createFile(atPath: dir + "/lab2", contents: Data(idxBytes(type: 8, shape: [2], payload: [0, 1])))
        XCTAssertThrowsError(try readIDXSplit(name: "train", images: dir + "/img.gz", labels: dir + "/lab2")) { e in
            XCTAssertTrue("\(e)".contains("3 images but"), "\(e)")
        }
        // Images and labels swapped.
        XCTAssertThrowsError(try readIDXSplit(name: "train", images: dir + "/lab", labels: dir + "/img.gz"))
        // A truncated gzip stream.
        let gz = try Data(contentsOf: URL(fileURLWithPath: dir + "/img.gz"))
        _ = FileManager.default.createFile(atPath: dir + "/cut.gz", contents: gz.prefix(gz.count - 6))
        XCTAssertThrowsError(try readIDX(path: dir + "/cut.gz"))
        XCTAssertThrowsError(try readIDX(path: dir + "/none"))
    }
}

final class SchemaTests: XCTestCase {
    func sample() throws -> DataFile {
        let train = Split(name: "train", X: try Matrix(rows: [[0, 1], [2, 3], [4, 5]]), y: [0, 1, 1], classes: 2)
        let test = Split(name: "test", X: try Matrix(rows: [[6, 7]]), y: [1], classes: 2)
        return DataFile(splits: [train, test], history: ["earlier"], source: "unit", classNames: ["a", "b"])
    }

    func testDataFileRoundTripAndHistory() throws {
        let f = try H5File.createInMemory()
        try writeDataFile(try sample(), to: f, command: "now")
        let back = try readDataFile(try reopen(f))
        XCTAssertEqual(back.history, ["earlier", "now"])
        XCTAssertEqual(back.source, "unit")
        XCTAssertEqual(back.classNames, ["a", "b"])
        XCTAssertEqual(back.train?.X, try sample().train?.X)
        XCTAssertEqual(back["test"]?.y, [1])
        XCTAssertEqual(back.train?.classCounts(), [1, 2])
        XCTAssertEqual(back.train?.sampleShape, [2])
    }

    func testValidationRejectsBadSplits() throws {
        var d = try sample()
        d.splits[0].y = [0, 1, 5]
        XCTAssertThrowsError(try writeDataFile(d, to: try H5File.createInMemory(), command: "x")) { e in
            XCTAssertTrue("\(e)".contains("label 5 outside 0..<2"), "\(e)")
        }
        d = try sample()
        d.splits[0].y = [0]
        XCTAssertThrowsError(try writeDataFile(d, to: try H5File.createInMemory(), command: "x"))
    }

    func testNotADLFile() throws {
        let f = try H5File.createInMemory()
        try f.root.write("a", shape: [1], values: [Float(0)])
        XCTAssertThrowsError(try readDataFile(try reopen(f))) { e in
            XCTAssertTrue("\(e)".contains("not a dl file"), "\(e)")
        }
        let g = try H5File.createInMemory()
        try g.root.setAttribute("dl_kind", "data")
        XCTAssertThrowsError(try readDataFile(try reopen(g))) { e in
            XCTAssertTrue("\(e)".contains("no data splits"), "\(e)")
        }
    }

    func testHistoryEntryQuotes() {
        XCTAssertEqual(historyEntry(["/usr/bin/dl-data", "spirals", "--noise", "0.1"]), "dl-data spirals --noise 0.1  # dl \(dlVersion)")
        // Flags that change nothing in the file stay out of it.
        let run = ["/x/dl-kfilter", "-k", "3", "-q", "--threads", "2", "-o", "f.h5", "--output=g.h5", "-v", "d.h5"]
        XCTAssertEqual(historyEntry(run), "dl-kfilter -k 3 d.h5  # dl \(dlVersion)")
        XCTAssertEqual(historyEntry(run, threadsMatter: true), "dl-kfilter -k 3 --threads 2 d.h5  # dl \(dlVersion)")
        XCTAssertEqual(shellQuote("a b"), "'a b'")
        XCTAssertEqual(shellQuote("it's"), "'it'\\''s'")
    }
}

final class TransformTests: XCTestCase {
    func data(rows: Int) throws -> DataFile {
        let X = try Matrix(shape: [rows, 2], storage: (0..<(2 * rows)).map { Float($0) })
        return DataFile(splits: [Split(name: "train", X: X, y: (0..<rows).map { Int32($0 % 3) }, classes: 3)])
    }

    func testShuffleLimitValSplit() throws {
        var t = TransformSettings()
        t.shuffle = true
        t.limit = 8
        t.valFraction = 0.25
        let out = try applyTransforms(try data(rows: 20), t, seed: 1)
        XCTAssertEqual(out.train?.rows, 6)
        XCTAssertEqual(out["val"]?.rows, 2)
        // Rows stay paired with their labels: X[r, 0] = 2·i and y = i mod 3.
        for s in [out.train!, out["val"]!] {
            for r in 0..<s.rows {
                let i = Int(s.X[r, 0]) / 2
                XCTAssertEqual(Int(s.y![r]), i % 3)
            }
        }
        // The limit comes after the shuffle: 8 of the 20 rows, not rows 0…7.
        let ids = Set([out.train!, out["val"]!].flatMap { s in (0..<s.rows).map { Int(s.X[$0, 0]) / 2 } })
        XCTAssertEqual(ids.count, 8)
        XCTAssertNotEqual(ids, Set(0..<8))
        XCTAssertEqual(try applyTransforms(try data(rows: 20), t, seed: 1), out)
        XCTAssertNotEqual(try applyTransforms(try data(rows: 20), t, seed: 2), out)
        var bad = TransformSettings()
        bad.valFraction = 0.01
        XCTAssertThrowsError(try applyTransforms(try data(rows: 20), bad, seed: 0))
    }

    func testScaleAndStandardize() throws {
        var t = TransformSettings()
        t.scale = true
        // The train split's min (0) and max (9) over all columns, not per column.
        let scaled = try applyTransforms(try data(rows: 5), t, seed: 0)
        XCTAssertEqual(scaled.train?.X.storage, (0..<10).map { Float($0) / 9 })
        t.scaleDivisor = 18
        XCTAssertEqual(try applyTransforms(try data(rows: 5), t, seed: 0).train?.X.storage.last, 0.5)

        var s = TransformSettings()
        s.standardize = true
        // Column 0 is 0, 2, 4, 6, 8 and column 1 is 1, 3, 5, 7, 9: mean 4 or 5, population std √8.
        let st = try applyTransforms(try data(rows: 5), s, seed: 0).train!.X
        for r in 0..<5 {
            for c in 0..<2 { XCTAssertEqual(st[r, c], Float(2 * r - 4) / Float(8).squareRoot(), accuracy: 1e-6) }
        }
    }
}

final class SyntheticTests: XCTestCase {
    func testCheckerboardLabelsFollowTheBoard() {
        var rng = RNG(seed: 3)
        let s = checkerboard(rows: 5000, squares: 8, rng: &rng)
        XCTAssertEqual(s.X.shape, [5000, 2])
        for r in 0..<s.rows {
            let x = Double(s.X[r, 0]), y = Double(s.X[r, 1])
            XCTAssertTrue(x >= -0.5 && x <= 0.5 && y >= -0.5 && y <= 0.5)
            let col = min(7, Int((x + 0.5) * 8)), row = min(7, Int((y + 0.5) * 8))
            XCTAssertEqual(Int(s.y![r]), (col + row) % 2)
        }
        let counts = s.classCounts()
        XCTAssertTrue(abs(counts[0] - counts[1]) < 300, "\(counts)")
    }

    func testSpiralsAreBalancedAndSeparated() {
        var rng = RNG(seed: 4)
        let s = twoSpirals(rows: 1000, turns: 2, rng: &rng)
        XCTAssertEqual(s.classCounts(), [500, 500])
        // Each point lies within the unit disc, on its arm: angle 2π·turns·r + π·c.
        for r in 0..<s.rows {
            let x = Double(s.X[r, 0]), y = Double(s.X[r, 1]), radius = (x * x + y * y).squareRoot()
            XCTAssertLessThanOrEqual(radius, 1.0001)
            let off = atan2(y, x) - 2 * .pi * 2 * radius - .pi * Double(s.y![r])
            XCTAssertEqual(remainder(off, 2 * .pi), 0, accuracy: 1e-4)
        }
    }

    func testSineIsTwoPeriodsOnOpenInterval() {
        var rng = RNG(seed: 5)
        let s = sinusoid(rows: 2000, rng: &rng)
        XCTAssertNil(s.y)
        for r in 0..<s.rows {
            let x = Double(s.X[r, 0])
            XCTAssertTrue(x > -1 && x < 1)
            XCTAssertEqual(Double(s.Y![r, 0]), sin(2 * .pi * x), accuracy: 1e-6)
        }
    }
}
