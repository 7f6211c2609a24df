import XCTest
import Shared

/// Files by kind: dl_kind read in one place, the schema checked before a copy,
/// model files of every net the engine makes.
final class FileKindTests: XCTestCase {
    func makeFile(kind: String?, _ build: (H5Group) throws -> Void = { _ in }) throws -> H5File {
        let f = try H5File.createInMemory()
        if let kind { try f.root.setAttribute("dl_kind", kind) }
        try build(f.root)
        return try reopen(f)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    func testKindsAreReadInOnePlace() throws {
        XCTAssertEqual(try dlKind(of: try makeFile(kind: "data")), .data)
        XCTAssertEqual(try dlKind(of: try makeFile(kind: "model")), .model)
        XCTAssertTrue(message { _ = try dlKind(of: try self.makeFile(kind: nil)) }.contains("not a dl file (no dl_kind attribute)"))
        XCTAssertEqual(try dlKind(of: try makeFile(kind: "packed")), .packed)
        XCTAssertEqual(try dlKind(of: try makeFile(kind: "neurashed")), .neurashed)
        XCTAssertTrue(message { _ = try dlKind(of: try self.makeFile(kind: "hologram")) }.contains("a dl hologram file, which this version of dl does not know"))
        let m = message { try expectKind(try self.makeFile(kind: "model"), [.data]) }
        XCTAssertTrue(m.contains("is a dl model file; expected data (make data files with dl-data)"), m)
        let bad = try H5File.createInMemory()
        try bad.root.setAttribute("dl_kind", 3)
        XCTAssertTrue(message { _ = try dlKind(of: try reopen(bad)) }.contains("not a string"))
    }

    func testSchemaCheckFindsWhatACopyWouldPassOn() throws {
        func data(_ rows: Int, y: Int? = nil, Y: [Int]? = nil, shape: [Int]? = nil, test: Int? = nil) throws -> H5File {
            try makeFile(kind: "data") { root in
                let g = try root.createGroup("train")
                try g.write("X", shape: [rows, 2], values: [Float](repeating: 0, count: rows * 2))
                if let y { try g.write("y", shape: [y], values: [Int32](repeating: 0, count: y)) }
                if let Y { try g.write("Y", shape: Y, values: [Float](repeating: 0, count: Y.reduce(1, *))) }
                if let shape { try g.setAttribute("sample_shape", shape) }
                if let test {
                    let t = try root.createGroup("test")
                    try t.write("X", shape: [4, test], values: [Float](repeating: 0, count: 4 * test))
                    try t.write("y", shape: [4], values: [Int32](repeating: 0, count: 4))
                }
            }
        }
        XCTAssertEqual(message { try checkSchema(try data(5, y: 5, test: 2)) }, "")
        XCTAssertEqual(message { try checkSchema(try data(5, Y: [5, 3])) }, "")
        XCTAssertTrue(message { try checkSchema(try data(5, y: 4)) }.contains("/train/y is int32 of shape [4], but image: /train/X has 5 rows"))
        XCTAssertTrue(message { try checkSchema(try data(5, Y: [6, 1])) }.contains("/train/Y is float32 of shape [6, 1]"))
        XCTAssertTrue(message { try checkSchema(try data(5, y: 5, shape: [3, 3])) }.contains("sample_shape"))
        XCTAssertTrue(message { try checkSchema(try data(5, y: 5, test: 3)) }.contains("/test/X has 3 columns but /train/X has 2"))
        XCTAssertTrue(message { try checkSchema(try self.makeFile(kind: "data")) }.contains("holds no data splits"))
        let model = try makeFile(kind: "model") { root in
            let g = try root.createGroup("model")
            try g.setAttribute("widths", [2, 3])
            let l = try g.createGroup("layers").createGroup("1")
            try l.write("W", shape: [3, 2], values: [Float](repeating: 0, count: 6))
            try l.write("b", shape: [3], values: [Float](repeating: 0, count: 3))
        }
        XCTAssertTrue(message { try checkSchema(model) }.contains("/model/layers/1/W is float32 [3, 2], expected float [2, 3]"))
    }

    func testModelsOfEveryShapeRoundTrip() throws {
        var mixed = try MLP(widths: [3, 4, 5, 2], activations: [.tanh, .celu, .linear], head: OutputHead(.pow3GA, alpha: 0.01, beta: 0.3))
        mixed.initialize(.glorot, seed: 1)
        var stack = try MLP(widths: [3, 4, 5], activations: [.relu, .sigmoid], head: nil)
        stack.initialize(.he, seed: 2)
        var direct = try MLP(widths: [3, 2], hidden: .relu, head: OutputHead(.softmax))
        direct.initialize(.he, seed: 3)
        var meta = ModelMetadata()
        meta.classes = 2
        var s = TrainingSettings()
        s.seed = 42; s.lrSteps = [LRStep(epoch: 3, factor: 0.1)]
        meta.training = TrainingRecord(s, initialization: "he", evaluatedOn: "test")
        for (name, model) in [("mixed", mixed), ("stack", stack), ("direct", direct)] {
            let f = try H5File.createInMemory()
            try writeModelFile(model, metadata: meta, to: f, history: [], command: "test")
            let g = try f.root.openGroup("model")
            let (back, backMeta) = try readModelFile(try reopen(f))
            XCTAssertEqual(back, model, name)
            XCTAssertEqual(backMeta, meta, name)
            XCTAssertEqual(try modelSnapshots(try reopen(f)), [], name)
            switch name {
            case "mixed": XCTAssertEqual(try g.attribute("hidden"), .strings(["tanh", "celu"]))
            case "stack":
                XCTAssertEqual(try g.attribute("head"), .string("none"))
                XCTAssertEqual(try g.attribute("hidden"), .strings(["relu", "sigmoid"]))
                XCTAssertNil(try g.attribute("alpha"))
            default: XCTAssertEqual(try g.attribute("hidden"), .string("none"))
            }
            XCTAssertEqual(g.kind(of: "log"), nil, "no log for a model no run trained")
        }
        XCTAssertEqual(meta.training?.lrSteps, ["3:0.1"])
        XCTAssertEqual(meta.training?.seed, 42)
    }
}
