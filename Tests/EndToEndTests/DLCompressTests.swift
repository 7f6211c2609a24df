import XCTest
import Foundation

final class DLCompressEndToEndTests: EndToEndCase {
    let model = """
        dl-data spirals --rows 600 --test-rows 200 -q > d.h5 \
        && dl-fit d.h5 --arch 2-32-32-2 --hidden tanh --epochs 3 --batch-size 32 -q -o m.h5
        """

    /// Encode, decode, read: the decoded weights are each tensor's quantization,
    /// recomputed in numpy from the original weights (an independent twin), and
    /// every tool reads the decoded model.
    func testDecodedWeightsAreTheQuantizedOnes() throws {
        let r = try sh("""
            \(model) && dl-compress m.h5 --report r.tsv -o p.h5 && dl-compress -d p.h5 -o dec.h5 \
            && dl-compress m.h5 -q > a.h5 && dl-compress m.h5 -q > b.h5 && cmp a.h5 b.h5 && dl-compress m.h5 --fixed 6 --no-huffman -q -o f.h5 \
            && dl-compress -d f.h5 -q -o fdec.h5 && dl-fit eval dec.h5 d.h5 && dl-measure rank dec.h5 -q > /dev/null
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("bits each (ratio"), r.stderr)
        XCTAssertTrue(r.out.contains("test\t200\t"), r.out)
        let rows = try String(contentsOfFile: dir + "/r.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "tensor\tcount\tbits\tentropy\tstream_bits_per_param\tpackage_bits_per_param\tratio_to_float32\tmax_error\trms_error")
        XCTAssertEqual(rows.count, 8, "6 tensors and the total")
        XCTAssertTrue(rows.last!.hasPrefix("total\t1218\t"), String(rows.last!))
        assertFails(try sh("dl-measure rank p.h5"), status: 1, mentions: "is a packed model (decode it first: dl-compress -d p.h5")
        assertFails(try sh("dl-compress p.h5 -o x.h5"), status: 1, mentions: "p.h5 is a dl packed file; expected model")
        assertFails(try sh("dl-compress -d m.h5 -o x.h5"), status: 1, mentions: "m.h5 is a dl model file; expected packed")
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            m, p, dec, f, fdec = (h5py.File(n) for n in ["m.h5", "p.h5", "dec.h5", "f.h5", "fdec.h5"])
            assert p.attrs["dl_kind"] == "packed" and dec.attrs["dl_kind"] == "model"
            assert p["packed"].attrs["architecture"] == "2-32-32-2" and dec["model"].attrs["head"] == m["model"].attrs["head"]
            for packed, decoded, fixed in [(p, dec, None), (f, fdec, 6)]:
                for i in "123":
                    for t in "Wb":
                        w = m["model/layers/%s/%s" % (i, t)][()].astype(np.float64)
                        g = packed["packed/layers/%s/%s" % (i, t)]
                        N = int(g.attrs["bits"])
                        assert fixed is None or N == fixed
                        lo, hi = float(g.attrs["wmin"]), float(g.attrs["wmax"])
                        assert lo == w.min() and hi == w.max()
                        q = np.minimum(np.floor((w - lo) * 2**N / (hi - lo)), 2**N - 1)
                        want = (lo + (hi - lo) * (q + 0.5) / 2**N).astype(np.float32)
                        got = decoded["model/layers/%s/%s" % (i, t)][()]
                        assert np.array_equal(got, want), (i, t, np.abs(got - want).max())
                        if fixed:
                            assert "lengths" not in g and g["stream"].shape[0] == (w.size * N + 7) // 8
                        else:
                            L = g["lengths"][()]
                            assert L.shape == (2**N,) and (2.0 ** -L[L > 0].astype(float)).sum() <= 1
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "ok\n")
        // docs/FORMAT.md's snippet decodes a tensor to the same values as -d.
        var snippet = try Shell.formatSnippet(reading: "out/model.packed.h5", as: "p.h5")
        snippet += "\nassert np.array_equal(W, h5py.File('dec.h5')['model/layers/1/W'][()]); print('same')\n"
        try snippet.write(toFile: dir + "/read.py", atomically: true, encoding: .utf8)
        let doc = try sh("python3 read.py")
        XCTAssertEqual(doc.status, 0, doc.stderr)
        XCTAssertTrue(doc.out.hasSuffix("same\n"), doc.out)
        // A tensor of 4096 weights or more comes in four segments: the snippet reads those too.
        var big = try Shell.formatSnippet(reading: "out/model.packed.h5", as: "p2.h5").replacingOccurrences(of: "layers/1/W", with: "layers/2/W")
        big += "\nassert len(segments) == 4 and sum(segments) == stream.size\n"
        big += "assert np.array_equal(W, h5py.File('dec2.h5')['model/layers/2/W'][()]); print('same')\n"
        try big.write(toFile: dir + "/read2.py", atomically: true, encoding: .utf8)
        let doc2 = try sh("""
            dl-fit d.h5 --arch 2-128-64-2 --epochs 1 -q -o m2.h5 && dl-compress m2.h5 -q -o p2.h5 && dl-compress -d p2.h5 -q -o dec2.h5 \
            && python3 read2.py
            """)
        XCTAssertEqual(doc2.status, 0, doc2.stderr)
        XCTAssertTrue(doc2.out.hasSuffix("same\n"), doc2.out)
    }

    /// Th. Figure 3.5's series: a row per tensor and a total for every snapshot epoch.
    func testSeriesOverSnapshots() throws {
        let r = try sh("""
            dl-data spirals --rows 600 --test-rows 200 -q > d.h5 \
            && dl-fit d.h5 --arch 2-32-32-2 --hidden tanh --epochs 3 --batch-size 32 --snapshots -q -o s.h5 \
            && dl-compress series s.h5 -q && dl-compress series s.h5 --fixed 8 -q -o f.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.first, "epoch\ttensor\tcount\tbits\tentropy\tstream_bits_per_param\tpackage_bits_per_param\tratio_to_float32\tmax_error\trms_error")
        XCTAssertEqual(lines.count, 1 + 3 * 7)
        let totals = lines.filter { $0.contains("\ttotal\t") }.map { $0.split(separator: "\t") }
        XCTAssertEqual(totals.map { $0[0] }, ["1", "2", "3"])
        for t in totals { XCTAssertLessThanOrEqual(Double(t[5])!, Double(t[3])! + 1e-9, "Huffman never costs more than N bits a weight") }
        let fixed = try String(contentsOfFile: dir + "/f.tsv", encoding: .utf8).split(separator: "\n").filter { $0.contains("\ttotal\t") }
        XCTAssertTrue(fixed.allSatisfy { $0.split(separator: "\t")[3] == "8" }, "\(fixed)")
        let js = try sh("dl-compress series s.h5 --json -q")
        XCTAssertEqual(js.status, 0, js.stderr)
        let objects = try JSONSerialization.jsonObject(with: Data(js.out.utf8)) as! [[String: Any]]
        XCTAssertEqual(objects.count, 3 * 7)
        XCTAssertEqual(objects.last?["epoch"] as? Int, 3)
        XCTAssertEqual(objects.last?["tensor"] as? String, "total")
        try sh("dl-fit d.h5 --arch 2-4-2 --epochs 1 -q -o m.h5")
        assertFails(try sh("dl-compress series m.h5"), status: 1, mentions: "m.h5 has no snapshots")
    }

    /// The report with --data: the original and decoded model's loss and accuracy
    /// on the total row, the same as dl-fit eval gives for each; --json holds the same rows.
    func testReportEvaluatesBothModelsAndSpeaksJSON() throws {
        let r = try sh("""
            \(model) && dl-compress m.h5 --report r.tsv --data d.h5 -q -o p.h5 && dl-compress -d p.h5 -q -o dec.h5 \
            && dl-fit eval m.h5 d.h5 > e.tsv && dl-fit eval dec.h5 d.h5 > de.tsv \
            && dl-compress m.h5 --report r.json --json --data d.h5 --splits train -q -o p2.h5 \
            && dl-compress bench m.h5 --repeats 2
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try String(contentsOfFile: dir + "/r.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows[0].suffix(5), ["split", "accuracy_original", "accuracy_decoded", "loss_original", "loss_decoded"])
        XCTAssertTrue(rows[1...6].allSatisfy { $0.suffix(5) == ["NA", "NA", "NA", "NA", "NA"] }, "tensor rows have no evaluation")
        func evalRow(_ file: String) throws -> [String] {
            try String(contentsOfFile: dir + "/" + file, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
                .first { $0[0] == "test" }!
        }
        let total = rows[7], e = try evalRow("e.tsv"), de = try evalRow("de.tsv")
        XCTAssertEqual(total[9], "test")
        XCTAssertEqual(Double(total[10])!, Double(e[3])!, accuracy: 1e-9)
        XCTAssertEqual(Double(total[11])!, Double(de[3])!, accuracy: 1e-9)
        XCTAssertEqual(Double(total[12])!, Double(e[2])!, accuracy: 1e-5)
        XCTAssertEqual(Double(total[13])!, Double(de[2])!, accuracy: 1e-5)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as! [[String: Any]]
        XCTAssertEqual(json.count, 7)
        XCTAssertTrue(json[0]["split"] is NSNull)
        XCTAssertEqual(json[6]["split"] as? String, "train")
        XCTAssertEqual(json[6]["count"] as? Int, 1218)
        // bench: one JSON line, the ratio the package's.
        let bench = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        XCTAssertEqual(bench["parameters"] as? Int, 1218)
        XCTAssertEqual((bench["ratio"] as! Double) * (bench["bits_per_parameter"] as! Double), 32, accuracy: 0.01)
        XCTAssertGreaterThan(bench["decompress_MBps"] as! Double, 0)
        assertFails(try sh("dl-compress m.h5 --data d.h5 -o x.h5"), status: 2, mentions: "add --report FILE")
        assertFails(try sh("dl-compress m.h5 --report r.tsv --data d.h5 --splits val -o x.h5"), status: 1, mentions: "has no split val")
        assertFails(try sh("dl-compress bench m.h5 --repeats 0"), status: 2, mentions: "--repeats must be at least 1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"), "no partial output")
    }

    /// dl-fit --quantize: the log records N per tensor per epoch.
    func testQuantizedTraining() throws {
        let r = try sh("""
            dl-data spirals --rows 600 --test-rows 200 -q > d.h5 \
            && dl-fit d.h5 --arch 2-16-2 --hidden tanh --epochs 2 --quantize fixed:6 -o q.h5 \
            && dl-fit d.h5 --arch 2-16-2 --hidden tanh --epochs 2 --quantize dynamic:c=6 -q -o dq.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("quantized after every epoch: "), r.stderr)
        assertFails(try sh("dl-fit d.h5 --arch 2-16-2 --quantize fixed:40 -o x.h5"), status: 2, mentions: "bad --quantize 'fixed:40'")
        // dl-fit log: the quantized rates beside the accuracies; 16·2 + 16 weights at N = 6 and 2·16 + 2 at 6 bits: mean N 6.
        let log = try sh("dl-fit log q.h5")
        XCTAssertEqual(log.status, 0, log.stderr)
        let lines = log.out.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(lines[0], ["epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                                  "quantize_total_bits_per_param", "quantize_mean_bits"])
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[2][0], "2")
        XCTAssertEqual(lines[2][7], "6")
        XCTAssertLessThanOrEqual(Double(lines[2][6])!, 6, "Huffman never above N")
        assertFails(try sh("dl-fit log d.h5"), status: 1, mentions: "d.h5 is a dl data file; expected model")
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            f = h5py.File("q.h5")
            b = f["model/log/quantize_bits"][()]
            assert b.shape == (2, 4) and (b == 6).all(), b
            assert f["model"].attrs["quantize"] == "fixed:6"
            W = f["model/layers/1/W"][()]
            assert len(np.unique(W)) <= 64
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
    }

    /// A damaged packed file: one error line, exit 1, no output.
    func testDamagedPackedFilesAreRefused() throws {
        try sh("\(model) && dl-compress m.h5 -q -o p.h5")
        assertFails(try sh("dl-compress m.h5 --fixed 0 -o x.h5"), status: 2, mentions: "fixed bits must lie in 1…16")
        assertFails(try sh("dl-compress m.h5 -F 0 -o x.h5"), status: 2, mentions: "F must lie in (0, 1]")
        assertFails(try sh("dl-compress -d p.h5 --report r.tsv -o x.h5"), status: 2, mentions: "--report, --json and --data describe an encoding")
        try requireH5py()
        let damage = [
            ("flip.h5", "s = g['stream'][()]; s[len(s) // 2] ^= 0x10; del g['stream']; g['stream'] = s", "layer 1 W"),
            ("short.h5", "s = g['stream'][()]; del g['stream']; g['stream'] = s[:-3]", "layer 1 W"),
            ("bits.h5", "g.attrs['bits'] = 40", "N = 40 bits"),
            ("lengths.h5", "L = g['lengths'][()]; L[:] = 1; del g['lengths']; g['lengths'] = L", "CRC-32"),
            // The same lie with its CRC made to match (docs/FORMAT.md's definition): the code's own check.
            ("kraft.h5", "L = g['lengths'][()]; L[:] = 1; del g['lengths']; g['lengths'] = L; g.attrs['crc32'] = crc(g)", "Kraft"),
            ("shape.h5", "g.attrs['shape'] = np.array([2, 31])", "has shape"),
            ("segments.h5", "g.attrs['segments'] = np.array([1, len(g['stream']) - 1]); g.attrs['crc32'] = crc(g)", "stream segments"),
            ("type.h5", "s = g['stream'][()].astype(np.float32); del g['stream']; g['stream'] = s", "expected uint8"),
        ]
        for (name, edit, _) in damage {
            let r = try sh("""
                python3 - <<'PY'
                import h5py, numpy as np, shutil, zlib
                def crc(g):
                    a = g.attrs
                    head = np.array([a["wmin"], a["wmax"]], "<f4").tobytes() + np.array([*a["shape"], a["bits"], *a["segments"]], "<i8").tobytes()
                    return zlib.crc32(g["stream"][()].tobytes(), zlib.crc32(g["lengths"][()].tobytes(), zlib.crc32(head)))
                shutil.copy("p.h5", "\(name)")
                with h5py.File("\(name)", "r+") as f:
                    g = f["packed/layers/1/W"]
                    \(edit)
                PY
                """)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        assertFails(try sh("dl-data cat type.h5 -o x.h5"), status: 1, mentions: "expected uint8")
        for (name, _, mentions) in damage {
            assertFails(try sh("dl-compress -d \(name) -o x.h5"), status: 1, mentions: mentions)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"), "no partial output")
    }
}

/// The decoder's fuzz corpus (Fuzz/corpus/decoder, grown by `make fuzz`) replayed:
/// every kept input still ends in an error or a correct answer.
final class FuzzCorpusTests: EndToEndCase {
    func testKeptCorpusReplays() throws {
        let corpus = Shell.repoRoot + "/Fuzz/corpus/decoder"
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus)
        XCTAssertGreaterThanOrEqual(files.count, 40, "the seeds at least")
        let r = try sh("fuzz-decoder \(corpus)")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(files.count) inputs replayed, no finding"), r.stderr)
    }
}
