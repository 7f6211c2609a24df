import XCTest
import Foundation

let fashionDir = "/usr/share/datasets/fashion-mnist"

func idx(type: UInt8, shape: [Int], payload: [UInt8]) -> Data {
    var b: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for d in shape { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return Data(b + payload)
}

/// A tiny MNIST-layout folder: 12 train and 4 test images of 3×3, 3 classes.
func writeTinyMNIST(_ dir: String, gzip: Bool) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let files: [(String, Data)] = [
        ("train-images-idx3-ubyte", idx(type: 8, shape: [12, 3, 3], payload: (0..<108).map { UInt8($0 * 2 % 256) })),
        ("train-labels-idx1-ubyte", idx(type: 8, shape: [12], payload: (0..<12).map { UInt8($0 % 3) })),
        ("t10k-images-idx3-ubyte", idx(type: 8, shape: [4, 3, 3], payload: (0..<36).map { UInt8(255 - $0) })),
        ("t10k-labels-idx1-ubyte", idx(type: 8, shape: [4], payload: [2, 1, 0, 2])),
    ]
    for (name, data) in files {
        _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: data)
        if gzip { try Shell.run("gzip -f \(name)", in: dir) }
    }
}

final class DLDataEndToEndTests: EndToEndCase {

    func testFashionMNISTThroughAPipe() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionDir), "dataset-fashion-mnist is not installed")
        let r = try sh("dl-data fashion-mnist | dl-data cat > x.h5 && h5ls -r x.h5 && dl-data info x.h5")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("/train/X                 Dataset {60000, 784}"), r.out)
        XCTAssertTrue(r.out.contains("/test/X                  Dataset {10000, 784}"), r.out)
        XCTAssertTrue(r.out.contains("/train/X  [60000, 784] float32  range [0, 1]"), r.out)
        XCTAssertTrue(r.out.contains("0 T-shirt/top: 6000, 1 Trouser: 6000"), r.out)
        XCTAssertTrue(r.out.contains("9 Ankle boot: 6000"), r.out)
        XCTAssertTrue(r.out.contains("1. dl-data fashion-mnist"), r.out)
        XCTAssertTrue(r.out.contains("2. dl-data cat"), r.out)
        // The h5py snippet of docs/FORMAT.md reads it.
        try requireH5py()
        try Shell.formatSnippet(reading: "out/data.h5", as: "x.h5").write(toFile: dir + "/read.py", atomically: true, encoding: .utf8)
        let py = try sh("python3 read.py")
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertTrue(py.out.contains("train (60000, 784) float32 (28, 28) classes: 10 counts: [6000, 6000, 6000"), py.out)
        XCTAssertTrue(py.out.contains("test (10000, 784) float32"), py.out)
    }

    func testMNISTLoaderOnWrittenIDXFilesGzipAndRaw() throws {
        for gz in [true, false] {
            try writeTinyMNIST(dir + "/m\(gz)", gzip: gz)
            let r = try sh("dl-data mnist --dir m\(gz) -o m.h5 && dl-data info m.h5")
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.out.contains("/train/X  [12, 9] float32  range [0, 0.8392]"), r.out)
            XCTAssertTrue(r.out.contains("counts  0: 4, 1: 4, 2: 4"), r.out)
            XCTAssertTrue(r.out.contains("/test/y  [4] int32  3 classes"), r.out)
            XCTAssertTrue(r.out.contains("sample_shape=[3, 3]"), r.out)
        }
        // idx subcommand, no scaling.
        let r = try sh("dl-data idx --train-images mtrue/train-images-idx3-ubyte.gz --train-labels mtrue/train-labels-idx1-ubyte.gz --no-scale | dl-data info")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("/train/X  [12, 9] float32  range [0, 214]"), r.out)
        XCTAssertFalse(r.out.contains("/test"), r.out)
    }

    func testSameSeedSameBytesAndSeedMatters() throws {
        for source in ["spirals", "checkerboard", "sine"] {
            let r = try sh("""
                dl-data \(source) --test-rows 50 --shuffle -s 7 > a.h5 && dl-data \(source) --test-rows 50 --shuffle -s 7 > b.h5 \
                && dl-data \(source) --test-rows 50 --shuffle -s 8 > c.h5 && cmp a.h5 b.h5 && ! cmp -s a.h5 c.h5
                """)
            XCTAssertEqual(r.status, 0, "\(source): \(r.stderr)")
        }
        try writeTinyMNIST(dir + "/m", gzip: true)
        let r = try sh("dl-data mnist --dir m --shuffle --val-fraction 0.25 > a.h5 && dl-data mnist --dir m --shuffle --val-fraction 0.25 > b.h5 && cmp a.h5 b.h5 && dl-data cat a.h5 | dl-data cat > c.h5 && dl-data cat a.h5 | dl-data cat > d.h5 && cmp c.h5 d.h5")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testSyntheticShapesAndTransforms() throws {
        let r = try sh("dl-data checkerboard | dl-data cat --limit 1000 --val-fraction 0.2 --standardize | dl-data info")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("/train/X  [800, 2] float32"), r.out)
        XCTAssertTrue(r.out.contains("/val/X  [200, 2] float32"), r.out)
        XCTAssertTrue(r.out.contains("source   checkerboard"), r.out)
        let s = try sh("dl-data sine --rows 300 | dl-data info")
        XCTAssertTrue(s.out.contains("/train/Y  [300, 1] float32"), s.out)
        let sp = try sh("dl-data spirals | dl-data info")
        XCTAssertTrue(sp.out.contains("/train/X  [5000, 2] float32"), sp.out)
        XCTAssertTrue(sp.out.contains("counts  0: 2500, 1: 2500"), sp.out)
        let only = try sh("dl-data checkerboard --test-rows 10 | dl-data cat --splits train | dl-data info")
        XCTAssertEqual(only.status, 0, only.stderr)
        XCTAssertFalse(only.out.contains("/test"), only.out)
        assertFails(try sh("dl-data checkerboard | dl-data cat --splits train,bogus > o.h5"), status: 2, mentions: "bogus")
    }

    /// fashion-mnist --dir, idx --test-*, and -v.
    func testFoldersTestFilesAndVerbose() throws {
        try writeTinyMNIST(dir + "/f", gzip: true)
        let r = try sh("""
            dl-data fashion-mnist --dir f -o fm.h5 && dl-data info fm.h5 \
            && dl-data idx --train-images f/train-images-idx3-ubyte.gz --train-labels f/train-labels-idx1-ubyte.gz \
                 --test-images f/t10k-images-idx3-ubyte.gz --test-labels f/t10k-labels-idx1-ubyte.gz --source tiny | dl-data info
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("source   fashion-mnist"), r.out)
        XCTAssertTrue(r.out.contains("0 T-shirt/top: 4, 1 Trouser: 4, 2 Pullover: 4"), r.out)
        XCTAssertTrue(r.out.contains("source   tiny"), r.out)
        XCTAssertTrue(r.out.contains("/test/X  [4, 9] float32  range [0.8627, 1]"), r.out)
        XCTAssertTrue(r.out.contains("/test/y  [4] int32  3 classes"), r.out)
        assertFails(try sh("dl-data fashion-mnist --dir nowhere -o x.h5"), status: 1, mentions: "no Fashion-MNIST files in nowhere")
        assertFails(try sh("dl-data idx --train-images f/train-images-idx3-ubyte.gz --train-labels f/train-labels-idx1-ubyte.gz --test-images f/t10k-images-idx3-ubyte.gz -o x.h5"),
                    status: 2, mentions: "--test-images and --test-labels go together")
        let v = try sh("dl-data cat fm.h5 -v -o a.h5 && dl-data cat fm.h5 -o b.h5 && cmp a.h5 b.h5")
        XCTAssertEqual(v.status, 0, v.stderr)
        // (On a CPU OpenBLAS 0.3.21 does not know, -v also notes the kernel dl chose.)
        let logged = v.stderr.split(separator: "\n").filter { !$0.contains("OpenBLAS picked") }
        XCTAssertEqual(logged, ["dl-data: copied fm.h5 to a.h5"], "-v logs the copy; without it, nothing")
    }

    /// --turns, --noise, --periods and --squares shape the data as documented.
    func testSyntheticOptionsShapeTheData() throws {
        let r = try sh("""
            dl-data spirals --rows 400 --turns 3 -q > t3.h5 && dl-data spirals --rows 400 --turns 3 --noise 0.05 -q > n.h5 \
            && dl-data sine --rows 300 --periods 1 -q > p1.h5 && dl-data sine --rows 300 --periods 1 --noise 0.1 -q > pn.h5 \
            && dl-data checkerboard --rows 500 --squares 2 -q > q2.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            def xy(f, t="y"):
                g = h5py.File(f)["train"]; return g["X"][:].astype(np.float64), g[t][:]
            X, y = xy("t3.h5")
            r, a = np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])
            off = np.angle(np.exp(1j * (a - 2 * np.pi * 3 * r - np.pi * y)))   # arm c: angle 2π·turns·r + π·c
            print(np.abs(off).max() < 1e-4, r.max() <= 1)
            Xn, _ = xy("n.h5")
            rn, an = np.hypot(Xn[:, 0], Xn[:, 1]), np.arctan2(Xn[:, 1], Xn[:, 0])
            print(np.abs(np.angle(np.exp(1j * (an - 2 * np.pi * 3 * rn - np.pi * y)))).max() > 0.1)
            X, Y = xy("p1.h5", "Y")
            print(np.abs(Y[:, 0] - np.sin(np.pi * X[:, 0])).max() < 1e-6, -1 < X.min() and X.max() < 1)
            Xn, Yn = xy("pn.h5", "Y")
            print(0.07 < np.std(Yn[:, 0] - np.sin(np.pi * Xn[:, 0])) < 0.13)
            X, y = xy("q2.h5")
            print(np.array_equal(y, ((X[:, 0] >= 0).astype(int) + (X[:, 1] >= 0).astype(int)) % 2), X.min() >= -0.5, X.max() < 0.5)
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "True True\nTrue\nTrue True\nTrue\nTrue True True\n")
    }

    /// `dl-data cat` copies only what passes the schema check.
    func testCatChecksTheSchemaBeforeCopying() throws {
        try sh("dl-data spirals --rows 100 -q > s.h5 && dl-fit s.h5 --arch 2-4-2 --epochs 1 --batch-size 10 -q -o m.h5")
        let ok = try sh("dl-data cat m.h5 -o m2.h5 && dl-fit eval m2.h5 s.h5 | cmp - <(dl-fit eval m.h5 s.h5) && h5diff m.h5 m2.h5 /model")
        XCTAssertEqual(ok.status, 0, ok.stderr)
        try requireH5py()
        try sh("""
            python3 - <<'PY'
            import h5py, numpy as np, shutil
            f = h5py.File("ycount.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.zeros((10, 2), np.float32); f["train/y"] = np.zeros(9, np.int32); f.close()
            f = h5py.File("ytype.h5", "w"); f.attrs["dl_kind"] = "data"
            f["train/X"] = np.zeros((10, 2), np.float32); f["train/y"] = np.zeros(10, np.float32); f.close()
            shutil.copy("m.h5", "w.h5"); f = h5py.File("w.h5", "r+"); del f["model/layers/2/W"]; f["model/layers/2/W"] = np.zeros((2, 4), np.float32); f.close()
            f = h5py.File("kind.h5", "w"); f.attrs["dl_kind"] = "hologram"; f.close()
            f = h5py.File("nr.h5", "w"); f.attrs["dl_kind"] = "neurashed"; f.close()
            f = h5py.File("packed.h5", "w"); f.attrs["dl_kind"] = "packed"; f.close()
            PY
            """)
        assertFails(try sh("dl-data cat ycount.h5 -o o.h5"), status: 1, mentions: "/train/y is int32 of shape [9], but ycount.h5: /train/X has 10 rows")
        assertFails(try sh("dl-data cat ytype.h5 -o o.h5"), status: 1, mentions: "/train/y is float32")
        assertFails(try sh("dl-data cat w.h5 -o o.h5"), status: 1, mentions: "/model/layers/2/W is float32 [2, 4], expected float [4, 2]")
        assertFails(try sh("dl-data cat kind.h5 -o o.h5"), status: 1, mentions: "a dl hologram file, which this version of dl does not know")
        assertFails(try sh("dl-data cat nr.h5 -o o.h5"), status: 1, mentions: "nr.h5 has no /graph group")
        assertFails(try sh("dl-data cat packed.h5 -o o.h5"), status: 1, mentions: "packed.h5 has no /packed group")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.h5"))
    }

    func testVersion() throws {
        XCTAssertTrue(try sh("dl-data --version").out.hasPrefix("dl 0.1.0\nOpenBLAS "))
    }

    // MARK: bad input: one line, exit status, no partial output

    func testUsageMistakesExit2() throws {
        assertFails(try sh("dl-data spirals --rows 0"), status: 2, mentions: "--rows must lie in 1…")
        assertFails(try sh("dl-data frobnicate"), status: 2, mentions: "frobnicate")
        assertFails(try sh("dl-data spirals --bogus"), status: 2, mentions: "--bogus")
        assertFails(try sh("dl-data cat --val-fraction 2 x.h5"), status: 2, mentions: "--val-fraction")
    }

    func testMissingAndNonIDXFiles() throws {
        assertFails(try sh("dl-data mnist --dir nowhere -o out.h5"), status: 1, mentions: "no folder nowhere")
        try writeTinyMNIST(dir + "/m", gzip: false)
        // Wrong magic: a text file in place of the images.
        try "hello world, not idx".write(toFile: dir + "/m/train-images-idx3-ubyte", atomically: true, encoding: .utf8)
        assertFails(try sh("dl-data mnist --dir m -o out.h5"), status: 1, mentions: "not an IDX file (magic number 68656c6c)")
        // Truncated IDX.
        try writeTinyMNIST(dir + "/t", gzip: false)
        try sh("head -c 50 t/train-images-idx3-ubyte > cut && mv cut t/train-images-idx3-ubyte")
        assertFails(try sh("dl-data mnist --dir t -o out.h5"), status: 1, mentions: "truncated")
        // Truncated gzip.
        try writeTinyMNIST(dir + "/g", gzip: true)
        try sh("head -c 30 g/train-images-idx3-ubyte.gz > cut && mv cut g/train-images-idx3-ubyte.gz")
        assertFails(try sh("dl-data mnist --dir g -o out.h5"), status: 1, mentions: "damaged")
        // Image and label counts disagree.
        try writeTinyMNIST(dir + "/c", gzip: false)
        try sh("cp c/t10k-labels-idx1-ubyte c/train-labels-idx1-ubyte")
        assertFails(try sh("dl-data mnist --dir c -o out.h5"), status: 1, mentions: "12 images but")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }

    func testBadHDF5Inputs() throws {
        assertFails(try sh("dl-data info missing.h5"), status: 1, mentions: "cannot open missing.h5")
        try sh("echo 'plain text' > t.txt")
        assertFails(try sh("dl-data info t.txt"), status: 1, mentions: "t.txt is not an HDF5 file")
        assertFails(try sh("dl-data cat < t.txt > o.h5"), status: 1, mentions: "standard input is not an HDF5 file")
        assertFails(try sh("dl-data cat < /dev/null > o.h5"), status: 1, mentions: "standard input is empty")
        assertFails(try sh("dl-data spirals -q | head -c 3000 | dl-data info"), status: 1, mentions: "truncated or damaged")
        try requireH5py()
        try sh("python3 -c \"import h5py; h5py.File('plain.h5', 'w')['a'] = [1, 2]\"")
        assertFails(try sh("dl-data info plain.h5"), status: 1, mentions: "not a dl file")
        assertFails(try sh("dl-data cat plain.h5 -o o2.h5"), status: 1, mentions: "not a dl file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o2.h5"))
    }

    func testRefusesTerminalAndUnwritableOutputs() throws {
        let haveScript = Shell.have("script")
        if haveScript {
            let r = try sh("script -qec 'dl-data spirals' /dev/null")
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.out.contains("refusing to write HDF5 to a terminal"), r.out)
        }
        assertFails(try sh("dl-data spirals > /dev/full"), status: 1, mentions: "No space left on device")
        assertFails(try sh("dl-data spirals -o /dev/full"), status: 1, mentions: "No space left on device")
        assertFails(try sh("dl-data spirals -o nofolder/x.h5"), status: 1, mentions: "folder nofolder does not exist")
        assertFails(try sh("dl-data spirals -o /proc/dl-test.h5"), status: 1, mentions: "cannot write /proc/dl-test.h5")
        // A failed run leaves no output and no temporary file; an earlier good file survives.
        try sh("dl-data spirals -o keep.h5")
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/keep.h5"))
        assertFails(try sh("dl-data cat missing.h5 -o keep.h5"), status: 1, mentions: "missing.h5")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/keep.h5")), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".std") }, ["keep.h5"])
        try XCTSkipUnless(haveScript, "script (util-linux) is not installed: the refusal to write to a terminal was not checked")
    }

    /// Crafted inputs that once trapped, hung or were silently mangled.
    func testHostileInputs() throws {
        let hugeImages = idx(type: 8, shape: [0, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [])
        _ = FileManager.default.createFile(atPath: dir + "/huge", contents: hugeImages)
        _ = FileManager.default.createFile(atPath: dir + "/nolabels", contents: idx(type: 8, shape: [0], payload: []))
        assertFails(try sh("dl-data idx --train-images huge --train-labels nolabels -o o.h5"), status: 1, mentions: "too large")
        // int32 labels are decoded exactly, and absurd class counts refused.
        _ = FileManager.default.createFile(atPath: dir + "/img", contents: idx(type: 8, shape: [1, 2], payload: [1, 2]))
        _ = FileManager.default.createFile(atPath: dir + "/big", contents: idx(type: 0x0C, shape: [1], payload: [0x7F, 0xFF, 0xFF, 0xFF]))
        assertFails(try sh("dl-data idx --train-images img --train-labels big -o o.h5"), status: 1, mentions: "label 2147483647")
        _ = FileManager.default.createFile(atPath: dir + "/f32", contents: idx(type: 0x0D, shape: [1], payload: [0, 0, 0, 0]))
        assertFails(try sh("dl-data idx --train-images img --train-labels f32 -o o.h5"), status: 1, mentions: "not integer labels")
        // Option extremes are usage errors, not traps or hangs.
        assertFails(try sh("dl-data spirals --turns 1e22 -o o.h5"), status: 2, mentions: "--turns")
        assertFails(try sh("dl-data sine --noise inf -o o.h5"), status: 2, mentions: "--noise")
        assertFails(try sh("dl-data spirals --rows 4611686018427387904 -o o.h5"), status: 2, mentions: "--rows")
        assertFails(try sh("dl-data checkerboard --squares 9223372036854775807 -o o.h5"), status: 2, mentions: "--squares")
        assertFails(try sh("dl-data spirals --threads 99999999999 -o o.h5"), status: 2, mentions: "--threads")
        assertFails(try sh("dl-data spirals | dl-data cat --splits test -o o.h5"), status: 2, mentions: "must keep train")
        assertFails(try sh("dl-data spirals | dl-data cat --splits , -o o.h5"), status: 2, mentions: "unknown split")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.h5"))
        // Named pipes and /dev/stdin are read whole.
        let fifo = try sh("dl-data spirals -q > s.h5 && dl-data info <(cat s.h5) && cat s.h5 | dl-data info /dev/stdin")
        XCTAssertEqual(fifo.status, 0, fifo.stderr)
        XCTAssertTrue(fifo.out.contains("/train/X  [5000, 2] float32"), fifo.out)
        try requireH5py()
        let crafted = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np
            def base(name):
                f = h5py.File(name, "w"); f.attrs["dl_kind"] = "data"; return f
            f = base("widths.h5")
            f["train/X"] = np.zeros((3, 2), np.float32); f["train/y"] = np.zeros(3, np.int32)
            f["test/X"] = np.zeros((3, 5), np.float32); f["test/y"] = np.zeros(3, np.int32); f.close()
            f = base("labels.h5")
            f["train/X"] = np.zeros((2, 2), np.float32); f["train/y"] = np.array([0, 2**40], np.uint64); f.close()
            f = base("shape.h5")
            f["train/X"] = np.zeros((2, 2), np.float32); f["train/y"] = np.zeros(2, np.int32)
            f["train"].attrs["sample_shape"] = np.array([2**40, 2**40], np.int64); f.close()
            f = base("classes.h5")
            f["train/X"] = np.zeros((2, 2), np.float32); f["train/y"] = np.array([0, 2**62], np.int64)
            f["train"].attrs["n_classes"] = 10**15; f.close()
            f = base("chunked.h5")
            f.create_dataset("train/X", shape=(2**40, 2**40), dtype=np.float32, chunks=(1, 1)); f.close()
            PY
            """)
        XCTAssertEqual(crafted.status, 0, crafted.stderr)
        assertFails(try sh("dl-data cat --standardize widths.h5 -o o.h5"), status: 1, mentions: "columns but")
        assertFails(try sh("dl-data cat --shuffle labels.h5 -o o.h5"), status: 1, mentions: "label 1099511627776")
        assertFails(try sh("dl-data cat --shuffle shape.h5 -o o.h5"), status: 1, mentions: "sample_shape")
        assertFails(try sh("dl-data cat --shuffle classes.h5 -o o.h5"), status: 1, mentions: "label 4611686018427387904")
        assertFails(try sh("dl-data cat --shuffle chunked.h5 -o o.h5"), status: 1, mentions: "too large")
        let info = try sh("dl-data info classes.h5")
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.out.contains("4611686018427387904: 1"), info.out)
        XCTAssertTrue(info.out.contains("label values lie outside"), info.out)
        XCTAssertLessThan(info.stdout.count, 2000)
        // info lists the huge dataset's shape without reading it.
        let big = try sh("dl-data info chunked.h5")
        XCTAssertEqual(big.status, 0, big.stderr)
        XCTAssertTrue(big.out.contains("/train/X  [1099511627776, 1099511627776] float32"), big.out)
    }

    func testReaderExitingEarlyEndsQuietly() throws {
        let r = try sh("dl-data spirals --rows 3000000 -q | head -c 100 > /dev/null; echo \"status ${PIPESTATUS[0]}\"")
        XCTAssertEqual(r.out, "status 141\n")
        XCTAssertEqual(r.stderr, "")
    }
}
