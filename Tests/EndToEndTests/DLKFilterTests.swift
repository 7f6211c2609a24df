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

    /// --mask-only, --random-batches, --max-fraction and --block: which rows,
    /// not only how many.
    func testMaskOnlyRandomBatchesCapAndBlock() throws {
        let r = try sh("""
            dl-data checkerboard --rows 1500 --squares 2 -q > s.h5 \
            && dl-data cat s.h5 -q | dl-kfilter -k 10 --mask-only > mask.h5 \
            && dl-kfilter -k 10 --batch 500 --max-fraction 0.2 s.h5 -q -o cap.h5 \
            && dl-kfilter -k 10 --batch 500 s.h5 -q -o full.h5 \
            && dl-kfilter -k 10 --batch 500 --block 16 s.h5 -q -o b16.h5 \
            && dl-kfilter -k 10 --batch 500 --block 100 --threads 1 s.h5 -q -o b100.h5 \
            && dl-kfilter -k 10 --batch 500 --random-batches -s 3 s.h5 -q -o rand3.h5 \
            && dl-kfilter -k 10 --batch 500 --random-batches -s 3 --threads 1 s.h5 -q | cmp - rand3.h5 \
            && dl-kfilter -k 10 --batch 500 --random-batches -s 4 s.h5 -q -o rand4.h5 && dl-data info rand3.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("kfilter_shuffle=1"), r.out)
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            X, y = h5py.File("s.h5")["train/X"][:].astype(np.float64), h5py.File("s.h5")["train/y"][:]
            def redundant(rows):
                D = ((X[rows][:, None, :] - X[rows][None, :, :]) ** 2).sum(-1)
                np.fill_diagonal(D, np.inf)
                nb = np.argsort(D, axis=1, kind="stable")[:, :10]
                return (y[rows][nb] == y[rows][:, None]).all(1)
            m = h5py.File("mask.h5")["train"]
            assert m["X"].shape == (1500, 2) and (m["keep"][:] == ~redundant(np.arange(1500))).all()
            red = np.concatenate([redundant(np.arange(s, s + 500)) for s in range(0, 1500, 500)])
            full = h5py.File("full.h5")["train/index"][:]
            assert (full == np.flatnonzero(~red)).all()
            for b in ("b16.h5", "b100.h5"):   # the tile size changes nothing but the command line
                assert (h5py.File(b)["train/index"][:] == full).all() and (h5py.File(b)["train/X"][:] == h5py.File("full.h5")["train/X"][:]).all()
            cap = h5py.File("cap.h5")["train/index"][:]
            dropped = np.setdiff1d(np.arange(1500), cap)
            assert red.sum() > 300 and len(dropped) == 300 and red[dropped].all(), (red.sum(), len(dropped))
            r3, r4 = h5py.File("rand3.h5")["train/index"][:], h5py.File("rand4.h5")["train/index"][:]
            assert not np.array_equal(r3, full) and not np.array_equal(r3, r4)
            assert (h5py.File("rand3.h5")["train/X"][:] == X[r3].astype(np.float32)).all()
            print("ok", len(full), len(cap), len(r3))
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertTrue(py.out.hasPrefix("ok "), py.out)
        assertFails(try sh("dl-kfilter -k 10 --random-batches s.h5 -o o.h5"), status: 2, mentions: "--random-batches only matters with --batch")
        assertFails(try sh("dl-kfilter -k 10 --block 8 s.h5 -o o.h5"), status: 2, mentions: "--block must lie in 16…16384")
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

}
