import XCTest
import Foundation

/// dl-fit project (Th. 7): the closed-form fit end to end, its model read by the
/// suite's other tools, and its errors.
final class DLFitProjectEndToEndTests: EndToEndCase {
    func testSpiralsFitEvalLogAndSameBytes() throws {
        let r = try sh("""
            dl-data spirals --rows 800 --test-rows 200 -q > d.h5 \
            && dl-fit project d.h5 --arch 2-16-16-2 --hidden tanh --target-scale 0.1 --tries 3 -s 5 -o a.h5 \
            && dl-fit project d.h5 --arch 2-16-16-2 --hidden tanh --target-scale 0.1 --tries 3 -s 5 -q > b.h5 \
            && dl-fit project d.h5 --arch 2-16-16-2 --hidden tanh --target-scale 0.1 --tries 3 -s 6 -q > c.h5 \
            && cmp a.h5 b.h5 && ! cmp -s a.h5 c.h5 \
            && dl-fit eval a.h5 d.h5 > eval.tsv && dl-fit log a.h5 > log.tsv && dl-data info a.h5 > info.txt \
            && dl-compress a.h5 -o packed.h5 2> compress.err \
            && dl-fit d.h5 --init-from a.h5 --epochs 1 -q -o tuned.h5 2> init.err
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("layer 1/3 (16 wide): LSD "), r.stderr)
        XCTAssertTrue(r.stderr.contains("projected 2-16-16-2 in "), r.stderr)
        let log = try String(contentsOfFile: dir + "/log.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.first, "layer\twidth\ttry\tlsd\tmse\ttrain_accuracy\ttest_mse\ttest_accuracy")
        XCTAssertEqual(log.count, 4)
        let last = log[3].split(separator: "\t")
        // dl-fit eval reads the float64 weights and gives the fit's own accuracy.
        let eval = try String(contentsOfFile: dir + "/eval.tsv", encoding: .utf8).split(separator: "\n")
        let train = eval.first { $0.hasPrefix("train\t") }!.split(separator: "\t")
        let test = eval.first { $0.hasPrefix("test\t") }!.split(separator: "\t")
        XCTAssertEqual(Double(train[3])!, Double(last[5])!, accuracy: 1e-6)
        XCTAssertEqual(Double(test[3])!, Double(last[7])!, accuracy: 1e-6)
        XCTAssertGreaterThan(Double(train[3])!, 0.6)
        let info = try String(contentsOfFile: dir + "/info.txt", encoding: .utf8)
        XCTAssertTrue(info.contains("/model/layers/1/W  [2, 16] float64"), info)
        XCTAssertTrue(info.contains("solver=pinv"), info)
        let warning = try String(contentsOfFile: dir + "/compress.err", encoding: .utf8)
        XCTAssertTrue(warning.contains("warning: a.h5 has float64 weights"), warning)
        let initWarning = try String(contentsOfFile: dir + "/init.err", encoding: .utf8)
        XCTAssertTrue(initWarning.contains("warning: a.h5 has float64 weights") && initWarning.contains("float32 rounding"), initWarning)
    }

    /// float32 fits store float32 weights; features, measures and dl-compress read
    /// the model.
    func testOtherToolsReadTheModel() throws {
        let r = try sh("""
            dl-data sine --rows 1000 --test-rows 200 -q > d.h5 \
            && dl-fit project d.h5 --arch 1-16-16-1 --hidden celu --label-scale 1 --precision 32 --solver lstsq -q -o m.h5 \
            && dl-data info m.h5 && dl-fit features m.h5 d.h5 --layer 2 -q | dl-data info - \
            && dl-measure lsd m.h5 d.h5 -q && dl-compress m.h5 -q | dl-compress -d -q | dl-fit eval - d.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("/model/layers/1/W  [1, 16] float32"), r.out)
        XCTAssertTrue(r.out.contains("/train/X  [1000, 16] float32"), r.out)
        XCTAssertTrue(r.out.contains("lsd\ttrain\t2\t"), r.out)
        XCTAssertTrue(r.out.contains("test\t200\t"), r.out)
    }

    /// An independent numpy twin of Th. 7's closed form: from the data and the
    /// file's own weights layer by layer (Z̃_{i-1} = [1 | Z_{i-1}], Z_0 = X), it
    /// recomputes Platonic PCA's P (the leading principal components of
    /// α[Z_{i-1} | βY], each up to its sign), T_i = α[Z̃ | βY]P, and
    /// W̃_i = Z̃⁺T_i (pinv) or (Z̃ᵀZ̃ + λI)⁻¹Z̃ᵀT_i (ridge); the output layer
    /// Z̃⁺Y; Sorted PCA's first layer (the rows of X at evenly spaced ranks along
    /// X's first principal component); and each layer's logged LSD (1/m)‖Y − Z̃Z̃⁺Y‖²
    /// (by the run's solver).
    func testClosedFormMatchesANumpyTwin() throws {
        try requireH5py()
        let fits = [
            ("pca.h5", "--projection pca"),
            ("ridge.h5", "--projection pca --solver ridge --ridge 0.01"),
            ("sorted.h5", "--projection pca --sorted-pca"),
        ]
        let r = try sh("dl-data spirals --rows 400 -q -o d.h5 && "
                       + fits.map { "dl-fit project d.h5 --arch 2-4-3-2 --hidden tanh --target-scale 0.5 --label-scale 2 \($0.1) -q -o \($0.0)" }
                           .joined(separator: " && "))
        XCTAssertEqual(r.status, 0, r.stderr)
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            d = h5py.File("d.h5")
            X = d["train/X"][()].astype(np.float64); y = d["train/y"][()]
            m, K = len(y), 2
            Y = np.eye(K)[y]
            alpha, beta = 0.5, 2.0
            def pcs(A, w):
                c = A - A.mean(axis=0)
                vals, vecs = np.linalg.eigh(c.T @ c)
                C = vecs[:, np.argsort(vals)[::-1][:w]]
                for j in range(w):
                    if C[np.argmax(np.abs(C[:, j])), j] < 0: C[:, j] = -C[:, j]
                return C
            def solve(Zt, B, ridge):
                if ridge is None: return np.linalg.pinv(Zt) @ B
                return np.linalg.solve(Zt.T @ Zt + ridge * np.eye(Zt.shape[1]), Zt.T @ B)
            def lsd(Z, ridge):  # of Z̃ = [1 | Z] (what the next layer sees), by the run's solver
                Z = np.hstack([np.ones((m, 1)), Z])
                return ((Y - Z @ solve(Z, Y, ridge)) ** 2).sum() / m
            worst = 0.0
            for name, ridge, sorted_pca in [("pca.h5", None, False), ("ridge.h5", 0.01, False), ("sorted.h5", None, True)]:
                f = h5py.File(name)["model"]
                Z = X
                for i, w in [(1, 4), (2, 3)]:
                    Zt = np.hstack([np.ones((m, 1)), Z])
                    Wf = np.vstack([f["layers/%d/b" % i][()][None, :], f["layers/%d/W" % i][()]])
                    if i == 1 and sorted_pca:
                        c = pcs(X, 1)[:, 0]
                        order = np.lexsort((np.arange(m), X @ c))
                        rows = [order[min(m - 1, int(np.rint(j * m / w)))] for j in range(w)]
                        Wn = np.vstack([np.zeros((1, w)), X[rows].T])
                    else:
                        P = np.vstack([np.zeros((1, w)), pcs(alpha * np.hstack([Z, beta * Y]), w)])
                        T = alpha * np.hstack([Zt, beta * Y]) @ P
                        Wn = solve(Zt, T, ridge)
                    # A principal component's sign is a convention (the largest entry
                    # positive), and two entries of equal size — the mirrored one-hot
                    # columns of two classes — leave it to rounding: columns up to sign.
                    err = min(np.abs(Wn - Wf).max(axis=0).max(), max(min(np.abs(Wn[:, j] - Wf[:, j]).max(), np.abs(Wn[:, j] + Wf[:, j]).max()) for j in range(w))) / np.abs(Wf).max()
                    assert err < 1e-6, (name, i, err)
                    worst = max(worst, err)
                    Z = np.tanh(Zt @ Wf)
                    logged = f["log/lsd"][i - 1]
                    assert abs(lsd(Z, ridge) - logged) <= 1e-6 * max(1.0, logged), (name, i, lsd(Z, ridge), logged)
                Zt = np.hstack([np.ones((m, 1)), Z])
                Wf = np.vstack([f["layers/3/b"][()][None, :], f["layers/3/W"][()]])
                err = np.abs(solve(Zt, Y, ridge) - Wf).max() / np.abs(Wf).max()
                assert err < 1e-6, (name, "output", err)
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "ok\n", py.stderr)
    }

    func testBadInput() throws {
        try requireH5py()
        try makeNaNAndSingleClassFiles(singleLabels: "[0] * 19 + [1]")
        try sh("dl-data spirals --rows 300 -q > d.h5")
        assertFails(try sh("dl-fit project d.h5 --arch 2-8-2 --tries 0 -o m.h5"), status: 2, mentions: "--tries must be at least 1")
        assertFails(try sh("dl-fit project d.h5 --arch 2-8-2 --label-scale inf -o m.h5"), status: 2, mentions: "--label-scale (β) must be finite")
        assertFails(try sh("dl-fit project d.h5 --arch 2-8-2 --ridge nan -o m.h5"), status: 2, mentions: "--ridge must be finite")
        assertFails(try sh("dl-fit project d.h5 --arch 3-8-2 -o m.h5"), status: 1, mentions: "the model takes 3 inputs")
        assertFails(try sh("dl-fit project d.h5 --arch 2-8-3 -o m.h5"), status: 1, mentions: "has 2 classes")
        assertFails(try sh("dl-fit project d.h5 --arch 2-8-2 --projection pca -o m.h5"), status: 2, mentions: "at most 4 components")
        assertFails(try sh("dl-fit project nan.h5 --arch 2-4-2 -o m.h5"), status: 1, mentions: "NaN or Inf value in row 4")
        assertFails(try sh("dl-data spirals --rows 2000 -q | dl-fit project --arch 2-32-32-32-32-2 --hidden tanh --target-scale 0.1 --ridge 1e-6 --precision 32 -o m.h5"),
                    status: 1, mentions: "raise --ridge or use --precision 64")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.h5"), "a failed run left its output file")
    }
}
