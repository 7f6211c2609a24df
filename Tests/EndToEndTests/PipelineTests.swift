import XCTest
import Foundation

/// The default pipeline (pipelines/default.mk), small: every stage runs and
/// leaves its results under OUT.
final class PipelineEndToEndTests: EndToEndCase {
    func testSmallDefaultPipeline() throws {
        guard Shell.have("make") else { throw XCTSkip("make is not installed") }
        let small = """
            DATA_FLAGS="--shuffle --limit 3000" KFILTER_FLAGS="-k 10 --batch 1000" ARCH=784-32-16-10 \
              FIT_FLAGS="--epochs 2 --batch-size 64" REDUNDANCY_FLAGS="-k 5,10 --batch 1000" MEASURE_FLAGS="--splits train -q"
            """
        let r = try sh("make -s -f \(Shell.repoRoot)/pipelines/default.mk BIN=\(Shell.binDir) OUT=out \(small)")
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["data.h5", "filtered.h5", "layers/layer-1.h5", "layers/layer-2.h5", "features/layer-1.h5", "features/layer-2.h5",
                  "model.h5", "layerwise.tsv", "model.eval.tsv", "model.packed.h5", "compress.tsv", "model.decoded.h5", "model.decoded.eval.tsv", "backprop.h5", "backprop.eval.tsv", "backprop.series.tsv", "lsd.tsv", "redundancy.tsv",
                  "entropy.tsv", "rank.tsv", "accuracy.tsv", "measures.tsv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/" + f), f)
        }
        let table = try String(contentsOfFile: dir + "/out/measures.tsv", encoding: .utf8)
        let lines = table.split(separator: "\n")
        XCTAssertEqual(lines.first, "metric\tsplit\tlayer\tparam\tvalue")
        XCTAssertEqual(lines.filter { $0.hasPrefix("metric") }.count, 1, "one header")
        let metrics = Set(lines.dropFirst().map { String($0.split(separator: "\t")[0]) })
        XCTAssertEqual(metrics, ["lsd", "feature_rank", "k_redundancy", "class_entropy", "conditional_entropy",
                                 "dead_features", "weight_entropy", "stable_rank", "accuracy", "loss"])
        XCTAssertEqual(lines.filter { $0.hasPrefix("lsd\ttrain\t") }.count, 4)  // layers 0…3
        // Re-running finds everything up to date.
        let again = try sh("make -q -f \(Shell.repoRoot)/pipelines/default.mk BIN=\(Shell.binDir) OUT=out \(small)")
        XCTAssertEqual(again.status, 0, again.stderr)
        // Two jobs at once make the same bytes as one.
        let j2 = try sh("""
            mkdir j2 && cd j2 && make -s -j2 -f \(Shell.repoRoot)/pipelines/default.mk BIN=\(Shell.binDir) OUT=out \(small) \
              out/model.h5 out/features/layer-2.h5 2>/dev/null \
            && cmp out/model.h5 ../out/model.h5 && cmp out/features/layer-2.h5 ../out/features/layer-2.h5
            """)
        XCTAssertEqual(j2.status, 0, j2.stderr)
        try XCTSkipUnless(Shell.have("gnuplot"), "gnuplot is not installed: the plot was not checked")
        for plot in ["layers.png", "layerwise.png", "bits-per-epoch.png"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/" + plot))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(plot) is a PNG")
            XCTAssertGreaterThan(png.count, 10_000, plot)
        }
    }

    /// Th. 3's reproduction (pipelines/compress.mk), small: the tables have their
    /// rows, the thesis' numbers stand beside ours, and re-running finds it done.
    func testSmallCompressPipeline() throws {
        guard Shell.have("make") else { throw XCTSkip("make is not installed") }
        let small = #"DATA_FLAGS="--shuffle --limit 1500" ARCH=784-24-10 EPOCHS=3 SWEEP_EPOCHS=2 SEEDS="1 2" FLOORS="4 6""#
        let r = try sh("make -s -f \(Shell.repoRoot)/pipelines/compress.mk BIN=\(Shell.binDir) OUT=out \(small)")
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try String(contentsOfFile: dir + "/out/th3/summary.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(summary.first, "quantity\tthesis\tours")
        XCTAssertTrue(summary.contains { $0.hasPrefix("c=5: mean Huffman-coded bits per parameter\t3.55\t") }, "\(summary)")
        let sweep = try String(contentsOfFile: dir + "/out/th3/sweep.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t") }
        XCTAssertEqual(sweep.count, 1 + 2 * 3, "baseline, c = 4 and 6, for two seeds")
        XCTAssertTrue(sweep.dropFirst().allSatisfy { $0.count == 10 && $0[2] == "2" })
        XCTAssertEqual(sweep.filter { $0[0] == "c6" }.map { $0[9] != "NA" }, [true, true], "the baseline compressed at c = 6, decoded")
        let bits = try String(contentsOfFile: dir + "/out/th3/bits-per-epoch.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(bits.count, 1 + 3 * 3, "c = 5, c = 6 and the compressed baseline, 3 epochs each")
        let again = try sh("make -q -f \(Shell.repoRoot)/pipelines/compress.mk BIN=\(Shell.binDir) OUT=out \(small)")
        XCTAssertEqual(again.status, 0, again.stderr)
        try XCTSkipUnless(Shell.have("gnuplot"), "gnuplot is not installed: the plots were not checked")
        for plot in ["bits-per-epoch.png", "sweep.png"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/th3/" + plot))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(plot) is a PNG")
        }
    }

    /// Th. 7's reproduction (pipelines/projections.mk), small: every table has its
    /// rows, the thesis' numbers stand beside ours, and re-running finds it done.
    /// pipelines/neurashed.mk at small sizes: every table, the summary's claims
    /// holding (LE ordering, sparsity, Theorem 1's limit, Theorem 2's growth), and
    /// nothing left to remake.
    func testNeurashedPipeline() throws {
        guard Shell.have("make") else { throw XCTSkip("make is not installed") }
        let small = #"NR_IB_ITERATIONS=400 NR_IB_EVERY=100 NR_LE_ITERATIONS=100 NR_SPARSE_ITERATIONS=300 TH1_SHARED=1,2 TH1_PER_CLASS=3 TH1_ROUNDS=10,5000 TH2_LEVELS=1,8,64 TH2_ROUNDS=1,10 PLOTS="#
        let make = "make -s -f \(Shell.repoRoot)/pipelines/neurashed.mk BIN=\(Shell.binDir) OUT=out \(small)"
        let r = try sh(make)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try String(contentsOfFile: dir + "/out/neurashed/summary.tsv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(summary.first, ["claim", "paper", "ours"])
        XCTAssertTrue(summary.dropFirst().allSatisfy { $0.count == 3 }, "\(summary)")
        let le = try XCTUnwrap(summary.first { $0[0].hasPrefix("local elasticity, fig1, update at 1a") })[2]
            .components(separatedBy: " > ").map { Double($0)! }
        XCTAssertTrue(le[0] > le[1] && le[1] > le[2], "\(le)")
        let ib = try XCTUnwrap(summary.first { $0[0].hasPrefix("information bottleneck, fig5, level 2: I(T; input)") })[2]
            .replacingOccurrences(of: " bits", with: "").components(separatedBy: ", ").map { Double($0)! }
        XCTAssertEqual(ib[0], 2, accuracy: 0.05); XCTAssertEqual(ib[2], 1, accuracy: 0.02)
        let th1 = summary.filter { $0[0].hasPrefix("Theorem 1") }
        XCTAssertEqual(th1.count, 2, "b1 = 1, 2 at the largest t")
        for row in th1 { XCTAssertEqual(Double(row[2])!, Double(row[1].components(separatedBy: "= ").last!)!, accuracy: 0.01, "\(row)") }
        let th2 = try XCTUnwrap(summary.first { $0[0].hasPrefix("Theorem 2") })[2].components(separatedBy: ", ").map { Double($0)! }
        XCTAssertTrue(th2[0] < th2[1] && th2[1] < th2[2], "\(th2)")
        let again = try sh(make.replacingOccurrences(of: "make -s", with: "make -q"))
        XCTAssertEqual(again.status, 0, again.stderr)
    }

    func testSmallProjectionsPipeline() throws {
        guard Shell.have("make") else { throw XCTSkip("make is not installed") }
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionDir), "dataset-fashion-mnist is not installed")
        let small = #"SINE_SEEDS="1 2" SINE_DATA_FLAGS="--rows 500" DEEP_LAYERS=30 DEEP_TRIES="1 3" SPIRAL_SEEDS="1 2" "#
            + #"SPIRAL_DATA_FLAGS="--rows 400" BOARD_DATA_FLAGS="--rows 400" BOARD_DEEP=3 BOARD_DEEP_WIDTH=16 BOARD_WIDTHS="2 8" "#
            + #"FM_WIDTHS="16 32" FM_SEEDS="1 2" FM_DATA_FLAGS="--standardize --shuffle --limit 800" FM_DEEP="16-8_0.5" BACKPROP_EPOCHS=2"#
        let make = "make -s -f \(Shell.repoRoot)/pipelines/projections.mk BIN=\(Shell.binDir) OUT=out \(small)"
        let r = try sh(make)
        XCTAssertEqual(r.status, 0, r.stderr)
        func table(_ name: String) throws -> [[Substring]] {
            try String(contentsOfFile: dir + "/out/th7/" + name, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        }
        let t71 = try table("table7.1.tsv")
        XCTAssertEqual(t71.count, 1 + 18, "9 runs × 2 (α, β)")
        XCTAssertTrue(t71.dropFirst().allSatisfy { $0.count == 9 && $0[5] == "2" })
        XCTAssertEqual(try table("turns-1.5/table7.1.tsv").count, 19)
        XCTAssertEqual(try table("deep-sine.tsv").map { $0[0] }, ["tries", "1", "3"])
        XCTAssertEqual(try table("checkerboard.tsv").count, 1 + 4 + 1, "four deep nets and backprop")
        XCTAssertEqual(try table("checkerboard-width.tsv").map { $0[0] }, ["width", "2", "8"])
        let t72 = try table("table7.2.tsv")
        XCTAssertEqual(t72.count, 1 + 4 * 2)
        XCTAssertEqual(t72.filter { $0[0] == "random" }.map { $0[2] }, ["2", "2"], "random P over both seeds")
        XCTAssertEqual(t72.filter { $0[0] == "sorted" }.map { $0[2] }, ["1", "1"], "Sorted PCA is deterministic")
        XCTAssertEqual(try table("table7.3.tsv").map { $0[0] }, ["fit", "projections", "backprop (2 epochs)"])
        let summary = try table("summary.tsv")
        XCTAssertEqual(summary.first, ["quantity", "thesis", "ours"])
        XCTAssertTrue(summary.contains { $0[0].hasPrefix("spirals (α, β) = (0.1, 10), pinv float64") && $0[1] == "99.17 ± 1.63" }, "\(summary)")
        XCTAssertTrue(summary.contains { $0[0].hasPrefix("1.5-turn spirals") })
        XCTAssertTrue(summary.contains { $0[0].hasPrefix("sine 1-16-16-1 CELU (Figure 7.3)") && $0[1] == "2e-5" })
        let again = try sh(make.replacingOccurrences(of: "make -s", with: "make -q"))
        XCTAssertEqual(again.status, 0, again.stderr)
        try XCTSkipUnless(Shell.have("gnuplot"), "gnuplot is not installed: the plots were not checked")
        for plot in ["deep-sine.png", "checkerboard-width.png"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/th7/" + plot))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(plot) is a PNG")
        }
    }
}
