import XCTest
import Foundation

/// The default pipeline (pipelines/default.mk), small: every stage runs and
/// leaves its results under OUT.
final class PipelineEndToEndTests: EndToEndCase {
    func testSmallDefaultPipeline() throws {
        guard Shell.have("make") else { throw XCTSkip("make is not installed") }
        let small = """
            DATA_FLAGS="--shuffle --limit 3000" KFILTER_FLAGS="-k 10 --batch 1000" ARCH=784-32-16-10 \
              FIT_FLAGS="--epochs 2 --batch-size 64" REDUNDANCY_FLAGS="-k 5,10 --batch 1000" MEASURE_FLAGS="--split train -q"
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
}
