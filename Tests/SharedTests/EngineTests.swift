import XCTest
import Shared

/// What the training engine promises the trainers built on it (issue 9): nets
/// with an activation per layer, frozen layers and per-layer factors, hooks,
/// dropout on a layer's input and on the gradient entering it, slices and stacks,
/// starting weights, and feature files — each against the float64 reference.
final class EngineTests: XCTestCase {
    func largestDifference(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
    }

    func referenceGradients(_ model: MLP, _ task: LearningTask, targets: (Float, Float) = (0, 1),
                            masks: ReferenceMasks = ReferenceMasks()) -> (loss: Double, gradients: [Double]) {
        referenceLossAndGradients(model, parameters: model.parameters.map(Double.init), X: task.X.storage.map(Double.init),
                                  T: targetsMatrix(task, K: model.widths.last!, targets), rows: task.rows, masks: masks)
    }

    func testPerLayerActivationsMatchTheReference() throws {
        var model = try MLP(widths: [5, 6, 5, 4, 4, 3], activations: [.relu, .tanh, .sigmoid, .celu, .linear],
                            head: OutputHead(.softmax))
        model.initialize(.glorot, seed: 11)
        let task = try tinyTask(rows: 9, d: 5, K: 3, seed: 12)
        let ref = referenceGradients(model, task)
        for shards in [1, 2, 3] {
            let (loss, g) = try Trainer(model: model, maxRows: 9, shards: shards).gradients(task, Array(0..<9)[...], targets: (0, 1))
            XCTAssertEqual(loss, ref.loss, accuracy: 1e-5 * max(1, abs(ref.loss)))
            let worst = largestDifference(g, ref.gradients)
            XCTAssertLessThan(worst, 1e-5, "\(shards) shards: largest gradient difference \(worst)")
        }
        // The reference itself against central differences of its loss.
        var p = model.parameters.map(Double.init)
        for i in 1...model.layers { for j in 0..<model.widths[i] { p[model.biasOffset(i) + j] += 0.05 } }
        let X = task.X.storage.map(Double.init), T = targetsMatrix(task, K: 3, (0, 1))
        let g = referenceLossAndGradients(model, parameters: p, X: X, T: T, rows: 9).gradients
        var worst = 0.0
        for j in stride(from: 0, to: p.count, by: 3) {
            var plus = p, minus = p
            plus[j] += 1e-6; minus[j] -= 1e-6
            let fd = (referenceLossAndGradients(model, parameters: plus, X: X, T: T, rows: 9).loss
                      - referenceLossAndGradients(model, parameters: minus, X: X, T: T, rows: 9).loss) / 2e-6
            worst = max(worst, abs(fd - g[j]) / max(1, abs(fd)))
        }
        XCTAssertLessThan(worst, 1e-5, "reference against finite differences: \(worst)")
        // Each layer's σ is the one it was given: Z_2 = tanh(A_2).
        let Z1 = try model.representation(task.X, layer: 1), Z2 = try model.representation(task.X, layer: 2)
        let W2 = model.weight(2), b2 = model.bias(2)
        for r in 0..<9 {
            for j in 0..<5 {
                var a = b2[j]
                for q in 0..<6 { a += Z1[r, q] * W2[q, j] }
                XCTAssertEqual(Z2[r, j], tanh(a), accuracy: 1e-5)
            }
        }
    }

    func testFrozenLayersKeepTheirWeights() throws {
        var model = try MLP(widths: [4, 8, 6, 3], hidden: .relu, head: OutputHead(.softmax))
        model.initialize(.he, seed: 2)
        let task = try tinyTask(rows: 64, d: 4, K: 3, seed: 3)
        var s = TrainingSettings()
        s.epochs = 3; s.batchSize = 32; s.threads = 2; s.weightDecay = 0.01; s.logEpochs = false
        s.layers = [.frozen, LayerPlan(), .frozen]
        let result = try train(model, on: task, test: nil, settings: s)
        for i in [1, 3] {
            XCTAssertEqual(result.model.weight(i), model.weight(i), "layer \(i) is frozen")
            XCTAssertEqual(result.model.bias(i), model.bias(i), "layer \(i) is frozen")
        }
        XCTAssertNotEqual(result.model.weight(2), model.weight(2), "layer 2 trains")
        // A frozen layer's gradient is 0; a trainable one's is the reference's.
        let trainer = try Trainer(model: model, maxRows: 64, plans: s.layers)
        let (_, g) = trainer.gradients(task, Array(0..<64)[...], targets: (0, 1))
        let ref = referenceGradients(model, task)
        for i in 1...3 {
            let range = model.weightOffset(i)..<model.endOffset(i)
            if i == 2 {
                XCTAssertLessThan(largestDifference(Array(g[range]), Array(ref.gradients[range])), 1e-5)
            } else {
                XCTAssertTrue(g[range].allSatisfy { $0 == 0 }, "layer \(i)")
            }
        }
    }

    /// The optimizer against its float64 twin (Reference.swift's referenceTrain):
    /// SGD with momentum, weight decay and a step schedule; AdamW; frozen layers
    /// and per-layer factors; one and two threads.
    func testOptimizerMatchesTheFloat64Reference() throws {
        var model = try MLP(widths: [5, 7, 6, 3], hidden: .tanh, head: OutputHead(.softmax))
        model.initialize(.glorot, seed: 4)
        let task = try tinyTask(rows: 96, d: 5, K: 3, seed: 5)
        let X = task.X.storage.map(Double.init), T = targetsMatrix(task, K: 3, (0, 1))
        var base = TrainingSettings()
        base.epochs = 3; base.batchSize = 32; base.learningRate = 0.1; base.momentum = 0.9; base.seed = 9; base.logEpochs = false
        var cases: [(String, TrainingSettings, Double)] = []
        var sgd = base
        sgd.weightDecay = 0.01; sgd.lrSteps = [LRStep(epoch: 1, factor: 0.5), LRStep(epoch: 2, factor: 0.2)]
        cases.append(("sgd, wd, lr steps", sgd, 1e-5))
        var adam = base
        adam.optimizer = .adamw; adam.learningRate = 0.01; adam.weightDecay = 0.1
        cases.append(("adamw", adam, 1e-4))
        var planned = sgd
        planned.layers = [.frozen, LayerPlan(lrFactor: 0.5, wdFactor: 3), LayerPlan(lrFactor: 2)]
        cases.append(("frozen and factors", planned, 1e-5))
        var resumed = sgd
        resumed.firstEpoch = 4
        cases.append(("from epoch 4", resumed, 1e-5))
        for (name, s, tolerance) in cases {
            let want = referenceTrain(model, X: X, T: T, rows: 96, settings: s)
            for threads in [1, 2] {
                var st = s
                st.threads = threads
                let got = try train(model, on: task, test: nil, settings: st).model.parameters
                let worst = largestDifference(got, want)
                XCTAssertLessThan(worst, tolerance, "\(name), \(threads) threads: largest difference \(worst)")
                XCTAssertNotEqual(got, model.parameters, name)
            }
        }
    }

    func testHooksRunPerStepAndEpochAndCanStop() throws {
        var model = try MLP(widths: [4, 8, 3], hidden: .relu, head: OutputHead(.softmax))
        model.initialize(.he, seed: 6)
        let task = try tinyTask(rows: 70, d: 4, K: 3, seed: 7)
        var s = TrainingSettings()
        s.epochs = 5; s.batchSize = 16; s.snapshots = true; s.logEpochs = false
        var epochs: [Int] = [], steps: [Int: Int] = [:], evaluated: [Int] = []
        let hooks = TrainingHooks(afterStep: { _, r in steps[r.epoch, default: 0] += 1 },
                                  beforeEvaluation: { _, e in
                                      XCTAssertEqual(steps[e], 5, "after the epoch's last step")
                                      XCTAssertEqual(epochs.count, e - 1, "before the epoch's record")
                                      evaluated.append(e)
                                  },
                                  afterEpoch: { trainer, r in
                                      epochs.append(r.epoch)
                                      if r.epoch == 2 {
                                          // What a quantizing trainer would do: replace the weights.
                                          trainer.withParameters { p in for j in 0..<model.endOffset(1) { p[j] = (p[j] * 8).rounded() / 8 } }
                                          return .stop
                                      }
                                      return .proceed
                                  })
        let result = try train(model, on: task, test: nil, settings: s, hooks: hooks)
        XCTAssertEqual(epochs, [1, 2], "once per epoch, none after the stop")
        XCTAssertEqual(evaluated, [1, 2])
        XCTAssertEqual(steps, [1: 5, 2: 5], "ceil(70 / 16) steps per epoch")
        XCTAssertEqual(result.log.map(\.epoch), [1, 2])
        XCTAssertEqual(result.snapshots.count, 2)
        XCTAssertTrue(result.model.parameters[0..<model.endOffset(1)].allSatisfy { ($0 * 8).rounded() == $0 * 8 },
                      "the hook's weights are the result's")
        XCTAssertEqual(result.snapshots[1], result.model.parameters)
        // A run continued from its trainer (epochs 3…4) equals one run of 4 epochs.
        var four = s
        four.epochs = 4; four.snapshots = false
        let whole = try train(model, on: task, test: nil, settings: four)
        let trainer = try Trainer(model: model, maxRows: 16)
        var first = four
        first.epochs = 2
        _ = try trainEpochs(trainer, on: task, test: nil, settings: first)
        var second = first
        second.firstEpoch = 3
        let rest = try trainEpochs(trainer, on: task, test: nil, settings: second)
        XCTAssertEqual(rest.log.map(\.epoch), [3, 4])
        XCTAssertEqual(rest.model.parameters, whole.model.parameters)
    }

    /// Dropout on a layer's input and on the gradient entering a layer: with the
    /// masks fixed (the engine's own draw for that seed and position), the
    /// gradients are the reference's; input dropout's are also the finite
    /// differences of the loss with that mask.
    func testDropoutGradientsWithTheMaskFixed() throws {
        var model = try MLP(widths: [5, 7, 6, 3], activations: [.tanh, .sigmoid, .linear], head: OutputHead(.softmax))
        model.initialize(.glorot, seed: 8)
        let task = try tinyTask(rows: 10, d: 5, K: 3, seed: 9)
        let plans = [LayerPlan(inputDropout: 0.2, gradientDropout: 0.3), LayerPlan(inputDropout: 0.4), LayerPlan(gradientDropout: 0.5)]
        let seed: UInt64 = 5, position = 17, positions = Array(position..<(position + 10))
        var masks = ReferenceMasks()
        for (i, p) in plans.enumerated() where p.inputDropout > 0 {
            masks.input[i + 1] = referenceDropoutScales(seed: seed, stream: .inputDropout(layer: i + 1), positions: positions,
                                                        count: model.widths[i], rate: p.inputDropout)
        }
        for (i, p) in plans.enumerated() where p.gradientDropout > 0 {
            masks.gradient[i + 1] = referenceDropoutScales(seed: seed, stream: .gradientDropout(layer: i + 1), positions: positions,
                                                           count: model.widths[i + 1], rate: p.gradientDropout)
        }
        XCTAssertEqual(Set(masks.input[2]!), [0, Double(1 / (1 - Float(0.4)))], "the mask drops and scales")
        let ref = referenceGradients(model, task, masks: masks)
        var got: [[Float]] = []
        for shards in [1, 3] {
            let trainer = try Trainer(model: model, maxRows: 10, shards: shards, plans: plans)
            let (loss, g) = trainer.gradients(task, Array(0..<10)[...], targets: (0, 1), seed: seed, position: position)
            XCTAssertEqual(loss, ref.loss, accuracy: 1e-5)
            XCTAssertLessThan(largestDifference(g, ref.gradients), 1e-5, "\(shards) shards")
            got.append(g)
            // Evaluation never drops: the loss is the plain net's.
            XCTAssertEqual(trainer.evaluate(task, targets: (0, 1)).loss, referenceGradients(model, task).loss, accuracy: 1e-5)
        }
        // The masks do not depend on the shards (the sums in phase 2 may, in their last bits).
        XCTAssertLessThan(largestDifference(got[0], got[1].map(Double.init)), 1e-7)
        // Other positions draw other masks.
        let other = try Trainer(model: model, maxRows: 10, plans: plans).gradients(task, Array(0..<10)[...], targets: (0, 1),
                                                                                 seed: seed, position: position + 10)
        XCTAssertNotEqual(other.gradients, got[0])
        // Input dropout is the gradient of the loss with its mask: finite differences.
        let inputOnly = ReferenceMasks(input: masks.input)
        let X = task.X.storage.map(Double.init), T = targetsMatrix(task, K: 3, (0, 1))
        let p = model.parameters.map(Double.init)
        let g = referenceLossAndGradients(model, parameters: p, X: X, T: T, rows: 10, masks: inputOnly).gradients
        var worst = 0.0
        for j in 0..<p.count {
            var plus = p, minus = p
            plus[j] += 1e-6; minus[j] -= 1e-6
            let fd = (referenceLossAndGradients(model, parameters: plus, X: X, T: T, rows: 10, masks: inputOnly).loss
                      - referenceLossAndGradients(model, parameters: minus, X: X, T: T, rows: 10, masks: inputOnly).loss) / 2e-6
            worst = max(worst, abs(fd - g[j]) / max(1, abs(fd)))
        }
        XCTAssertLessThan(worst, 1e-5, "input dropout against finite differences: \(worst)")
        // Gradient dropout leaves the layers above it alone: layer 3's gradient
        // with only layer 1's gradient dropped is the plain one.
        let plainRef = referenceGradients(model, task)
        let low = try Trainer(model: model, maxRows: 10, plans: [LayerPlan(gradientDropout: 0.5), LayerPlan(), LayerPlan()])
            .gradients(task, Array(0..<10)[...], targets: (0, 1), seed: seed, position: position)
        let top = model.weightOffset(2)..<model.endOffset(3)
        XCTAssertLessThan(largestDifference(Array(low.gradients[top]), Array(plainRef.gradients[top])), 1e-5)
        XCTAssertGreaterThan(largestDifference(Array(low.gradients[0..<model.endOffset(1)]), Array(plainRef.gradients[0..<model.endOffset(1)])), 1e-4)
    }

    func testSlicesAndStacksPredictAsTheirParts() throws {
        var model = try MLP(widths: [4, 6, 5, 3], activations: [.relu, .tanh, .linear], head: OutputHead(.softmax))
        model.initialize(.glorot, seed: 10)
        var rng = RNG(seed: 3)
        let X = try Matrix(shape: [13, 4], storage: (0..<52).map { _ in Float(rng.normal()) })
        let bottom = try model.slice(1...1), top = try model.slice(2...3)
        XCTAssertNil(bottom.head)
        XCTAssertEqual(bottom.widths, [4, 6])
        XCTAssertEqual(top.head, model.head)
        XCTAssertEqual(try bottom.stacked(with: top), model)
        // A stack predicts what its parts predict in sequence.
        var a = try MLP(widths: [4, 7], activations: [.sigmoid], head: nil)
        var b = try MLP(widths: [7, 5, 3], hidden: .relu, head: OutputHead(.softmax))
        a.initialize(.glorot, seed: 1); b.initialize(.he, seed: 2)
        let stack = try a.stacked(with: b)
        let inSequence = try Evaluator(model: b, maxRows: 13).predict(try a.representation(X, layer: 1))
        let together = try Evaluator(model: stack, maxRows: 13).predict(X)
        for (p, q) in zip(together.storage, inSequence.storage) { XCTAssertEqual(p, q, accuracy: 1e-6) }
        XCTAssertEqual(try stack.representation(X, layer: 1), try a.representation(X, layer: 1))
        // A slice's output is the model's representation at that layer.
        XCTAssertEqual(try model.slice(1...2).representation(X, layer: 2), try model.representation(X, layer: 2))
        XCTAssertThrowsError(try model.stacked(with: top)) { XCTAssertTrue("\($0)".contains("on top of an output head"), "\($0)") }
        XCTAssertThrowsError(try bottom.stacked(with: b)) { XCTAssertTrue("\($0)".contains("taking 7 inputs on layers giving 6"), "\($0)") }
        XCTAssertThrowsError(try model.slice(2...4))
        XCTAssertThrowsError(try Trainer(model: bottom, maxRows: 4)) { XCTAssertTrue("\($0)".contains("without an output head"), "\($0)") }
        XCTAssertThrowsError(try MLP(widths: [2, 3], activations: [.relu], head: OutputHead(.softmax)))
        XCTAssertThrowsError(try MLP(widths: [2, 3, 2], activations: [.relu], head: nil))
    }

    func testTrainingStartsFromTheGivenWeights() throws {
        var xs: [Float] = [], ys: [Int32] = []
        var rng = RNG(seed: 1)
        for i in 0..<300 {
            xs += [Float(rng.normal() * 0.6 + (i % 2 == 0 ? -1.5 : 1.5)), Float(rng.normal() * 0.6)]
            ys.append(Int32(i % 2))
        }
        let data = DataFile(splits: [Split(name: "train", X: try Matrix(shape: [300, 2], storage: xs), y: ys, classes: 2)])
        var o = FitOptions(architecture: [2, 8, 2])
        o.settings.epochs = 3; o.settings.batchSize = 30; o.settings.learningRate = 0.05; o.settings.logEpochs = false
        let (first, _) = try fit(data, file: "blobs", o)
        var more = FitOptions(initialModel: first.model)
        more.settings = o.settings
        more.settings.epochs = 1
        let (resumed, meta) = try fit(data, file: "blobs", more)
        XCTAssertEqual(meta.training?.initialization, "model")
        XCTAssertLessThan(resumed.log[0].trainLoss, first.log[0].trainLoss, "starts where the first run ended")
        var fresh = o
        fresh.settings.epochs = 1
        let (scratch, _) = try fit(data, file: "blobs", fresh)
        XCTAssertLessThan(resumed.log[0].trainLoss, scratch.log[0].trainLoss)
        let headless = try first.model.slice(1...1)
        XCTAssertThrowsError(try fit(data, file: "blobs", FitOptions(initialModel: headless)))
    }

    func testFeatureFilesHoldTheRepresentation() throws {
        var model = try MLP(widths: [3, 5, 2], hidden: .relu, head: OutputHead(.softmax))
        model.initialize(.he, seed: 3)
        var rng = RNG(seed: 2)
        let train = Split(name: "train", X: try Matrix(shape: [6, 3], storage: (0..<18).map { _ in Float(rng.normal()) }),
                          y: [0, 1, 0, 1, 1, 0], classes: 2, sampleShape: [3])
        var test = Split(name: "test", X: try Matrix(shape: [2, 3], storage: (0..<6).map { _ in Float(rng.normal()) }),
                         y: [1, 0], classes: 2, sampleShape: [3])
        test.index = [4, 9]
        var data = DataFile(splits: [train, test], history: ["dl-data spirals"], source: "spirals", classNames: ["a", "b"])
        data.attributes["note"] = .string("kept")
        let features = try featureData(data, model: model, layer: 1, file: "d.h5")
        for s in data.splits {
            let f = try XCTUnwrap(features[s.name])
            XCTAssertEqual(f.X, try model.representation(s.X, layer: 1))
            XCTAssertEqual(f.sampleShape, [5])
            XCTAssertEqual(f.y, s.y)
            XCTAssertEqual(f.index, s.index)
        }
        XCTAssertEqual(features.attributes["feature_layer"], .integer(1))
        XCTAssertEqual(features.attributes["feature_model"], .string("3-5-2"))
        // A data file like any other: it reads back, other attributes kept.
        let file = try H5File.createInMemory()
        try writeDataFile(features, to: file, command: "dl-fit features")
        let back = try readDataFile(try reopen(file))
        XCTAssertEqual(back.splits, features.splits)
        XCTAssertEqual(back.attributes, features.attributes)
        XCTAssertEqual(back.classNames, ["a", "b"])
        XCTAssertThrowsError(try featureData(data, model: model, layer: 3, file: "d.h5"))
    }

    func testSettingsAreCheckedOnce() throws {
        func problem(_ change: (inout TrainingSettings) -> Void) -> String {
            var s = TrainingSettings()
            change(&s)
            do { try s.validate(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(problem { _ in }, "")
        XCTAssertTrue(problem { $0.epochs = 0 }.contains("--epochs must be at least 1"))
        XCTAssertTrue(problem { $0.batchSize = 0 }.contains("--batch-size"))
        XCTAssertTrue(problem { $0.learningRate = .nan }.contains("--lr must be positive"))
        XCTAssertTrue(problem { $0.momentum = 1 }.contains("--momentum"))
        XCTAssertTrue(problem { $0.weightDecay = -1 }.contains("--wd"))
        XCTAssertTrue(problem { $0.layers = [LayerPlan(inputDropout: 1)] }.contains("dropout rates must lie in [0, 1)"))
        XCTAssertTrue(problem { $0.layers = [LayerPlan(lrFactor: -1)] }.contains("factors must be finite and ≥ 0"))
        var model = try MLP(widths: [2, 3, 2], hidden: .relu, head: OutputHead(.softmax))
        model.initialize(.he, seed: 1)
        XCTAssertThrowsError(try Trainer(model: model, maxRows: 4, plans: [LayerPlan()]))
        let task = try tinyTask(rows: 8, d: 2, K: 2, seed: 1)
        var s = TrainingSettings()
        s.layers = [LayerPlan(gradientDropout: 2), LayerPlan()]
        XCTAssertThrowsError(try train(model, on: task, test: nil, settings: s))
    }
}
