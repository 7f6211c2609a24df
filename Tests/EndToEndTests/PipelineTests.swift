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
                  "model.h5", "layerwise.tsv", "model.eval.tsv", "model.packed.h5", "compress.tsv", "model.decoded.h5", "model.decoded.eval.tsv", "backprop.h5", "backprop.eval.tsv", "lsd.tsv", "redundancy.tsv",
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
        for plot in ["layers.png", "layerwise.png"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/" + plot))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(plot) is a PNG")
            XCTAssertGreaterThan(png.count, 10_000, plot)
        }
    }
}
