import XCTest
import Foundation

final class DLFitEndToEndTests: EndToEndCase {

    /// The small version of the default pipeline: a few thousand Fashion-MNIST
    /// rows, two epochs, accuracy well above chance (10%).
    func testFashionMNISTSmallFitAndEval() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionDir), "dataset-fashion-mnist is not installed")
        let r = try sh("""
            dl-data fashion-mnist --shuffle --limit 3000 -q > d.h5 \
            && dl-fit d.h5 --arch 784-64-10 --epochs 2 --batch-size 64 -o m.h5 && dl-fit eval m.h5 d.h5 \
            && dl-fit eval m.h5 - < d.h5 > stdin.tsv && dl-fit eval m.h5 d.h5 | cmp - stdin.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("epoch 2/2: train loss"), r.stderr)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.first, "split\trows\tloss\taccuracy")
        let test = lines.first { $0.hasPrefix("test\t") }!.split(separator: "\t")
        XCTAssertEqual(test[1], "3000")
        XCTAssertGreaterThan(Double(test[3])!, 0.6, r.out)
    }

    func testSameSeedSameModelBytes() throws {
        let r = try sh("""
            dl-data spirals --rows 600 --test-rows 100 -q > d.h5 \
            && dl-fit d.h5 --arch 2-16-16-2 --hidden tanh --epochs 3 --batch-size 32 -s 3 -q > a.h5 \
            && dl-fit d.h5 --arch 2-16-16-2 --hidden tanh --epochs 3 --batch-size 32 -s 3 -q > b.h5 \
            && dl-fit d.h5 --arch 2-16-16-2 --hidden tanh --epochs 3 --batch-size 32 -s 4 -q > c.h5 \
            && cmp a.h5 b.h5 && ! cmp -s a.h5 c.h5 && dl-data info a.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("kind     model"), r.out)
        XCTAssertTrue(r.out.contains("/model/layers/3/W  [16, 2] float32"), r.out)
        XCTAssertTrue(r.out.contains("/model/log/test_accuracy  [3] float64"), r.out)
        XCTAssertTrue(r.out.contains("lr=0.02"), r.out)
        // The model snippet of docs/FORMAT.md reads it.
        try requireH5py()
        try Shell.formatSnippet(reading: "out/model.h5", as: "a.h5").write(toFile: dir + "/read.py", atomically: true, encoding: .utf8)
        let py = try sh("python3 read.py")
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertTrue(py.out.hasPrefix("2-16-16-2 softmax test accuracy per epoch: ["), py.out)
    }

    func testEveryHeadAndRegressionAndSnapshots() throws {
        try sh("dl-data checkerboard --rows 800 --test-rows 200 -q > d.h5")
        for head in ["softmax", "linear", "sigmoid", "tanh", "exp-ga", "pow3-ga"] {
            let r = try sh("dl-fit d.h5 --arch 2-32-2 --head \(head) --epochs 2 --lr 0.01 -o m.h5 && dl-fit eval m.h5 d.h5")
            XCTAssertEqual(r.status, 0, "\(head): \(r.stderr)")
            XCTAssertTrue(r.out.contains("train\t800\t"), r.out)
        }
        let s = try sh("""
            dl-data sine --rows 500 --test-rows 100 -q | dl-fit --arch 1-16-16-1 --hidden celu --epochs 3 --batch-size 16 \
              --optimizer adamw --lr 0.01 --snapshots --record-time -o sine.h5 && dl-fit eval sine.h5 <(dl-data sine --rows 50 -q) \
            && dl-data info sine.h5
            """)
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.out.contains("train\t50\t"), s.out)
        XCTAssertTrue(s.out.contains("\tNA\n"), s.out)
        XCTAssertTrue(s.out.contains("/model/snapshots/epoch_3/layers/1/W  [1, 16] float32"), s.out)
        XCTAssertTrue(s.out.contains("/model/log/seconds  [3] float64"), s.out)
        XCTAssertTrue(s.out.contains("task=regression"), s.out)
    }

    func testBadInput() throws {
        try sh("dl-data checkerboard --rows 100 -q > d.h5")
        assertFails(try sh("dl-fit d.h5 --arch 3-8-2 -o m.h5"), status: 1, mentions: "takes 3 inputs but")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-5 -o m.h5"), status: 1, mentions: "has 5 outputs but")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --epochs 0 -o m.h5"), status: 2, mentions: "--epochs must be at least 1")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --batch-size 500 -o m.h5"), status: 2, mentions: "larger than the 100 training rows")
        assertFails(try sh("dl-fit d.h5 --arch 2-x-2 -o m.h5"), status: 2, mentions: "bad architecture")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --head softmin -o m.h5"), status: 2, mentions: "softmin")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --lr-step 8 -o m.h5"), status: 2, mentions: "--lr-step")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --targets 1 -o m.h5"), status: 2, mentions: "--targets")
        assertFails(try sh("dl-fit eval m.h5 d.h5"), status: 1, mentions: "cannot open m.h5")
        assertFails(try sh("dl-fit eval d.h5 d.h5"), status: 1, mentions: "expected model")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.h5"))
        try requireH5py()
        let crafted = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            f = h5py.File("nan.h5", "w"); f.attrs["dl_kind"] = "data"
            X = np.zeros((10, 2), np.float32); X[3, 1] = np.nan
            f["train/X"] = X; f["train/y"] = np.zeros(10, np.int32); f["train"].attrs["n_classes"] = 2; f.close()
            f = h5py.File("labels.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.zeros((10, 2), np.float32); f["train/y"] = np.arange(10, dtype=np.int32)
            f["train"].attrs["n_classes"] = 2; f.close()
            f = h5py.File("unlabelled.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.zeros((10, 2), np.float32); f.close()
            PY
            """)
        XCTAssertEqual(crafted.status, 0, crafted.stderr)
        assertFails(try sh("dl-fit nan.h5 --arch 2-4-2 --batch-size 5 -o m.h5"), status: 1, mentions: "NaN or Inf value in row 3")
        assertFails(try sh("dl-fit labels.h5 --arch 2-4-2 --batch-size 5 -o m.h5"), status: 1, mentions: "label 2 outside 0..<2")
        assertFails(try sh("dl-fit unlabelled.h5 --arch 2-4-2 --batch-size 5 -o m.h5"), status: 1, mentions: "neither labels y nor targets Y")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.h5"))
    }

    func testHelp() throws {
        for sub in ["", "train", "eval"] {
            let r = try sh("dl-fit \(sub) --help")
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.out.contains("e.g.:"), r.out)
        }
    }
}
