import XCTest
import Foundation
import Shared

func tempDir() -> String {
    let dir = NSTemporaryDirectory() + "dl-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Round-trips an in-memory file through its image bytes.
func reopen(_ file: H5File) throws -> H5File {
    let image = try file.imageBytes()
    return try H5File.open(image: image, name: "image")
}

final class HDF5Tests: XCTestCase {
    func testDatasetsOfEveryTypeRoundTrip() throws {
        let f = try H5File.createInMemory()
        let g = try f.root.createGroup("g")
        try g.write("f32", shape: [2, 3], values: [Float](arrayLiteral: 1, 2, 3, 4, 5, 6.5))
        try g.write("f64", shape: [2], values: [Double](arrayLiteral: 1e-300, -2))
        try g.write("i32", shape: [3], values: [Int32](arrayLiteral: -1, 0, 7))
        try g.write("i64", shape: [1], values: [Int64](arrayLiteral: 1 << 40))
        try g.write("u8", shape: [2, 2], values: [UInt8](arrayLiteral: 0, 1, 254, 255))
        try g.write("empty", shape: [0, 4], values: [Float]())
        let r = try reopen(f).root.openGroup("g")
        XCTAssertEqual(try r.read("f32", as: Float.self).values, [1, 2, 3, 4, 5, 6.5])
        XCTAssertEqual(try r.read("f32", as: Float.self).shape, [2, 3])
        XCTAssertEqual(try r.read("f64", as: Double.self).values, [1e-300, -2])
        XCTAssertEqual(try r.read("i32", as: Int32.self).values, [-1, 0, 7])
        XCTAssertEqual(try r.read("i64", as: Int64.self).values, [1 << 40])
        XCTAssertEqual(try r.read("u8", as: UInt8.self).values, [0, 1, 254, 255])
        XCTAssertEqual(try r.datasetInfo("u8"), H5DatasetInfo(shape: [2, 2], dtype: "uint8"))
        XCTAssertEqual(try r.datasetInfo("f32").dtype, "float32")
        XCTAssertEqual(try r.datasetInfo("empty").shape, [0, 4])
        // HDF5 converts on read: uint8 as float.
        XCTAssertEqual(try r.read("u8", as: Float.self).values, [0, 1, 254, 255])
        XCTAssertEqual(try r.children(), ["empty", "f32", "f64", "i32", "i64", "u8"])
        XCTAssertThrowsError(try r.read("missing", as: Float.self))
        XCTAssertThrowsError(try r.openGroup("f32"))
    }

    func testAttributesKeepTypeAndShape() throws {
        let f = try H5File.createInMemory()
        let root = f.root
        try root.setAttribute("s", "héllo")
        try root.setAttribute("ss", ["a", "b"])
        try root.setAttribute("one", ["only"])
        try root.setAttribute("i", 3)
        try root.setAttribute("ii", [784])
        try root.setAttribute("d", 0.25)
        try root.setAttribute("i", 4)  // replaces
        let r = try reopen(f).root
        XCTAssertEqual(try r.attribute("s"), .string("héllo"))
        XCTAssertEqual(try r.attribute("ss"), .strings(["a", "b"]))
        XCTAssertEqual(try r.attribute("one"), .strings(["only"]))
        XCTAssertEqual(try r.attribute("i"), .integer(4))
        XCTAssertEqual(try r.attribute("ii"), .integers([784]))
        XCTAssertEqual(try r.attribute("d")?.double, 0.25)
        XCTAssertNil(try r.attribute("nope"))
        XCTAssertEqual(Set(try r.attributeNames()), ["s", "ss", "one", "i", "ii", "d"])
    }

    func testSameContentGivesSameBytes() throws {
        func make() throws -> [UInt8] {
            let f = try H5File.createInMemory()
            try f.root.setAttribute("k", "v")
            let g = try f.root.createGroup("train")
            try g.write("X", shape: [100, 10], values: (0..<1000).map { Float($0) })
            return try f.imageBytes().toArray()
        }
        // A second apart: an object that kept its modification time would differ.
        let first = try make()
        sleep(1)
        XCTAssertEqual(first, try make())
    }

    func testInPlaceImageEqualsCopiedImage() throws {
        let f = try H5File.createInMemory()
        try f.root.setAttribute("dl_kind", "data")
        let g = try f.root.createGroup("train")
        try g.write("X", shape: [3000, 100], values: (0..<300_000).map { Float($0) })
        let inPlace = try f.withImageChunks { chunks in chunks.flatMap { Array($0) } }
        let copied = try f.imageBytes().toArray()
        XCTAssertEqual(inPlace.count, copied.count)
        let diffs = zip(inPlace, copied).enumerated().filter { $0.element.0 != $0.element.1 }.map { "\($0.offset):\($0.element.0)/\($0.element.1)" }
        XCTAssertEqual(diffs, [], "images differ at \(diffs.prefix(20))")
        XCTAssertGreaterThan(inPlace.count, 1_200_000)
    }

    func testFilesOnDiskAndRejectedInputs() throws {
        let dir = tempDir()
        let path = dir + "/a.h5"
        let f = try H5File.createInMemory()
        try f.root.write("x", shape: [1], values: [Float(1)])
        try OutputTarget(path).write(f)
        XCTAssertEqual(try H5File.open(path: path).root.read("x", as: Float.self).values, [1])
        // No temporary file left beside it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a.h5"])

        _ = FileManager.default.createFile(atPath: dir + "/text", contents: Data("not hdf5".utf8))
        XCTAssertThrowsError(try H5File.open(path: dir + "/text")) { e in
            XCTAssertTrue("\(e)".contains("not an HDF5 file"), "\(e)")
        }
        XCTAssertThrowsError(try H5File.open(path: dir + "/missing.h5"))
        XCTAssertThrowsError(try H5File.open(path: dir))
        let junk = try BigBuffer(capacity: 16)
        junk.count = 16
        XCTAssertThrowsError(try H5File.open(image: junk, name: "junk"))
        XCTAssertThrowsError(try H5File.open(image: try BigBuffer(capacity: 4), name: "empty"))
    }

    func testOutputChecksAndFailedWritesLeaveNothing() throws {
        let dir = tempDir()
        XCTAssertThrowsError(try OutputTarget(dir + "/nofolder/x.h5").check())
        XCTAssertThrowsError(try OutputTarget(dir).check())
        // /dev/full: written in place, fails with ENOSPC.
        XCTAssertThrowsError(try OutputTarget("/dev/full").write(text: "hello")) { e in
            XCTAssertTrue("\(e)".contains("No space left"), "\(e)")
        }
        // A write that fails half-way (here: past a file-size limit, as on a full
        // disk) removes its temporary file and leaves any earlier output as it was.
        try OutputTarget(dir + "/old.tsv").write(text: "earlier\n")
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        var small = saved
        small.rlim_cur = 4096
        let handler = signal(SIGXFSZ, SIG_IGN)
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small)
        let big = String(repeating: "x", count: 100_000)
        let failed = [dir + "/x.tsv", dir + "/old.tsv"].map { path -> String in
            do { try OutputTarget(path).write(text: big); return "" } catch { return "\(error)" }
        }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, handler)
        for m in failed { XCTAssertTrue(m.contains("File too large"), m) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["old.tsv"])
        XCTAssertEqual(try String(contentsOfFile: dir + "/old.tsv", encoding: .utf8), "earlier\n")
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testBigBufferGrows() throws {
        let b = try BigBuffer(capacity: 10)
        b.pointer.storeBytes(of: 0xAB, as: UInt8.self)
        try b.grow(to: 50 << 20)
        XCTAssertEqual(b.pointer.load(as: UInt8.self), 0xAB)
        XCTAssertEqual(b.capacity, 50 << 20)
    }

    /// An image opened for update is changed in place (its buffer handed over,
    /// grown as HDF5 asks) and written out as a file every reader opens, with
    /// the change and every dataset as it was.
    func testImageOpenedForUpdateChangesInPlace() throws {
        let f = try H5File.createInMemory()
        try f.root.setAttribute("dl_history", ["first"])
        let g = try f.root.createGroup("train")
        let values = (0..<300_000).map { Float($0) }
        try g.write("X", shape: [3000, 100], values: values)
        let source = try f.imageBytes()
        let original = source.toArray()
        let u = try H5File.openForUpdate(image: source, name: "test image")
        XCTAssertEqual(source.count, 0, "the buffer is handed over")
        try u.root.setAttribute("dl_history", ["first", "second"])
        // Enough new data that the core driver must grow the image (1 MiB steps).
        let extra = (0..<600_000).map { Float($0) * 0.5 }
        try u.root.createGroup("extra").write("Y", shape: [600_000], values: extra)
        let changed = try u.withImageChunks { chunks in chunks.flatMap { Array($0) } }
        XCTAssertGreaterThan(changed.count, original.count + 2_400_000)
        let copy = try BigBuffer(capacity: changed.count)
        changed.withUnsafeBytes { copy.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        copy.count = changed.count
        let r = try H5File.open(image: copy, name: "changed")
        XCTAssertEqual(try r.root.attribute("dl_history")?.stringArray, ["first", "second"])
        XCTAssertEqual(try r.root.openGroup("train").read("X", as: Float.self).values, values)
        XCTAssertEqual(try r.root.openGroup("extra").read("Y", as: Float.self).values, extra)
        XCTAssertThrowsError(try H5File.openForUpdate(image: try BigBuffer(capacity: 8), name: "empty")) { e in
            XCTAssertTrue("\(e)".contains("empty is empty"), "\(e)")
        }
    }
}
