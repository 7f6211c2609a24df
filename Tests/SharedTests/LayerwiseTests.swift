import XCTest
import Shared

final class LayerwiseTests: XCTestCase {
    func testSegmentsSlideAndEndAtTheLastHiddenLayer() {
        XCTAssertEqual(layerwiseSegments(hiddenLayers: 3, size: 1, step: 1), [1...1, 2...2, 3...3])
        XCTAssertEqual(layerwiseSegments(hiddenLayers: 4, size: 2, step: 1), [1...2, 2...3, 3...4])
        XCTAssertEqual(layerwiseSegments(hiddenLayers: 4, size: 2, step: 2), [1...2, 3...4])
        XCTAssertEqual(layerwiseSegments(hiddenLayers: 4, size: 3, step: 2), [1...3, 3...4])
        XCTAssertEqual(layerwiseSegments(hiddenLayers: 3, size: 5, step: 1), [1...3])
        XCTAssertEqual(layerwiseSegments(hiddenLayers: 0, size: 1, step: 1), [])
    }

    /// The memory model, counted by hand for a 4-8-6-3 net at batch 10.
    func testTrainingMemoryCountsWhatTrainingHolds() throws {
        let net = try MLP(widths: [4, 8, 6, 3], hidden: .relu, head: OutputHead(.softmax))
        let full = TrainingMemory.fullBackprop(net, batch: 10, optimizer: .sgd)
        let P = 4 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3
        XCTAssertEqual(full.parameters, 4 * P)
        XCTAssertEqual(full.optimizerState, 4 * P)
        // Z_0…Z_3, Δ_1…Δ_3, Y and T.
        XCTAssertEqual(full.activations, 4 * 10 * ((4 + 8 + 6 + 3) + (8 + 6 + 3) + 2 * 3))
        XCTAssertEqual(full.feednet, 0)
        XCTAssertEqual(TrainingMemory.fullBackprop(net, batch: 10, optimizer: .adamw).optimizerState, 3 * 4 * P)
        // Layer 1 frozen (a feednet), dropout on layer 2's input.
        let plans = [LayerPlan.frozen, LayerPlan(inputDropout: 0.5), LayerPlan()]
        let sub = TrainingMemory(model: net, plans: plans, batch: 10, optimizer: .sgd)
        XCTAssertEqual(sub.parameters, 4 * (P - 40))
        XCTAssertEqual(sub.feednet, 4 * 40 + 4 * 10 * 4)
        XCTAssertEqual(sub.activations, 4 * 10 * ((8 + 6 + 3) + (6 + 3) + 2 * 3 + 2 * 8))
        XCTAssertLessThan(sub.total, full.total + 4 * 10 * 16)
    }

    func testKFilterSpecs() throws {
        let f = try parseKFilterSpec("k=10,batch=6148,max-fraction=0.6")
        XCTAssertEqual(f.k, 10)
        XCTAssertEqual(f.batch, 6148)
        XCTAssertEqual(f.maxFraction, 0.6)
        XCTAssertEqual(kFilterSpec(f), "k=10,batch=6148,max-fraction=0.6")
        XCTAssertEqual(try parseKFilterSpec("k=3").batch, nil)
        for bad in ["", "k", "k=0", "k=3,max-fraction=2", "batch=100", "k=3,foo=1", "k=3,,max-fraction=0.5"] {
            XCTAssertThrowsError(try parseKFilterSpec(bad), bad)
        }
    }

    /// Bottom-up, each later visit leaves the layers below it as they were; the
    /// last visit trains the output layer; the schedule follows Table 6.3.
    func testBottomUpKeepsLowerLayers() throws {
        let (train, test) = try smallTasks()
        var net = try MLP(widths: [2, 12, 10, 2], hidden: .tanh, head: OutputHead(.softmax))
        net.initialize(.glorot, seed: 1)
        var s = LayerwiseSettings()
        s.training.batchSize = 20
        s.training.learningRate = 0.1
        s.training.weightDecay = 0.001
        s.training.logEpochs = false
        s.epochs = [2, 3]
        let run = try LayerwiseRun(net: net, train: train, test: test, settings: s, file: "spirals")
        let layer1 = try run.trainSegment(0)
        XCTAssertNotEqual(layer1.parameters, try net.slice(1...1).parameters, "layer 1 trained")
        let untouched = try net.slice(2...3).parameters
        XCTAssertEqual(try run.net.slice(2...3).parameters, untouched, "visit 1 changes layer 1 only")
        let top = try run.trainSegment(1)
        XCTAssertEqual(top.widths, [12, 10, 2])
        XCTAssertNotNil(top.head)
        XCTAssertEqual(try run.net.slice(1...1).parameters, layer1.parameters, "visit 2 leaves layer 1")
        XCTAssertNotEqual(try run.net.slice(3...3).parameters, try net.slice(3...3).parameters, "the output layer trained")
        let r = run.result
        XCTAssertEqual(r.segments.map(\.epochs), [2, 3])
        XCTAssertEqual(r.segments[1].learningRate, 0.08, accuracy: 1e-7)
        XCTAssertEqual(r.segments[1].weightDecay, 0.00115, accuracy: 1e-9)
        XCTAssertEqual(r.log.count, 5)
        XCTAssertEqual(r.logVisit, [0, 0, 1, 1, 1])
        XCTAssertLessThan(r.segments[1].relativeMemory, 1)
    }

    /// Random robin keeps each segment's trainer: a later round continues its
    /// epochs (and so draws new row orders) rather than starting again.
    func testRobinRoundsContinueEachSegment() throws {
        let (train, test) = try smallTasks()
        var net = try MLP(widths: [2, 12, 10, 2], hidden: .tanh, head: OutputHead(.softmax))
        net.initialize(.glorot, seed: 1)
        var s = LayerwiseSettings()
        s.training.batchSize = 20
        s.training.logEpochs = false
        s.rounds = 3
        s.epochsPerRound = 2
        let r = try LayerwiseRun(net: net, train: train, test: test, settings: s, file: "spirals").run()
        XCTAssertEqual(r.segments.map(\.segment), [0, 1, 0, 1, 0, 1])
        XCTAssertEqual(r.log.map(\.epoch), [1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6])
        s.order = .random
        s.training.seed = 4
        let random = try LayerwiseRun(net: net, train: train, test: test, settings: s, file: "spirals").run()
        XCTAssertEqual(random.segments.count, 6)
        XCTAssertEqual(random.segments.filter { $0.segment == 0 }.count, 3)
    }

    /// Forward dropout is p0 in a segment's first epoch and decays after each:
    /// one epoch is the same whatever the decay, two are not.
    func testInputDropoutDecaysPerEpoch() throws {
        let (train, test) = try smallTasks()
        var net = try MLP(widths: [2, 12, 10, 2], hidden: .tanh, head: OutputHead(.softmax))
        net.initialize(.glorot, seed: 1)
        func layer1(epochs: Int, decay: Float) throws -> [Float] {
            var s = LayerwiseSettings()
            s.training.batchSize = 20
            s.training.logEpochs = false
            s.epochs = [epochs]
            s.inputDropout = 0.5
            s.inputDropoutDecay = decay
            return try LayerwiseRun(net: net, train: train, test: test, settings: s, file: "xor").trainSegment(0).parameters
        }
        XCTAssertEqual(try layer1(epochs: 1, decay: 0.5), try layer1(epochs: 1, decay: 1))
        XCTAssertNotEqual(try layer1(epochs: 2, decay: 0.5), try layer1(epochs: 2, decay: 1))
        var s = LayerwiseSettings()
        s.training.batchSize = 20
        s.training.logEpochs = false
        s.epochs = [1]
        let plain = try LayerwiseRun(net: net, train: train, test: test, settings: s, file: "xor").trainSegment(0).parameters
        XCTAssertNotEqual(try layer1(epochs: 1, decay: 1), plain, "dropout is on")
    }

    /// The engine's layer-wise run against its float64 twin (Layerwise/LayerwiseReference.swift):
    /// three hidden layers, decision layers and a decision block, the lr/wd schedule, one and two threads.
    func testLayerwiseMatchesTheFloat64Reference() throws {
        var net = try MLP(widths: [5, 9, 7, 6, 3], hidden: .tanh, head: OutputHead(.softmax))
        net.initialize(.glorot, seed: 4)
        let task = try tinyTask(rows: 96, d: 5, K: 3, seed: 5)
        let X = task.X.storage.map(Double.init), T = targetsMatrix(task, K: 3, (0, 1))
        for decision in [[], [4]] {
            var s = LayerwiseSettings()
            s.training.batchSize = 32; s.training.learningRate = 0.1; s.training.weightDecay = 0.01
            s.training.seed = 9; s.training.logEpochs = false
            s.epochs = [3, 2, 2]
            s.decision = decision
            let want = try referenceLayerwise(net, X: X, T: T, rows: 96, settings: s)
            for threads in [1, 2] {
                s.training.threads = threads
                let got = try LayerwiseRun(net: net, train: task, test: nil, settings: s, file: "tiny").run().model.parameters
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-5, "decision \(decision), \(threads) threads: largest difference \(worst)")
                XCTAssertNotEqual(got, net.parameters)
            }
        }
    }

    func testStackChecksTheChain() throws {
        XCTAssertThrowsError(try stackLayerwise([]))
    }

    func smallTasks() throws -> (LearningTask, LearningTask) {
        var rng = RNG(seed: 7)
        func split(_ name: String, _ m: Int) throws -> LearningTask {
            var X = [Float](), y = [Int32]()
            for _ in 0..<m {
                let a = Float(rng.uniform() * 2 - 1), b = Float(rng.uniform() * 2 - 1)
                X += [a, b]
                y.append(a * b > 0 ? 1 : 0)
            }
            return try LearningTask(split: Split(name: name, X: try Matrix(shape: [m, 2], storage: X), y: y, classes: 2), file: "xor")
        }
        return (try split("train", 200), try split("test", 100))
    }
}
