import XCTest
import Foundation

final class DLLayerwiseEndToEndTests: EndToEndCase {
    let data = "dl-data spirals --rows 600 --test-rows 200 -q > d.h5"
    let arch = "--arch 2-16-16-16-2 --hidden tanh --epochs 3,2,2 --batch-size 32 --lr 0.05"

    /// One process and a chain of steps (a make target per layer) give the same
    /// net bit for bit, and the same features; every tool reads the model.
    func testStepsAndStackEqualOneRun() throws {
        let r = try sh("""
            \(data) \
            && dl-layerwise d.h5 \(arch) -s 2 --checkpoint-dir . --report all.tsv -q -o all.h5 \
            && dl-layerwise step \(arch) -s 2 --layer 1 d.h5 --features z1.h5 -q -o l1.h5 \
            && dl-layerwise step \(arch) -s 2 --layer 2 z1.h5 --features z2.h5 -q -o l2.h5 \
            && dl-layerwise step \(arch) -s 2 --layer 3 z2.h5 --features z3.h5 -q -o l3.h5 \
            && dl-layerwise stack l3.h5 l1.h5 l2.h5 --report stack.tsv -q -o stacked.h5 \
            && dl-fit eval all.h5 d.h5 > a.tsv && dl-fit eval stacked.h5 d.h5 > b.tsv && cmp a.tsv b.tsv \
            && cmp <(cut --complement -f14,23 all.tsv) <(cut --complement -f14,23 stack.tsv) && dl-measure lsd all.h5 d.h5 -q > lsd.tsv && cat a.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("test\t200\t"), r.out)
        let report = try String(contentsOfFile: dir + "/all.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(report.count, 4, "a header and a row per layer")
        // The file's column names, in its order: the wall-clock ones 14th (peak_rss) and last (seconds).
        let header = report[0].split(separator: "\t").map(String.init)
        XCTAssertEqual(Array(header.prefix(5)), ["round", "segment", "first_layer", "last_layer", "epochs"])
        XCTAssertEqual(header[13], "peak_rss")
        XCTAssertEqual(header.last, "seconds")
        XCTAssertTrue(header.contains("memory_total") && header.contains("memory_full_backprop") && header.contains("relative_memory"))
        // The report's wall-clock columns are the only ones a stack cannot restore (no --record-time).
        for row in try String(contentsOfFile: dir + "/stack.tsv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let cells = row.split(separator: "\t")
            XCTAssertEqual([cells[13], cells[22]], ["NA", "NA"], "\(row)")
        }
        // Segment j's rate is 0.05 · 0.8^j and its epochs the j-th of the list.
        XCTAssertEqual(report[3].split(separator: "\t")[4], "2")
        XCTAssertEqual(report[3].split(separator: "\t")[header.firstIndex(of: "lr")!], "0.032")
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            a, b = h5py.File("all.h5"), h5py.File("stacked.h5")
            for i in "1234":
                for t in "Wb":
                    assert np.array_equal(a["model/layers/%s/%s" % (i, t)][()], b["model/layers/%s/%s" % (i, t)][()]), (i, t)
            for i in "123":
                z, c = h5py.File("z%s.h5" % i), h5py.File("layer-%s.h5" % i)
                assert np.array_equal(z["train/X"][()], c["train/X"][()]) and np.array_equal(z["test/X"][()], c["test/X"][()])
                assert z.attrs["feature_layer"] == int(i) and z.attrs["layerwise_source"] == a["model/layerwise"].attrs["source"]
            g = a["model/layerwise"]
            assert list(g["first_layer"][()]) == [1, 2, 3] and list(g["epochs"][()]) == [3, 2, 2]
            assert a["model"].attrs["head"] == "softmax" and a["model"].attrs["architecture"] == "2-16-16-16-2"
            assert list(a["model/log/visit"][()]) == [0, 0, 0, 1, 1, 2, 2]
            assert "seconds" not in g and "peak_rss" not in g
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "ok\n")
        // docs/FORMAT.md's snippet reads it.
        try Shell.formatSnippet(reading: "dll-model.h5", as: "all.h5").write(toFile: dir + "/read.py", atomically: true, encoding: .utf8)
        let doc = try sh("python3 read.py")
        XCTAssertEqual(doc.status, 0, doc.stderr)
        XCTAssertTrue(doc.out.hasPrefix("layer 1: subnet test accuracy 0."), doc.out)
        XCTAssertEqual(doc.out.split(separator: "\n").count, 3, doc.out)
    }

    /// Same seed, same bytes; another seed, other bytes. The feednet gives the
    /// checkpointed run's weights to float rounding, dropout included (masks are
    /// drawn for the layer's depth, not its place in the subnet).
    func testSeedsAndFeednet() throws {
        let flags = "\(arch) --input-dropout 0.2 --grad-dropout 0.3 --decision 8"
        let r = try sh("""
            \(data) \
            && dl-layerwise d.h5 \(flags) -s 5 -q > a.h5 && dl-layerwise d.h5 \(flags) -s 5 -q > b.h5 \
            && dl-layerwise d.h5 \(flags) -s 6 -q > c.h5 && cmp a.h5 b.h5 && ! cmp -s a.h5 c.h5 \
            && dl-layerwise d.h5 \(flags) -s 5 --mode feednet --report f.tsv -q > f.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try String(contentsOfFile: dir + "/f.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
        // Under a feednet the memory holds the frozen layers: it grows with the layer.
        let memory = rows.map { Int($0.split(separator: "\t")[10])! }  // memory_total
        XCTAssertLessThan(memory[0], memory[1])
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            a, f = h5py.File("a.h5"), h5py.File("f.h5")
            d = max(np.abs(a["model/layers/%d/W" % i][()] - f["model/layers/%d/W" % i][()]).max() for i in range(1, 5))
            assert d < 1e-4, d
            assert f["model/layerwise"].attrs["mode"] == "feednet"
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
    }

    /// Random robin, segments and online k-filtering run end to end and log what they did.
    func testRobinSegmentsAndKFilter() throws {
        let r = try sh("""
            \(data) && dl-layerwise d.h5 --arch 2-16-16-16-2 --hidden tanh --batch-size 32 --subnet-size 2 \
              --rounds 2 --epochs-per-round 1 --order random --kfilter k=5,batch=300,max-fraction=0.5 --report r.tsv -q -o r.h5 \
            && dl-fit eval r.h5 d.h5 -q
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = try String(contentsOfFile: dir + "/r.tsv", encoding: .utf8).split(separator: "\n")
        let keptColumn = try XCTUnwrap(table[0].split(separator: "\t").firstIndex(of: "kept_fraction"))
        let rows = table.dropFirst().map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.count, 4, "2 segments (layers 1–2, 2–3) × 2 rounds")
        XCTAssertEqual(Set(rows.map { "\($0[2])-\($0[3])" }), ["1-2", "2-3"])
        XCTAssertEqual(rows.map { $0[0] }, ["1", "1", "2", "2"])
        for row in rows {
            let kept = Double(row[keptColumn])!
            if row[2] == "1" { XCTAssertEqual(kept, 1) } else { XCTAssertGreaterThanOrEqual(kept, 0.5); XCTAssertLessThanOrEqual(kept, 1) }
        }
    }

    /// A net far deeper than backprop trains (Th. 6.1): without weight decay,
    /// 1.15^j never matters, and the per-layer log has a row per layer.
    func testFiveHundredLayers() throws {
        let deep = "2-" + String(repeating: "4-", count: 500) + "2"
        let r = try sh("\(data) && dl-layerwise d.h5 --arch \(deep) --lr-decay 1 --epochs 1 --batch-size 100 --report r.tsv -q -o m.h5 && dl-fit eval m.h5 d.h5 -q")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try String(contentsOfFile: dir + "/r.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 501)
        XCTAssertEqual(rows.last?.split(separator: "\t")[3], "500")
    }

    /// Files record only settings that applied: with --lr-decay the visits ran at
    /// different rates, so /model has no single lr (each visit's is in the log);
    /// a softmax model has no α or β.
    func testFilesRecordOnlySettingsThatApplied() throws {
        try requireH5py()
        let r = try sh("""
            dl-data spirals --rows 400 -q -o d.h5 \
            && dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 -q -o decay.h5 \
            && dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 --lr-decay 1 --wd-growth 1 --wd 0.001 -q -o flat.h5 \
            && python3 -c "
            import h5py
            for n in ['decay.h5', 'flat.h5']:
                m = h5py.File(n)['model']
                print(n, 'lr' in m.attrs, 'weight_decay' in m.attrs, 'alpha' in m.attrs, 'beta' in m.attrs, m['layerwise/lr'][()].tolist())
            "
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.out, "decay.h5 False True False False [0.02, 0.016]\nflat.h5 True True False False [0.02, 0.02]\n")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --alpha 0.2 -o x.h5"), status: 2, mentions: "--alpha is the α of the exp-ga and pow3-ga heads")
        assertFails(try sh("dl-fit d.h5 --arch 2-8-2 --head exp-ga --beta 1 -o x.h5"), status: 2, mentions: "--beta is the β of the pow3-ga head")
    }

    /// The online k-filter of §6.8.2 keeps, under layer 2, exactly the rows
    /// dl-kfilter keeps from the layer-1 features the run checkpoints: the same
    /// search on the same features (here by count; dl-kfilter's own tests check which).
    func testOnlineKFilterKeepsWhatDlKfilterKeeps() throws {
        try requireH5py()
        for (spec, flags) in [("k=5,batch=300", "-k 5 --batch 300"), ("k=3,batch=150", "-k 3 --batch 150"), ("k=5,max-fraction=0.5", "-k 5 --max-fraction 0.5")] {
            let r = try sh("""
                rm -rf ck && mkdir ck && dl-data spirals --rows 900 -q -o d.h5 \
                && dl-layerwise d.h5 --arch 2-16-16-2 --epochs 2 --batch-size 32 --kfilter \(spec) --checkpoint-dir ck --report r.tsv -q -o m.h5 \
                && dl-kfilter \(flags) ck/layer-1.h5 -q -o f.h5 \
                && python3 -c "import h5py; print(len(h5py.File('f.h5')['train/y']))"
                """)
            XCTAssertEqual(r.status, 0, r.stderr)
            let table = try String(contentsOfFile: dir + "/r.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            let c = Dictionary(uniqueKeysWithValues: table[0].enumerated().map { ($1, $0) })
            let layer2 = try XCTUnwrap(table.dropFirst().first { $0[c["first_layer"]!] == "2" })
            XCTAssertEqual(layer2[c["train_rows"]!], r.out.trimmingCharacters(in: .whitespacesAndNewlines), spec)
            XCTAssertLessThan(Int(layer2[c["train_rows"]!])!, 900, "\(spec): the filter removed rows")
        }
    }

    func testBadInput() throws {
        try sh("\(data) && dl-layerwise step \(arch) --layer 1 d.h5 --features z1.h5 -q -o l1.h5 && dl-layerwise step \(arch) --layer 2 z1.h5 -q -o l2.h5")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-16-2 --epochs 1,2,3 -o out.h5"), status: 2, mentions: "--epochs lists 3 numbers for 2 segments")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-16-2 --kfilter k=x -o out.h5"), status: 2, mentions: "bad --kfilter 'k=x'")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-16-2 --kfilter batch=10 -o out.h5"), status: 2, mentions: "no k=")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-16-2 --decision 0 -o out.h5"), status: 2, mentions: "bad --decision")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-16-2 --subnet-size 2 --stride 3 -o out.h5"), status: 2, mentions: "--stride must lie in 1…2")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-2 --rounds 2 --epochs 3 -o out.h5"), status: 2, mentions: "drop --epochs")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-16-2 --snapshots -o out.h5"), status: 2, mentions: "--snapshots")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-2 -o out.h5"), status: 2, mentions: "at least one hidden layer")
        let deep = "2-" + String(repeating: "4-", count: 500) + "2"
        assertFails(try sh("dl-layerwise d.h5 --arch \(deep) -o out.h5"), status: 2, mentions: "segment 499's learning rate")
        assertFails(try sh("dl-layerwise d.h5 --arch \(deep) --lr-decay 1 --wd 0.1 --wd-growth 2 -o out.h5"), status: 2, mentions: "segment 499's weight decay")
        assertFails(try sh("dl-fit d.h5 --arch 2-16-2 --epochs 2,3 -o out.h5"), status: 2, mentions: "--epochs takes one number")
        // A feature file of the wrong layer or width, or data where features belong.
        assertFails(try sh("dl-layerwise step \(arch) --layer 2 d.h5 -o out.h5"), status: 1, mentions: "d.h5 holds data, not features")
        assertFails(try sh("dl-layerwise step \(arch) --layer 3 z1.h5 -o out.h5"), status: 1, mentions: "the features of layer 1, but layer 3")
        assertFails(try sh("dl-layerwise step --arch 2-16-8-2 --layer 2 z1.h5 -o out.h5"), status: 1, mentions: "features of 2-16-16-16-2")
        assertFails(try sh("dl-layerwise step \(arch) --layer 4 d.h5 -o out.h5"), status: 2, mentions: "--layer 4 is not a hidden layer")
        // Stacks that do not chain.
        assertFails(try sh("dl-layerwise stack l2.h5 -o out.h5"), status: 1, mentions: "holds layer 2, but the stack needs layer 1")
        assertFails(try sh("dl-layerwise stack l1.h5 l2.h5 -o out.h5"), status: 1, mentions: "misses layers 3…3")
        assertFails(try sh("dl-layerwise stack l1.h5 l1.h5 -o out.h5"), status: 1, mentions: "holds layer 1, but the stack needs layer 2")
        try sh("dl-data spirals --rows 500 -s 9 -q > e.h5 && dl-layerwise step \(arch) --layer 1 e.h5 -q -o e1.h5")
        assertFails(try sh("dl-layerwise stack e1.h5 l2.h5 -o out.h5"), status: 1, mentions: "was trained on other data")
        try sh("dl-fit d.h5 --arch 2-16-2 --epochs 1 -q -o fit.h5")
        assertFails(try sh("dl-layerwise stack fit.h5 -o out.h5"), status: 1, mentions: "not one dl-layerwise wrote")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.h5"), "no partial output")
        // NaN in features: named, with the file.
        try requireH5py()
        try sh("""
            python3 - <<'PY'
            import h5py, shutil
            shutil.copy("z1.h5", "nan.h5")
            f = h5py.File("nan.h5", "r+"); X = f["train/X"][()]; X[7, 3] = float("nan"); f["train/X"][...] = X; f.close()
            PY
            """)
        assertFails(try sh("dl-layerwise step \(arch) --layer 2 nan.h5 -o out.h5"), status: 1, mentions: "layer 2: nan.h5: /train/X has a NaN or Inf value in row 7 (re-make the features of layer 1)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.h5"), "no partial output")
    }
}
