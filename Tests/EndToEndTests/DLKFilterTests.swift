import XCTest
import Foundation

final class DLKFilterEndToEndTests: EndToEndCase {

    func testFilterChecksIndicesAndDeterminism() throws {
        let r = try sh("""
            dl-data checkerboard --test-rows 300 -q > d.h5 \
            && dl-kfilter -k 5 --batch 1000 d.h5 -o f.h5 && dl-kfilter -k 5 --batch 1000 d.h5 -q > g.h5 \
            && dl-kfilter -k 5 --batch 1000 d.h5 --threads 1 > h.h5 && cmp g.h5 h.h5 \
            && dl-kfilter -k 5 --batch 1000 d.h5 --threads 3 -o i.h5 && cmp g.h5 i.h5 && dl-data info f.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("k=5: kept "), r.stderr)
        XCTAssertTrue(r.out.contains("kfilter_k=5"), r.out)
        XCTAssertTrue(r.out.contains("kfilter_batch=1000"), r.out)
        XCTAssertTrue(r.out.contains("/train/index  ["), r.out)
        XCTAssertTrue(r.out.contains("/test/X  [300, 2] float32"), r.out)  // other splits untouched
        try requireH5py()
        // Kept rows are the original rows at /train/index, and the rule holds in
        // an independent numpy brute force.
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            d, f = h5py.File("d.h5"), h5py.File("f.h5")
            X, y = d["train/X"][:], d["train/y"][:]
            idx = f["train/index"][:]
            assert (f["train/X"][:] == X[idx]).all() and (f["train/y"][:] == y[idx]).all()
            keep = np.zeros(len(X), bool)
            for s in range(0, len(X), 1000):
                Xb, yb = X[s:s+1000].astype(np.float64), y[s:s+1000]
                D = ((Xb[:, None, :] - Xb[None, :, :]) ** 2).sum(-1)
                np.fill_diagonal(D, np.inf)
                nb = np.argsort(D, axis=1, kind="stable")[:, :5]
                keep[s:s+1000] = ~(yb[nb] == yb[:, None]).all(1)
            assert (np.flatnonzero(keep) == idx).all(), (keep.sum(), len(idx))
            print("ok", len(idx), float(f["train"].attrs["kept_fraction"]))
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertTrue(py.out.hasPrefix("ok "), py.out)
    }

    func testMaskOnlyShuffleCapAndPipes() throws {
        let r = try sh("""
            dl-data spirals -q | dl-kfilter -k 10 --mask-only | dl-data info \
            && dl-data spirals -q | dl-kfilter -k 10 --batch 2500 --shuffle -s 3 --max-fraction 0.2 | dl-data info
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("/train/keep  [5000] uint8"), r.out)
        XCTAssertTrue(r.out.contains("/train/X  [5000, 2] float32"), r.out)
        XCTAssertTrue(r.out.contains("/train/X  [4000, 2] float32"), r.out)  // 20% cap of 5000
    }

    func testBadInput() throws {
        try sh("dl-data checkerboard --rows 100 -q > d.h5 && dl-data sine --rows 50 -q > s.h5")
        assertFails(try sh("dl-kfilter -k 100 d.h5 -o o.h5"), status: 1, mentions: "k = 100 needs more than 100 rows")
        assertFails(try sh("dl-kfilter -k 10 --batch 30 d.h5 -o o.h5"), status: 1, mentions: "the last of 100 rows in batches of 30 has 10")
        assertFails(try sh("dl-kfilter -k 5 s.h5 -o o.h5"), status: 1, mentions: "no class labels")
        assertFails(try sh("dl-kfilter -k 0 d.h5 -o o.h5"), status: 2, mentions: "-k must lie in")
        assertFails(try sh("dl-kfilter -k 5 --max-fraction 2 d.h5 -o o.h5"), status: 2, mentions: "--max-fraction")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.h5"))
        try requireH5py()
        try makeNaNAndSingleClassFiles(singleLabels: "[0] * 10 + [1] * 9 + [2]")
        assertFails(try sh("dl-kfilter -k 3 nan.h5 -o o.h5"), status: 1, mentions: "NaN or Inf value in row 4")
        let single = try sh("dl-kfilter -k 3 single.h5 -o o.h5")
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertTrue(single.stderr.contains("warning: /train: class 2 has a single sample"), single.stderr)
    }

    func testHelp() throws {
        let r = try sh("dl-kfilter --help")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("e.g.:"))
    }
}
