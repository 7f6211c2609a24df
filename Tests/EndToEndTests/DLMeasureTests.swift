import XCTest
import Foundation

final class DLMeasureEndToEndTests: EndToEndCase {
    /// The TSV's rows as (metric, split, layer, param) → value.
    func table(_ tsv: String) -> [String: Double] {
        var t: [String: Double] = [:]
        for line in tsv.split(separator: "\n").dropFirst() {
            let c = line.split(separator: "\t").map(String.init)
            guard c.count == 5 else { XCTFail("bad row \(line)"); continue }
            t[c[0...3].joined(separator: " ")] = Double(c[4]) ?? .nan
        }
        return t
    }

    func testMeasuresOfAModelOnData() throws {
        let r = try sh("""
            dl-data fashion-mnist --shuffle --limit 1500 -q > d.h5 \
            && dl-fit d.h5 --arch 784-32-16-10 --epochs 3 --batch-size 50 -q -o m.h5 \
            && dl-measure lsd m.h5 d.h5 -o lsd.tsv && dl-measure lsd d.h5 m.h5 -q --threads 1 > lsd2.tsv && cmp lsd.tsv lsd2.tsv \
            && dl-measure lsd m.h5 d.h5 -q --threads 3 | cmp - lsd.tsv \
            && dl-measure redundancy -k 3,5 --batch 500 m.h5 d.h5 -q > red.tsv \
            && dl-measure entropy m.h5 d.h5 --splits all -q > ent.tsv \
            && dl-measure rank < m.h5 > rank.tsv && dl-measure accuracy m.h5 d.h5 -q > acc.tsv \
            && dl-fit eval m.h5 d.h5 > eval.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("/train layer 1: LSD "), r.stderr)
        let lsd = table(try String(contentsOfFile: dir + "/lsd.tsv", encoding: .utf8))
        for layer in 0...3 {
            let v = try XCTUnwrap(lsd["lsd train \(layer) NA"], "layer \(layer)")
            XCTAssertTrue(v > 0 && v < 1, "LSD \(v)")
        }
        XCTAssertEqual(lsd["feature_rank train 3 NA"], 10)
        let red = table(try String(contentsOfFile: dir + "/red.tsv", encoding: .utf8))
        XCTAssertEqual(red.count, 8)  // 4 layers × 2 k
        for layer in 0...3 {
            // A larger k asks more of a neighbourhood, so fewer samples pass.
            XCTAssertGreaterThanOrEqual(red["k_redundancy train \(layer) 3"]!, red["k_redundancy train \(layer) 5"]!)
        }
        let ent = table(try String(contentsOfFile: dir + "/ent.tsv", encoding: .utf8))
        XCTAssertNotNil(ent["conditional_entropy test 2 NA"])
        XCTAssertNotNil(ent["weight_entropy NA 3 8"])
        // --sample-fraction estimates from a seeded subset: same seed, same bytes.
        let sampled = try sh("dl-measure entropy m.h5 --sample-fraction 0.1 -s 4 && dl-measure entropy m.h5 --sample-fraction 0.1 -s 4 --threads 1")
        XCTAssertEqual(sampled.status, 0, sampled.stderr)
        let halves = sampled.out.components(separatedBy: "metric\t").filter { !$0.isEmpty }
        XCTAssertEqual(halves.count, 2)
        XCTAssertEqual(halves[0], halves[1])
        XCTAssertNotEqual(table("metric\t" + halves[0])["weight_entropy NA 1 8"], ent["weight_entropy NA 1 8"])
        XCTAssertLessThanOrEqual(ent["class_entropy train NA NA"]!, log2(10.0) + 1e-9)
        let rank = table(try String(contentsOfFile: dir + "/rank.tsv", encoding: .utf8))
        XCTAssertEqual(rank.count, 3)
        XCTAssertGreaterThanOrEqual(rank["stable_rank NA 1 NA"]!, 1)
        // accuracy agrees with dl-fit eval.
        let acc = table(try String(contentsOfFile: dir + "/acc.tsv", encoding: .utf8))
        let eval = try String(contentsOfFile: dir + "/eval.tsv", encoding: .utf8).split(separator: "\n")[1].split(separator: "\t")
        XCTAssertEqual(acc["accuracy train NA NA"]!, Double(eval[3])!, accuracy: 1e-6)

        // The same k-redundancy at layer 0 as dl-kfilter's k-filtering.
        let kf = try sh("dl-kfilter -k 5 --batch 500 d.h5 -q | dl-data info")
        XCTAssertTrue(kf.out.contains(String(format: "k_redundancy=%.6g", red["k_redundancy train 0 5"]!))
                      || kf.out.contains("k_redundancy=\(red["k_redundancy train 0 5"]!)"), kf.out)
        // Attributes print as a reader wants them: at most 9 significant digits.
        XCTAssertNil(kf.out.range(of: #"=\d*\.\d{10,}"#, options: .regularExpression), kf.out)

        try requireH5py()
        // Independent numpy checks: LSD by lstsq at every layer, H(Y|Z) of layer 1.
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            d, m = h5py.File("d.h5"), h5py.File("m.h5")
            X, y = d["train/X"][:].astype(np.float64), d["train/y"][:]
            Y = np.eye(10)[y]
            rows = [l.split("\\t") for l in open("lsd.tsv").read().split("\\n")[1:] if l]
            ours = {int(r[2]): float(r[4]) for r in rows if r[0] == "lsd"}
            Z, Zs = X, []
            L = len(m["model/layers"])
            for i in range(1, L + 1):
                A = Z @ m[f"model/layers/{i}/W"][:].astype(np.float64) + m[f"model/layers/{i}/b"][:]
                Z = np.maximum(A, 0) if i < L else np.exp(A - A.max(1, keepdims=True))
                if i == L: Z /= Z.sum(1, keepdims=True)
                Zs.append(Z)
            for i, Z in enumerate([X] + Zs):
                B = np.linalg.lstsq(Z, Y, rcond=None)[0]
                want = ((Y - Z @ B) ** 2).sum() / len(Y)
                assert abs(ours[i] - want) < 1e-4 * want, (i, ours[i], want)
            H = []
            for j in range(Zs[0].shape[1]):
                c = np.bincount(y[Zs[0][:, j] > 0], minlength=10)
                if c.sum(): p = c[c > 0] / c.sum(); H.append(-(p * np.log2(p)).sum())
            ent = [l.split("\\t") for l in open("ent.tsv").read().split("\\n")[1:] if l]
            got = [float(r[4]) for r in ent if r[:3] == ["conditional_entropy", "train", "1"]][0]
            assert abs(got - np.mean(H)) < 1e-3, (got, np.mean(H))
            def rows_of(path):
                return {tuple(r[:4]): float(r[4]) for r in (l.split("\\t") for l in open(path).read().split("\\n")[1:] if l)}
            # accuracy: argmax of the net's output against the labels.
            acc = rows_of("acc.tsv")[("accuracy", "train", "NA", "NA")]
            assert abs(acc - (Zs[-1].argmax(1) == y).mean()) < 1e-9, acc
            # k-redundancy at layers 0 and 1: the rule by brute force in batches of 500.
            red = rows_of("red.tsv")
            for layer, Z in ((0, X), (1, Zs[0])):
                r = []
                for s in range(0, len(Z), 500):
                    Zb, yb = Z[s:s + 500], y[s:s + 500]
                    D = (Zb * Zb).sum(1)[:, None] + (Zb * Zb).sum(1)[None, :] - 2 * Zb @ Zb.T
                    np.fill_diagonal(D, np.inf)
                    nb = np.argsort(D, axis=1, kind="stable")[:, :5]
                    r.append((yb[nb] == yb[:, None]).all(1))
                assert abs(red[("k_redundancy", "train", str(layer), "5")] - np.concatenate(r).mean()) < 2e-3, layer
            # stable rank and the 8-bit weight entropy of W_1.
            W = m["model/layers/1/W"][:].astype(np.float64)
            assert abs(rows_of("rank.tsv")[("stable_rank", "NA", "1", "NA")] - (W ** 2).sum() / np.linalg.norm(W, 2) ** 2) < 1e-6
            c = np.bincount(np.minimum(((W - W.min()) / (W.max() - W.min()) * 256).astype(int), 255).ravel(), minlength=256)
            p = c[c > 0] / c.sum()
            assert abs(rows_of("ent.tsv")[("weight_entropy", "NA", "1", "8")] + (p * np.log2(p)).sum()) < 1e-3
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "ok\n")
    }

    func testDataFilesJSONAndPipes() throws {
        let r = try sh("""
            dl-data checkerboard --rows 400 --test-rows 100 -q | dl-measure lsd --splits all --json > lsd.json \
            && dl-data checkerboard --rows 400 -q | dl-measure redundancy -k 5 --no-header \
            && dl-data sine --rows 200 -q | dl-measure lsd --intercept -q \
            && dl-data checkerboard --rows 400 -q > c.h5 \
            && dl-measure lsd c.h5 --limit 150 -q > l1.tsv && dl-data cat c.h5 --limit 150 -q | dl-measure lsd -q | cmp - l1.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.hasPrefix("k_redundancy\ttrain\t0\t5\t"), r.out)
        XCTAssertTrue(r.out.contains("lsd\ttrain\t0\tNA\t"), r.out)  // regression targets Y
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/lsd.json"))) as! [[String: Any]]
        XCTAssertEqual(json.map { $0["split"] as! String }, ["train", "train", "test", "test"])
        // Two coordinates cannot fit a checkerboard: LSD near that of no fit at all.
        let v = json[0]["value"] as! Double
        XCTAssertTrue(v > 0.4 && v <= 1, "\(v)")
    }

    /// --layers, --rcond, and --json for every measure.
    func testLayersRcondAndJSON() throws {
        let r = try sh("""
            dl-data checkerboard --rows 500 --test-rows 100 -q > d.h5 \
            && dl-fit d.h5 --arch 2-16-8-2 --epochs 2 --batch-size 50 -q -o m.h5 \
            && dl-measure lsd m.h5 d.h5 --layers 1,2 -q > l12.tsv && dl-measure lsd m.h5 d.h5 -q > all.tsv \
            && dl-measure lsd m.h5 d.h5 --layers 2 --rcond 0.5 -q > rc.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let l12 = table(try String(contentsOfFile: dir + "/l12.tsv", encoding: .utf8))
        let all = table(try String(contentsOfFile: dir + "/all.tsv", encoding: .utf8))
        XCTAssertEqual(Set(l12.keys), ["lsd train 1 NA", "feature_rank train 1 NA", "lsd train 2 NA", "feature_rank train 2 NA"])
        for (k, v) in l12 { XCTAssertEqual(v, all[k], k) }
        let rc = table(try String(contentsOfFile: dir + "/rc.tsv", encoding: .utf8))
        // Cutting singular values below half the largest keeps fewer, and fits worse.
        XCTAssertLessThan(rc["feature_rank train 2 NA"]!, all["feature_rank train 2 NA"]!)
        XCTAssertGreaterThan(rc["lsd train 2 NA"]!, all["lsd train 2 NA"]!)
        for measure in ["redundancy -k 3,5", "entropy", "rank", "accuracy"] {
            let name = measure.split(separator: " ")[0]
            let files = name == "rank" ? "m.h5" : "m.h5 d.h5"
            let j = try sh("dl-measure \(measure) \(files) --json -q > \(name).json && dl-measure \(measure) \(files) -q")
            XCTAssertEqual(j.status, 0, "\(measure): \(j.stderr)")
            let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).json"))) as? [[String: Any]])
            let tsv = table(j.out)
            XCTAssertEqual(rows.count, tsv.count, measure)
            XCTAssertEqual(rows.count, ["redundancy": 8, "entropy": 15, "rank": 3, "accuracy": 4][String(name)], measure)
            for row in rows {
                let key = ["metric", "split", "layer", "param"].map { k in row[k].map { $0 is NSNull ? "NA" : "\($0)" } ?? "?" }.joined(separator: " ")
                XCTAssertEqual(row["value"] as? Double, tsv[key], "\(measure): \(key)")
            }
        }
    }

    func testSnapshots() throws {
        let r = try sh("""
            dl-data checkerboard --rows 300 -q > d.h5 \
            && dl-fit d.h5 --arch 2-16-2 --epochs 3 --batch-size 20 --snapshots -q -o m.h5 \
            && dl-measure rank m.h5 > final.tsv && dl-measure rank --epoch 3 m.h5 > e3.tsv && cmp final.tsv e3.tsv \
            && dl-measure lsd --epoch 1 m.h5 d.h5 -q > e1.tsv && dl-measure lsd m.h5 d.h5 -q > last.tsv && ! cmp -s e1.tsv last.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        assertFails(try sh("dl-measure rank --epoch 9 m.h5"), status: 1, mentions: "no snapshot of epoch 9 (it has epochs 1, 2, 3)")
        assertFails(try sh("dl-measure lsd --epoch 2 d.h5"), status: 2, mentions: "no model file was given")
    }

    func testBadInput() throws {
        try sh("""
            dl-data checkerboard --rows 100 -q > d.h5 && dl-data sine --rows 50 -q > s.h5 \
            && dl-fit d.h5 --arch 2-8-2 --epochs 1 --batch-size 10 -q -o m.h5 \
            && dl-data fashion-mnist --limit 100 -q | dl-fit --arch 784-8-10 --epochs 1 --batch-size 10 -q -o f.h5
            """)
        assertFails(try sh("dl-measure redundancy s.h5 -o o.tsv"), status: 1, mentions: "no class labels y")
        assertFails(try sh("dl-measure entropy s.h5 -o o.tsv"), status: 1, mentions: "no class labels y")
        assertFails(try sh("dl-measure lsd f.h5 d.h5 -o o.tsv"), status: 1, mentions: "takes 784 inputs but")
        assertFails(try sh("dl-measure redundancy -k 30 --batch 20 d.h5 -o o.tsv"), status: 1, mentions: "k = 30 needs more than 30 rows")
        assertFails(try sh("dl-measure lsd d.h5 --splits val -o o.tsv"), status: 1, mentions: "has no /val split")
        assertFails(try sh("dl-measure lsd m.h5 d.h5 --layers 0,3 -o o.tsv"), status: 2, mentions: "there is no layer 3")
        assertFails(try sh("dl-measure rank d.h5 -o o.tsv"), status: 2, mentions: "needs a model file")
        assertFails(try sh("dl-measure accuracy m.h5 -o o.tsv"), status: 2, mentions: "needs a data file")
        assertFails(try sh("dl-measure lsd m.h5 m.h5 -o o.tsv"), status: 2, mentions: "two model files")
        assertFails(try sh("dl-measure lsd - - -o o.tsv"), status: 2, mentions: "at most one of them '-'")
        assertFails(try sh("dl-measure redundancy -k 5,x d.h5 -o o.tsv"), status: 2, mentions: "comma-separated integers")
        assertFails(try sh("dl-measure lsd d.h5 --splits nope -o o.tsv"), status: 2, mentions: "unknown split 'nope'")
        assertFails(try sh("dl-measure entropy m.h5 --preview-bits 30 -o o.tsv"), status: 2, mentions: "--preview-bits: 30 is outside")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.tsv"))
        try requireH5py()
        try makeNaNAndSingleClassFiles(singleLabels: "[0] * 10 + [3] * 9 + [5]")
        // Crafted files: widths that would overflow, a GA head with α < 0, an
        // empty split, values whose squared distances overflow float32.
        try sh("""
            python3 - <<'PY'
            import h5py, numpy as np, shutil
            shutil.copy("m.h5", "wide.h5"); h5py.File("wide.h5", "r+")["model"].attrs["widths"] = np.array([2, 2**62, 2])
            shutil.copy("m.h5", "ga.h5"); f = h5py.File("ga.h5", "r+"); f["model"].attrs["head"] = "exp-ga"; f["model"].attrs["alpha"] = -1.0; f.close()
            f = h5py.File("empty.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.zeros((0, 2), np.float32); f["train/y"] = np.zeros(0, np.int32); f.close()
            f = h5py.File("huge.h5", "w"); f.attrs["dl_kind"] = "data"
            X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32) * 1e20
            f["train/X"] = X; f["train/y"] = (X[:, 0] > 0).astype(np.int32); f.close()
            f = h5py.File("reg.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.zeros((5, 2), np.float32); f["train/Y"] = np.zeros((5, 2), np.float32); f.close()
            PY
            """)
        assertFails(try sh("dl-measure rank wide.h5 -o o.tsv"), status: 1, mentions: "more than 2^31 parameters")
        assertFails(try sh("dl-measure accuracy ga.h5 d.h5 -o o.tsv"), status: 1, mentions: "the GA heads need a finite α > 0")
        assertFails(try sh("dl-measure redundancy empty.h5 -o o.tsv"), status: 1, mentions: "empty.h5: /train has no rows")
        for command in ["dl-measure redundancy -k 3 huge.h5 -o o.tsv", "dl-kfilter -k 3 huge.h5 -o o.h5"] {
            assertFails(try sh(command), status: 1, mentions: "huge.h5: /train/X has 1.2573022e+19 in row 0, beyond ±1e15")
        }
        assertFails(try sh("dl-measure accuracy m.h5 reg.h5 -o o.tsv"), status: 1, mentions: "is a classifier but reg.h5: /train has no class labels")
        assertFails(try sh("cp d.h5 d2.h5 && dl-measure lsd d2.h5 -o d2.h5"), status: 2, mentions: "-o d2.h5 is the same file as the input d2.h5")
        assertFails(try sh("dl-measure rank m.h5 --layers 0 -o o.tsv"), status: 2, mentions: "no weights at layer 0")
        assertFails(try sh("dl-measure entropy m.h5 --layers 0 -o o.tsv"), status: 2, mentions: "nothing to measure")
        assertFails(try sh("dl-measure lsd d.h5 --rcond 2 -o o.tsv"), status: 2, mentions: "--rcond must lie in [0, 1)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.tsv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.h5"))
        assertFails(try sh("dl-measure lsd nan.h5 -o o.tsv"), status: 1, mentions: "NaN or Inf value in row 4")
        assertFails(try sh("dl-measure redundancy nan.h5 -k 3 -o o.tsv"), status: 1, mentions: "NaN or Inf value in row 4")
        let single = try sh("dl-measure redundancy -k 3 single.h5 -o o.tsv")
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertTrue(single.stderr.contains("warning: /train: class 5 has a single sample"), single.stderr)
    }

}
