import XCTest
import Shared

/// A tiny classification task: B rows of d inputs, K classes.
func tinyTask(rows B: Int, d: Int, K: Int, seed: UInt64) throws -> LearningTask {
    var rng = RNG(seed: seed)
    let X = try Matrix(shape: [B, d], storage: (0..<(B * d)).map { _ in Float(rng.normal()) })
    let y = (0..<B).map { _ in Int32(rng.below(K)) }
    return try LearningTask(split: Split(name: "train", X: X, y: y, classes: K), file: "test")
}

func targetsMatrix(_ task: LearningTask, K: Int, _ t: (Float, Float)) -> [Double] {
    var T = [Double](repeating: Double(t.0), count: task.rows * K)
    for (r, l) in task.labels!.enumerated() { T[r * K + Int(l)] = Double(t.1) }
    return T
}

final class NetsTests: XCTestCase {
    let heads: [OutputHead] = [OutputHead(.softmax), OutputHead(.linear), OutputHead(.sigmoid), OutputHead(.tanh),
                               OutputHead(.expGA), OutputHead(.pow3GA, alpha: 0.5, beta: 0.4)]

    /// Every activation and every head: the float64 reference's analytic gradient
    /// against central finite differences of its loss.
    func testReferenceGradientsMatchFiniteDifferences() throws {
        for act in Activation.allCases {
            for head in heads {
                var model = try MLP(widths: [3, 4, 3], hidden: act, head: head)
                model.initialize(.glorot, seed: 3)
                let task = try tinyTask(rows: 5, d: 3, K: 3, seed: 4)
                let targets: (Float, Float) = head.kind == .expGA ? (0, 2) : (0, 1)
                let T = targetsMatrix(task, K: 3, targets)
                let X = task.X.storage.map(Double.init)
                // Shift biases so no ReLU/CELU unit sits at its kink (finite differences need smoothness).
                var p = model.parameters.map(Double.init)
                for i in 1...model.layers { for j in 0..<model.widths[i] { p[model.biasOffset(i) + j] += 0.05 } }
                let (_, g) = referenceLossAndGradients(model, parameters: p, X: X, T: T, rows: 5)
                let h = 1e-6
                var worst = 0.0
                for j in 0..<p.count {
                    var plus = p, minus = p
                    plus[j] += h; minus[j] -= h
                    let fd = (referenceLossAndGradients(model, parameters: plus, X: X, T: T, rows: 5).loss
                              - referenceLossAndGradients(model, parameters: minus, X: X, T: T, rows: 5).loss) / (2 * h)
                    worst = max(worst, abs(fd - g[j]) / max(1, abs(fd)))
                }
                XCTAssertLessThan(worst, 1e-5, "\(act) + \(head.kind): max relative gradient error \(worst)")
            }
        }
    }

    /// The BLAS path (float32, sharded) computes the reference's loss and gradients.
    func testBLASPathEqualsPlainLoopReference() throws {
        for act in Activation.allCases {
            for head in heads {
                var model = try MLP(widths: [6, 5, 4, 3], hidden: act, head: head)
                model.initialize(act.defaultInit, seed: 7)
                let task = try tinyTask(rows: 9, d: 6, K: 3, seed: 8)
                let targets: (Float, Float) = (0, 1)
                for shards in [1, 2, 3] {
                    let trainer = try Trainer(model: model, maxRows: 9, shards: shards)
                    let (loss, g) = trainer.gradients(task, Array(0..<9)[...], targets: targets)
                    let ref = referenceLossAndGradients(model, parameters: model.parameters.map(Double.init),
                                                        X: task.X.storage.map(Double.init),
                                                        T: targetsMatrix(task, K: 3, targets), rows: 9)
                    XCTAssertEqual(loss, ref.loss, accuracy: 1e-4 * max(1, abs(ref.loss)), "\(act) \(head.kind) shards \(shards)")
                    let worst = zip(g, ref.gradients).map { abs(Double($0) - $1) }.max()!
                    XCTAssertLessThan(worst, 1e-4, "\(act) + \(head.kind), \(shards) shards: max gradient difference \(worst)")
                }
            }
        }
    }

    /// Two SGD steps match PyTorch's update written out from the gradients:
    /// v = μv + g + λw, w −= lr·v, for any shard count (odd widths leave tails
    /// after the 8-wide vector loop).
    func testSGDStepsMatchTheUpdateRule() throws {
        var model = try MLP(widths: [7, 9, 3], hidden: .relu, head: OutputHead(.softmax))
        model.initialize(.he, seed: 2)
        let task = try tinyTask(rows: 40, d: 7, K: 3, seed: 3)
        var s = TrainingSettings()
        s.learningRate = 0.1; s.momentum = 0.9
        let idx = Array(0..<40)[...]
        for wd: Float in [0, 0.01] {
            s.weightDecay = wd
            for shards in [1, 2, 3] {
                let trainer = try Trainer(model: model, maxRows: 40, shards: shards)
                var w = model.parameters.map(Double.init)
                var v = [Double](repeating: 0, count: w.count)
                for _ in 0..<2 {
                    let g = trainer.gradients(task, idx, targets: (0, 1)).gradients
                    for j in 0..<w.count {
                        v[j] = 0.9 * v[j] + Double(g[j]) + Double(wd) * w[j]
                        w[j] -= 0.1 * v[j]
                    }
                    _ = trainer.step(task, idx, s, lr: 0.1)
                }
                let got = trainer.currentModel().parameters
                let worst = zip(got, w).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThan(worst, 1e-5, "wd \(wd), \(shards) shards: max difference \(worst)")
            }
        }
    }

    /// Th. 4.6 and 4.8: exp-GA's loss is the sparse cross-entropy and pow3-GA's the
    /// negative correlation loss, i.e. their derivatives at the head input are y − t.
    func testGAImpliedLossesHaveCanonicalGradient() {
        for head in [OutputHead(.expGA, alpha: 0.1), OutputHead(.pow3GA, alpha: 0.001, beta: 0.4)] {
            for (x, t) in [(-3.0, 0.0), (0.5, 16.0), (2.0, 1.0), (7.0, 10.0)] {
                let h = 1e-5
                let l = { (x: Double) in referenceHeadLoss(head, [x], referenceHead(head, [x]), [t]) }
                let fd = (l(x + h) - l(x - h)) / (2 * h)
                let y = referenceHead(head, [x])[0]
                XCTAssertEqual(fd, y - t, accuracy: 1e-5 * max(1, abs(y - t)), "\(head.kind) at x=\(x), t=\(t)")
            }
        }
        // The fast head's loss agrees with the reference loss.
        for head in heads {
            let x: [Float] = [0.3, -1.2, 2.0], t: [Float] = [0, 1, 0]
            var y = [Float](repeating: 0, count: 3)
            head.forward(&y, x, rows: 1, cols: 3)
            let fast = head.loss(x: x, y: y, t: t, rows: 1, cols: 3)
            let ref = referenceHeadLoss(head, x.map(Double.init), referenceHead(head, x.map(Double.init)), t.map(Double.init))
            XCTAssertEqual(fast, ref, accuracy: 1e-5, "\(head.kind)")
        }
    }

    func testTrainingLearnsAndIsDeterministic() throws {
        // Two separable blobs: a small net must reach near-perfect accuracy.
        var rng = RNG(seed: 1)
        var xs: [Float] = [], ys: [Int32] = []
        for i in 0..<400 {
            let c = i % 2
            xs += [Float(rng.normal() * 0.5 + (c == 0 ? -2 : 2)), Float(rng.normal() * 0.5)]
            ys.append(Int32(c))
        }
        let split = Split(name: "train", X: try Matrix(shape: [400, 2], storage: xs), y: ys, classes: 2)
        var o = FitOptions(architecture: [2, 8, 2])
        o.settings.epochs = 5
        o.settings.batchSize = 32
        o.settings.learningRate = 0.05
        o.settings.threads = 2
        let data = DataFile(splits: [split])
        let (a, _) = try fit(data, file: "blobs", o)
        XCTAssertGreaterThan(a.log.last!.trainAccuracy!, 0.97)
        let (b, _) = try fit(data, file: "blobs", o)
        XCTAssertEqual(a.model.parameters, b.model.parameters)
        o.settings.seed = 1
        let (c, _) = try fit(data, file: "blobs", o)
        XCTAssertNotEqual(a.model.parameters, c.model.parameters)
    }

    func testModelFileRoundTripPredictsIdentically() throws {
        var model = try MLP(widths: [4, 6, 3], hidden: .tanh, head: OutputHead(.expGA, alpha: 0.2))
        model.initialize(.glorot, seed: 5)
        let result = TrainingResult(model: model, log: [EpochRecord(epoch: 1, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5,
                                                                     testLoss: nil, testAccuracy: nil, seconds: 1)],
                                    snapshots: [model.parameters], convergenceEpoch: 1)
        var meta = ModelMetadata()
        meta.classes = 3
        meta.targets = (0, 16)
        let f = try H5File.createInMemory()
        try writeModelFile(result, metadata: meta, recordTime: false, to: f, history: [], command: "test")
        let (back, backMeta) = try readModelFile(try reopen(f))
        XCTAssertEqual(back, model)
        XCTAssertEqual(backMeta.targets.1, 16)
        let X = try Matrix(shape: [2, 4], storage: [0.1, 0.2, 0.3, 0.4, -1, 0, 1, 2])
        // It predicts what the net written out by hand does: exp-GA of tanh(X W1 + b1) W2 + b2.
        let Y = try Evaluator(model: back, maxRows: 2).predict(X)
        let W1 = model.weight(1), b1 = model.bias(1), W2 = model.weight(2), b2 = model.bias(2)
        for r in 0..<2 {
            let h = (0..<6).map { j in tanh((0..<4).reduce(Double(b1[j])) { $0 + Double(X[r, $1] * W1[$1, j]) }) }
            let x = (0..<3).map { j in (0..<6).reduce(Double(b2[j])) { $0 + h[$1] * Double(W2[$1, j]) } }
            for (j, want) in referenceHead(model.head!, x).enumerated() { XCTAssertEqual(Double(Y[r, j]), want, accuracy: 1e-5) }
        }
        XCTAssertThrowsError(try readModelFile(try reopen(try { let g = try H5File.createInMemory(); try g.root.setAttribute("dl_kind", "data"); return g }())))
    }

    func testSchedulesAndParsing() throws {
        var s = TrainingSettings()
        s.learningRate = 1
        s.lrSteps = [try LRStep(parsing: "8:0.1"), try LRStep(parsing: "9:0.5")]
        XCTAssertEqual(s.learningRate(epoch: 8), 1)
        XCTAssertEqual(s.learningRate(epoch: 9), 0.1, accuracy: 1e-7)
        XCTAssertEqual(s.learningRate(epoch: 10), 0.05, accuracy: 1e-7)
        XCTAssertThrowsError(try LRStep(parsing: "x"))
        XCTAssertThrowsError(try LRStep(parsing: "0:0.1"))
        XCTAssertEqual(try parseArchitecture("784-392-50-10"), [784, 392, 50, 10])
        XCTAssertThrowsError(try parseArchitecture("784"))
        XCTAssertThrowsError(try parseArchitecture("784--10"))
        XCTAssertEqual(try parseArchitecture("1-16x3-2"), [1, 16, 16, 16, 2])
        XCTAssertEqual(try parseArchitecture("2x2"), [2, 2])
        for bad in ["1-16x0-1", "1-x3-1", "1-16x-1", "1-16x2x2-1", "16x1"] { XCTAssertThrowsError(try parseArchitecture(bad), bad) }
        XCTAssertEqual(convergenceEpoch([
            EpochRecord(epoch: 1, learningRate: 1, trainLoss: 1, trainAccuracy: nil, testLoss: nil, testAccuracy: 0.8, seconds: 0),
            EpochRecord(epoch: 2, learningRate: 1, trainLoss: 1, trainAccuracy: nil, testLoss: nil, testAccuracy: 0.9, seconds: 0),
            EpochRecord(epoch: 3, learningRate: 1, trainLoss: 1, trainAccuracy: nil, testLoss: nil, testAccuracy: 0.9, seconds: 0),
        ]), 2)
    }
}
