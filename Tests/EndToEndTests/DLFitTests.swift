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

    /// Every head trains (its loss falls), records itself, and `dl-fit eval`
    /// computes the loss the log recorded; AdamW on a regression with snapshots.
    func testEveryHeadAndRegressionAndSnapshots() throws {
        try sh("dl-data checkerboard --squares 2 --rows 800 --test-rows 200 -q > d.h5")
        try requireH5py()
        for head in ["softmax", "linear", "sigmoid", "tanh", "exp-ga", "pow3-ga"] {
            let r = try sh("dl-fit d.h5 --arch 2-32-2 --head \(head) --epochs 4 --lr 0.01 -q -o m.h5 && dl-fit eval m.h5 d.h5 --threads 1")
            XCTAssertEqual(r.status, 0, "\(head): \(r.stderr)")
            let test = try XCTUnwrap(r.out.split(separator: "\n").first { $0.hasPrefix("test\t") }).split(separator: "\t")
            let py = try sh("""
                python3 -c "import h5py; g = h5py.File('m.h5')['model']; l = g['log']; \
                print(g.attrs['head'], l['train_loss'][0] > l['train_loss'][-1], repr(float(l['test_loss'][-1])), repr(float(l['test_accuracy'][-1])))"
                """)
            let f = py.out.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            XCTAssertEqual(f.first, head, py.stderr)
            XCTAssertEqual(f[1], "True", "\(head): the training loss falls")
            XCTAssertEqual(Double(test[2])!, Double(f[2])!, accuracy: 1e-5 * max(1, abs(Double(f[2])!)), head)
            XCTAssertEqual(Double(test[3])!, Double(f[3])!, accuracy: 1e-9, head)
        }
        // And eval's numbers, independently: the softmax net in numpy on /test.
        let r = try sh("dl-fit d.h5 --arch 2-32-2 --epochs 4 --lr 0.01 -q -o m.h5 && dl-fit eval m.h5 d.h5")
        let test = try XCTUnwrap(r.out.split(separator: "\n").first { $0.hasPrefix("test\t") }).split(separator: "\t")
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            d, g = h5py.File("d.h5"), h5py.File("m.h5")["model/layers"]
            X, y = d["test/X"][:].astype(np.float64), d["test/y"][:]
            x = np.maximum(X @ g["1/W"][:] + g["1/b"][:], 0) @ g["2/W"][:] + g["2/b"][:]
            lse = x.max(1) + np.log(np.exp(x - x.max(1, keepdims=True)).sum(1))
            print(repr(float((lse - x[np.arange(len(y)), y]).mean())), repr(float((x.argmax(1) == y).mean())))
            PY
            """)
        let want = py.out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard want.count == 2 else { return XCTFail("numpy: \(py.out) \(py.stderr)") }
        XCTAssertEqual(Double(test[2])!, want[0], accuracy: 1e-5)
        XCTAssertEqual(Double(test[3])!, want[1], accuracy: 1e-9)
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
        let adam = try sh("""
            python3 -c "import h5py, numpy as np; g = h5py.File('sine.h5')['model']; l = g['log']; \
            print(g.attrs['optimizer'], l['train_loss'][-1] < l['train_loss'][0], \
            np.array_equal(g['snapshots/epoch_3/layers/2/W'][:], g['layers/2/W'][:]), \
            not np.array_equal(g['snapshots/epoch_1/layers/2/W'][:], g['layers/2/W'][:]))"
            """)
        XCTAssertEqual(adam.out, "adamw True True True\n", adam.stderr)
    }

    /// The net and training flags reach the file and change the result.
    func testTrainingOptionsReachTheModel() throws {
        try sh("dl-data spirals --rows 400 --test-rows 100 -q > d.h5")
        let base = "dl-fit d.h5 --arch 2-8-2 --epochs 3 --batch-size 40 -q"
        let r = try sh("""
            \(base) -o default.h5 && \(base) -o again.h5 && cmp default.h5 again.h5 \
            && \(base) --momentum 0 -o m0.h5 && \(base) --wd 0.01 -o wd.h5 && \(base) --initialization glorot -o glorot.h5 \
            && \(base) --threads 1 -o t1.h5 && \(base) --threads 1 -o t1b.h5 && cmp t1.h5 t1b.h5 \
            && \(base) --lr-step 1:0.5 --lr-step 2:0.1 -o steps.h5 \
            && \(base) --head exp-ga --alpha 0.2 --targets 0,16 --lr 0.002 -o ga.h5 \
            && \(base) --head pow3-ga --alpha 0.01 --beta 0.3 --lr 0.002 -o pow.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["m0.h5", "wd.h5", "glorot.h5", "t1.h5", "steps.h5"] {
            XCTAssertNotEqual(try sh("cmp -s default.h5 \(f)").status, 0, "\(f) is the default model")
        }
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py
            a = lambda f, k: h5py.File(f)["model"].attrs[k]
            print(a("m0.h5", "momentum"), a("wd.h5", "weight_decay"), a("glorot.h5", "init"), a("default.h5", "init"))
            print([float(v) for v in h5py.File("steps.h5")["model/log/lr"][:]], list(a("steps.h5", "lr_steps")))
            print(a("ga.h5", "alpha"), [float(v) for v in a("ga.h5", "targets")], a("pow.h5", "alpha"), a("pow.h5", "beta"))
            print([h for h in h5py.File("t1.h5").attrs["dl_history"] if "--threads 1" in h] != [])
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, """
            0.0 0.01 glorot he
            [0.02, 0.01, 0.001] ['1:0.5', '2:0.1']
            0.2 [0.0, 16.0] 0.01 0.3
            True

            """)
    }

    /// dl-fit features writes a layer's output as a data file that every tool reads.
    func testFeaturesAreData() throws {
        let r = try sh("""
            dl-data checkerboard --rows 600 --test-rows 200 -q > d.h5 \
            && dl-fit d.h5 --arch 2-16-8-2 --epochs 2 --batch-size 50 -q -o m.h5 \
            && dl-fit features m.h5 d.h5 --layer 1 -o z1.h5 && dl-data info z1.h5 \
            && dl-fit features m.h5 - < d.h5 > z2.h5 && dl-kfilter -k 5 z2.h5 -q | dl-data info \
            && dl-measure lsd z1.h5 --splits all -q > z1.tsv && dl-measure lsd m.h5 d.h5 --layers 1 --splits all -q > m1.tsv \
            && dl-fit z2.h5 --arch 8-4-2 --epochs 1 --batch-size 50 -q | dl-data info
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("dl-fit: wrote Z_1 (16 features) of /train 600, /test 200 to z1.h5"), r.stderr)
        XCTAssertTrue(r.out.contains("/train/X  [600, 16] float32"), r.out)
        XCTAssertTrue(r.out.contains("/test/X  [200, 16] float32"), r.out)
        XCTAssertTrue(r.out.contains("feature_layer 1"), r.out)
        XCTAssertTrue(r.out.contains("feature_model 2-16-8-2"), r.out)
        XCTAssertTrue(r.out.contains("/test/X  [200, 8] float32"), r.out)  // the default: the last hidden layer
        XCTAssertTrue(r.out.contains("kfilter_k=5"), r.out)
        XCTAssertTrue(r.out.contains("architecture=8-4-2"), r.out)
        // LSD of the feature file's X is LSD of the model's layer 1, to the bit.
        let z1 = try String(contentsOfFile: dir + "/z1.tsv", encoding: .utf8), m1 = try String(contentsOfFile: dir + "/m1.tsv", encoding: .utf8)
        XCTAssertEqual(z1.replacingOccurrences(of: "\t0\t", with: "\t1\t"), m1)
        assertFails(try sh("dl-fit features m.h5 d.h5 --layer 4 -o z.h5"), status: 2, mentions: "there is no layer 4")
        assertFails(try sh("dl-fit features d.h5 d.h5 -o z.h5"), status: 1, mentions: "expected model")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/z.h5"))
        // h5py reads it as a data file: docs/FORMAT.md's feature snippet.
        try requireH5py()
        try Shell.formatSnippet(reading: "out/features.h5", as: "z1.h5").write(toFile: dir + "/read.py", atomically: true, encoding: .utf8)
        let py = try sh("python3 read.py")
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "layer 1 of 2-16-8-2 (600, 16) labels: (600,) sample_shape: [16]\n")
    }

    /// --init-from: training continues from a model's weights, with its net.
    func testInitFromAModel() throws {
        let r = try sh("""
            dl-data spirals --rows 600 --test-rows 100 -q > d.h5 \
            && dl-fit d.h5 --arch 2-16-16-2 --hidden tanh --epochs 3 --batch-size 30 -q -o first.h5 \
            && dl-fit d.h5 --init-from first.h5 --epochs 1 --batch-size 30 -o more.h5 && dl-data info more.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("architecture=2-16-16-2"), r.out)
        XCTAssertTrue(r.out.contains("hidden=tanh"), r.out)
        XCTAssertTrue(r.out.contains("init=model"), r.out)
        assertFails(try sh("dl-fit d.h5 --init-from first.h5 --arch 2-16-16-2 -o x.h5"), status: 2, mentions: "drop --arch")
        assertFails(try sh("dl-fit d.h5 --init-from first.h5 --hidden relu -o x.h5"), status: 2, mentions: "drop --hidden")
        assertFails(try sh("dl-fit d.h5 -o x.h5"), status: 2, mentions: "give the net: --arch WIDTHS, or --init-from MODEL")
        assertFails(try sh("dl-fit d.h5 --init-from d.h5 -o x.h5"), status: 1, mentions: "expected model")
        assertFails(try sh("dl-fit --init-from - -o x.h5 < first.h5"), status: 2, mentions: "cannot both come from standard input")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"))
        try requireH5py()
        let py = try sh("""
            python3 -c "import h5py; a, b = h5py.File('first.h5')['model/log'], h5py.File('more.h5')['model/log']; \
            print(b['train_loss'][0] < a['train_loss'][0], b['train_loss'][0] < a['train_loss'][-1] * 1.5)"
            """)
        XCTAssertEqual(py.out, "True True\n", py.stderr)
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

    /// What a new user types: negative numbers, the arguments swapped, a packed
    /// file where a model goes; each gets a line that names the problem.
    func testUsageMistakesNameTheProblem() throws {
        XCTAssertEqual(try sh("dl-data spirals --rows 200 -q -o d.h5 && dl-fit d.h5 --arch 2-8-2 --epochs 1 -q -o m.h5 && dl-compress m.h5 -q -o p.h5").status, 0)
        // A negative value reaches the option's own check (not "Missing value").
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --epochs -1 -o x.h5"), status: 2, mentions: "--epochs must be at least 1")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --lr -0.1 -o x.h5"), status: 2, mentions: "--lr must be positive")
        XCTAssertEqual(try sh("dl-fit d.h5 --arch 2-8-2 --epochs 1 --head tanh --targets -1,1 -q -o t.h5").status, 0)
        // The hint names the subcommand's help page, or the default subcommand's.
        assertFails(try sh("dl-fit eval m.h5 d.h5 --bogus"), status: 2, mentions: "(see 'dl-fit eval --help')")
        assertFails(try sh("dl-fit d.h5 --bogus"), status: 2, mentions: "(see 'dl-fit train --help')")
        assertFails(try sh("dl-measure lsd --bogus"), status: 2, mentions: "(see 'dl-measure lsd --help')")
        assertFails(try sh("dl-kfilter --bogus"), status: 2, mentions: "(see 'dl-kfilter --help')")
        assertFails(try sh("dl-fit eval d.h5 m.h5"), status: 2,
                    mentions: "d.h5 is a data file and m.h5 a model file (the model comes first: dl-fit eval m.h5 d.h5)")
        assertFails(try sh("dl-fit features d.h5 m.h5 -o z.h5"), status: 2, mentions: "the model comes first: dl-fit features m.h5 d.h5")
        assertFails(try sh("dl-fit eval p.h5 d.h5"), status: 1, mentions: "p.h5 is a dl packed file; expected model (decode it first: dl-compress -d p.h5 -o model.h5)")
    }
}
