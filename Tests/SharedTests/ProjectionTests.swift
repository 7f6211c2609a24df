import XCTest
import Shared

/// Platonic Projections (Th. 7, Projections/Platonic.swift): the closed-form fit,
/// its projection methods and solvers, and its model's float64 weights.
final class ProjectionTests: XCTestCase {
    func sineTask(rows: Int = 2000, seed: UInt64 = 1) throws -> LearningTask {
        var rng = RNG(seed: seed)
        return try LearningTask(split: sinusoid(rows: rows, rng: &rng), file: "sine")
    }

    func spiralsTask(rows: Int = 1000, seed: UInt64 = 2) throws -> LearningTask {
        var rng = RNG(seed: seed)
        return try LearningTask(split: twoSpirals(rows: rows, rng: &rng), file: "spirals")
    }

    func settings(_ widths: [Int], _ hidden: Activation = .tanh, _ edit: (inout ProjectionSettings) -> Void = { _ in }) -> ProjectionSettings {
        var s = ProjectionSettings(widths: widths)
        s.hidden = hidden
        edit(&s)
        return s
    }

    /// Figure 7.3's fit: a 1-16-16-1 CELU net on the sine, α = β = 1, reaches a
    /// small MSE; the model's own forward pass (float64 weights) gives the log's.
    func testSineFitsAndTheModelReproducesTheLog() throws {
        let task = try sineTask()
        let s = settings([1, 16, 16, 1], .celu) { $0.beta = 1; $0.tries = 5 }
        let r = try fitPlatonicProjections(s, train: task, test: nil)
        XCTAssertEqual(r.log.map(\.layer), [1, 2, 3])
        XCTAssertLessThan(r.log.last!.mse, 5e-4)
        XCTAssertNotNil(r.model.parameters64)
        let e = try Evaluator(model: r.model, maxRows: 512).evaluate(task, targets: (0, 1))
        // The linear head's loss is ½ the squared error.
        XCTAssertEqual(2 * e.loss, r.log.last!.mse, accuracy: 1e-9 * max(1, r.log.last!.mse))
    }

    /// Try 1 of --tries N draws the same P as a single try, and the kept try has
    /// the lowest LSD: layer 1's LSD can only fall with more tries.
    func testMoreTriesNeverRaiseTheFirstLayersLSD() throws {
        let task = try spiralsTask()
        let one = try fitPlatonicProjections(settings([2, 16, 16, 2]) { $0.alpha = 0.1 }, train: task, test: nil)
        let five = try fitPlatonicProjections(settings([2, 16, 16, 2]) { $0.alpha = 0.1; $0.tries = 5 }, train: task, test: nil)
        XCTAssertLessThanOrEqual(five.log[0].lsd, one.log[0].lsd)
        XCTAssertEqual(one.log[0].chosenTry, 1)
        XCTAssertTrue((1...5).contains(five.log[0].chosenTry))
    }

    /// In float64 on a well-conditioned net the three solvers solve the same
    /// systems: pinv and both lstsq drivers agree, and ridge with a tiny λ too.
    func testSolversAgreeInFloat64() throws {
        let task = try spiralsTask(rows: 600)
        var lsd: [String: Double] = [:]
        for (name, edit) in [("pinv", { (s: inout ProjectionSettings) in s.solver = .pinv }),
                             ("gelsy", { $0.solver = .lstsq; $0.driver = .gelsy }),
                             ("gelsd", { $0.solver = .lstsq; $0.driver = .gelsd }),
                             ("ridge", { $0.solver = .ridge; $0.ridge = 1e-12 })] as [(String, (inout ProjectionSettings) -> Void)] {
            let r = try fitPlatonicProjections(settings([2, 12, 12, 2], .relu, edit), train: task, test: nil)
            lsd[name] = r.log.last!.lsd
        }
        for name in ["gelsy", "gelsd", "ridge"] {
            XCTAssertEqual(lsd[name]!, lsd["pinv"]!, accuracy: 1e-6 * lsd["pinv"]!, name)
        }
    }

    func testSameSeedSameWeightsAndPCAIsSeedFree() throws {
        let task = try spiralsTask(rows: 500)
        let a = try fitPlatonicProjections(settings([2, 8, 8, 2]) { $0.seed = 3 }, train: task, test: nil)
        let b = try fitPlatonicProjections(settings([2, 8, 8, 2]) { $0.seed = 3 }, train: task, test: nil)
        let c = try fitPlatonicProjections(settings([2, 8, 8, 2]) { $0.seed = 4 }, train: task, test: nil)
        XCTAssertEqual(a.model.parameters64, b.model.parameters64)
        XCTAssertNotEqual(a.model.parameters64, c.model.parameters64)
        let p = try fitPlatonicProjections(settings([2, 3, 3, 2]) { $0.method = .pca; $0.seed = 3 }, train: task, test: nil)
        let q = try fitPlatonicProjections(settings([2, 3, 3, 2]) { $0.method = .pca; $0.seed = 9 }, train: task, test: nil)
        XCTAssertEqual(p.model.parameters64, q.model.parameters64)
        XCTAssertEqual(p.log.map(\.chosenTry), [0, 0, 0])
    }

    /// Platonic PCA has n + K components: a wider layer is a usage error.
    func testPlatonicPCAIsCappedAtItsComponents() throws {
        let task = try spiralsTask(rows: 200)
        XCTAssertThrowsError(try fitPlatonicProjections(settings([2, 5, 2]) { $0.method = .pca }, train: task, test: nil)) { e in
            XCTAssertTrue("\(e)".contains("at most 4 components"), "\(e)")
            XCTAssertEqual((e as? DLError)?.exitCode, 2)
        }
    }

    /// Sorted PCA's first layer: its weight vectors are samples of X, ordered
    /// along X's first principal component, with zero biases.
    func testSortedPCAUsesSamplesAsWeights() throws {
        let task = try spiralsTask(rows: 300)
        let r = try fitPlatonicProjections(settings([2, 6, 2], .relu) { $0.sortedPCA = true }, train: task, test: nil)
        let W = r.model.weight(1), b = r.model.bias(1)
        XCTAssertEqual(b, [Float](repeating: 0, count: 6))
        let rows = (0..<task.rows).map { [task.X.storage[2 * $0], task.X.storage[2 * $0 + 1]] }
        for j in 0..<6 {
            let w = [W.storage[j], W.storage[6 + j]]
            XCTAssertTrue(rows.contains(w), "weight vector \(j) is not a sample")
        }
    }

    /// Weighted Platonic PCA (--ema) moves the fit; random W (the ELM) draws the
    /// hidden layer from N(0, 1).
    func testWeightedPCAAndRandomW() throws {
        let task = try spiralsTask(rows: 600)
        let plain = try fitPlatonicProjections(settings([2, 4, 4, 2]) { $0.method = .pca }, train: task, test: nil)
        let weighted = try fitPlatonicProjections(settings([2, 4, 4, 2]) { $0.method = .pca; $0.ema = 0.2 }, train: task, test: nil)
        XCTAssertEqual(plain.log[0].lsd, weighted.log[0].lsd, "the weights act from the second layer on")
        XCTAssertNotEqual(plain.log[1].lsd, weighted.log[1].lsd)
        let elm = try fitPlatonicProjections(settings([2, 400, 2], .relu) { $0.method = .randomW }, train: task, test: nil)
        let w = elm.model.weight(1).storage.map(Double.init) + elm.model.bias(1).map(Double.init)
        let mean = w.reduce(0, +) / Double(w.count)
        let sd = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.1)
        XCTAssertEqual(sd, 1, accuracy: 0.1)
    }

    /// The float32 normal equations of the spirals' tanh net break down (Table
    /// 7.1's "Failed"): a one-line error that suggests the ways out.
    func testSingularFloat32RidgeSaysWhatToDo() throws {
        let task = try spiralsTask(rows: 2000)
        let s = settings([2, 32, 32, 32, 32, 2]) { $0.alpha = 0.1; $0.solver = .ridge; $0.ridge = 1e-6; $0.precision = 32 }
        XCTAssertThrowsError(try fitPlatonicProjections(s, train: task, test: nil)) { e in
            XCTAssertTrue("\(e)".contains("singular in float32"), "\(e)")
            XCTAssertTrue("\(e)".contains("--precision 64"), "\(e)")
        }
    }

    func testBadSettingsAreUsageErrors() {
        let cases: [(String, (inout ProjectionSettings) -> Void)] = [
            ("--tries", { $0.tries = 0 }), ("--label-scale", { $0.beta = .infinity }), ("--ridge", { $0.ridge = .nan }),
            ("--target-scale", { $0.alpha = 0 }), ("--ema", { $0.method = .pca; $0.ema = 1 }), ("--precision", { $0.precision = 16 }),
            ("--tries", { $0.method = .pca; $0.tries = 3 }), ("--rcond", { $0.rcond = -1 }),
        ]
        for (flag, edit) in cases {
            XCTAssertTrue(settings([2, 4, 2], .relu, edit).problem()?.contains(flag) ?? false, flag)
        }
        XCTAssertNil(settings([2, 4, 2]).problem())
    }

    /// A float64 fit's weights survive the model file exactly and its readers
    /// evaluate in float64; the float32 rounding is kept beside them.
    func testFloat64WeightsRoundTripThroughTheModelFile() throws {
        let task = try spiralsTask(rows: 500)
        let s = settings([2, 16, 16, 2]) { $0.alpha = 0.1 }
        let r = try fitPlatonicProjections(s, train: task, test: nil)
        let f = try H5File.createInMemory()
        try writeProjectionModel(r, s, task: task, classes: 2, recordTime: false, to: f, history: [], command: "test")
        let (model, meta) = try readModelFile(try H5File.open(image: try f.imageBytes(), name: "pp.h5"))
        XCTAssertEqual(model.parameters64, r.model.parameters64)
        XCTAssertEqual(model.parameters, r.model.parameters)
        XCTAssertEqual(meta.task, .classification)
        let e = try Evaluator(model: model, maxRows: 256).evaluate(task, targets: (0, 1))
        XCTAssertEqual(e.accuracy!, r.log.last!.trainAccuracy!, accuracy: 1e-12)
        var changed = model
        changed.parameters[0] += 1
        XCTAssertNil(changed.parameters64, "a changed net no longer has the fit's float64 weights")
    }
}
