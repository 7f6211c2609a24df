import XCTest
import Foundation

/// Never lose a user's file (SPEC §2), tool by tool: every output is checked
/// against the inputs (by device and inode) and the file system before any work,
/// a failed run leaves none of its outputs, and every reader of models and data
/// refuses the same bad values with the same line.
final class RunFilesEndToEndTests: EndToEndCase {
    /// d.h5 (spirals), m.h5 (a 2-8-2 model), spec.json (fig1's graph), l1.h5 (a layer-wise step).
    func makeInputs() throws {
        let r = try sh("""
            dl-data spirals --rows 200 -q -o d.h5 && dl-fit d.h5 --arch 2-8-2 --epochs 1 -q -o m.h5 && \
            dl-neurashed spec fig1 -o spec.json && \
            dl-layerwise step d.h5 --arch 2-8-2 --layer 1 --epochs 1 -q -o l1.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func bytes(_ name: String) -> Data? { try? Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)) }

    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".std") }.sorted()
    }

    /// Every tool that reads a file, asked to write over it (directly, through a
    /// symlink, or by another spelling of the path), refuses before any work.
    func testNoToolWritesOverItsInput() throws {
        try makeInputs()
        try sh("ln -s d.h5 link-d.h5 && ln -s m.h5 link-m.h5")
        let cases: [(command: String, victim: String)] = [
            ("dl-data cat d.h5 -o d.h5", "d.h5"),
            ("dl-data cat d.h5 --shuffle -o ./link-d.h5", "d.h5"),
            ("dl-data info m.h5 -o m.h5", "m.h5"),
            ("dl-kfilter -k 3 d.h5 -o d.h5", "d.h5"),
            ("dl-fit d.h5 --arch 2-8-2 --epochs 1 -o link-d.h5", "d.h5"),
            ("dl-fit d.h5 --init-from m.h5 --epochs 1 -o m.h5", "m.h5"),
            ("dl-fit project d.h5 --arch 2-8-2 -o d.h5", "d.h5"),
            ("dl-fit eval m.h5 d.h5 -o d.h5", "d.h5"),
            ("dl-fit eval m.h5 link-d.h5 -o ../\((dir as NSString).lastPathComponent)/d.h5", "d.h5"),
            ("dl-fit features m.h5 d.h5 --layer 1 -o m.h5", "m.h5"),
            ("dl-fit log m.h5 -o link-m.h5", "m.h5"),
            ("dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 --report d.h5 -o new.h5", "d.h5"),
            ("dl-layerwise step d.h5 --arch 2-8-2 --layer 1 --epochs 1 --features d.h5 -o new.h5", "d.h5"),
            ("dl-layerwise stack l1.h5 -o l1.h5", "l1.h5"),
            ("dl-compress m.h5 --report m.h5 -o new.h5", "m.h5"),
            ("dl-compress m.h5 --report r.tsv --data d.h5 -o d.h5", "d.h5"),
            ("dl-compress series m.h5 -o m.h5", "m.h5"),
            ("dl-compress bench m.h5 -o m.h5", "m.h5"),
            ("dl-measure lsd m.h5 d.h5 -o link-d.h5", "d.h5"),
            ("dl-neurashed train spec.json -n 10 -o spec.json", "spec.json"),
            ("dl-neurashed pathways spec.json -o spec.json", "spec.json"),
            ("dl-neurashed elasticity spec.json -n 10 -o spec.json", "spec.json"),
        ]
        for c in cases {
            let before = bytes(c.victim)
            assertFails(try sh(c.command), status: 2, mentions: "is the same file as the input")
            XCTAssertEqual(bytes(c.victim), before, "\(c.command) changed \(c.victim)")
            XCTAssertNil(bytes("new.h5"), "\(c.command) wrote new.h5")
        }
        // --checkpoint-dir's files are outputs too.
        try sh("cp d.h5 layer-1.h5")
        let layer1 = bytes("layer-1.h5")
        assertFails(try sh("dl-layerwise layer-1.h5 --arch 2-8-8-2 --epochs 1 --checkpoint-dir . -o new.h5"), status: 2,
                    mentions: "--checkpoint-dir ./layer-1.h5 is the same file as the input layer-1.h5")
        XCTAssertEqual(bytes("layer-1.h5"), layer1)
        // --init-from's net names the checkpoint files too.
        try sh("mkdir -p ck && cp d.h5 ck/layer-1.h5")
        let ck = bytes("ck/layer-1.h5")
        assertFails(try sh("dl-layerwise ck/layer-1.h5 --init-from m.h5 --epochs 1 --checkpoint-dir ck -o new.h5"), status: 2,
                    mentions: "--checkpoint-dir ck/layer-1.h5 is the same file as the input ck/layer-1.h5")
        XCTAssertEqual(bytes("ck/layer-1.h5"), ck)
        // Standard input and output redirected from and to one file.
        let data = bytes("d.h5")
        assertFails(try sh("dl-fit eval m.h5 - < d.h5 >> d.h5"), status: 2,
                    mentions: "standard output is the same file as the input standard input")
        assertFails(try sh("dl-data cat >> d.h5 < d.h5"), status: 2, mentions: "standard output is the same file as the input standard input")
        XCTAssertEqual(bytes("d.h5"), data)
    }

    func testTwoOutputsNamingOneFileAreRefused() throws {
        try makeInputs()
        assertFails(try sh("dl-compress m.h5 --report r.tsv -o r.tsv"), status: 2, mentions: "-o r.tsv and --report r.tsv name the same file")
        assertFails(try sh("dl-layerwise step d.h5 --arch 2-8-2 --layer 1 --epochs 1 --features z.h5 -o ./z.h5"), status: 2,
                    mentions: "-o ./z.h5 and --features z.h5 name the same file")
        assertFails(try sh("dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 --report - > out.h5"), status: 2,
                    mentions: "-o and --report both write to standard output")
        XCTAssertEqual(try listing(), ["d.h5", "l1.h5", "m.h5", "out.h5", "spec.json"])
    }

    /// Outputs that cannot be written fail the run at its start: one error line
    /// (no epoch or progress line was logged before it) and nothing written.
    func testUnwritableOutputsFailBeforeAnyWork() throws {
        try makeInputs()
        try sh("mkdir folder")
        let cases: [(String, String)] = [
            ("dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 --report nodir/r.tsv -o new.h5", "cannot write --report nodir/r.tsv: folder nodir does not exist"),
            ("dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 --checkpoint-dir nodir -o new.h5", "--checkpoint-dir nodir is not a folder"),
            ("dl-layerwise step d.h5 --arch 2-8-2 --layer 1 --epochs 1 --features nodir/z.h5 -o new.h5", "cannot write --features nodir/z.h5"),
            ("dl-layerwise step d.h5 --arch 2-8-2 --layer 1 --epochs 1 --features folder -o new.h5", "--features folder is a folder"),
            ("dl-layerwise stack l1.h5 --report nodir/r.tsv -o new.h5", "cannot write --report nodir/r.tsv"),
            ("dl-compress m.h5 --report nodir/r.tsv -o new.h5", "cannot write --report nodir/r.tsv"),
            ("dl-fit d.h5 --arch 2-8-2 --epochs 1 -o nodir/m.h5", "cannot write -o nodir/m.h5"),
            ("dl-fit eval m.h5 d.h5 -o folder", "-o folder is a folder"),
            ("dl-neurashed pathways spec.json -o nodir/p.tsv", "cannot write -o nodir/p.tsv"),
            ("dl-neurashed spec fig5 -o nodir/s.json", "cannot write -o nodir/s.json"),
            ("dl-data idx --train-images nofile --train-labels nofile -o nodir/x.h5", "cannot write -o nodir/x.h5"),
        ]
        for (command, message) in cases {
            let r = try sh(command)
            XCTAssertNotEqual(r.status, 0, command)
            assertFails(r, status: r.status, mentions: message)
        }
        XCTAssertEqual(try listing(), ["d.h5", "folder", "l1.h5", "m.h5", "spec.json"])
        // A read-only folder, caught before the run.
        if getuid() != 0 {
            try sh("mkdir ro && chmod 555 ro")
            assertFails(try sh("dl-fit eval m.h5 d.h5 -o ro/e.tsv"), status: 1, mentions: "folder ro is not writable")
        }
    }

    /// An output that fails late (a full device, a file-size limit) takes the
    /// run's other outputs with it, and earlier files stay as they were.
    func testAFailedRunLeavesNoneOfItsOutputs() throws {
        try makeInputs()
        try sh("echo earlier > new.h5")
        let before = try listing()
        for command in [
            "dl-layerwise d.h5 --arch 2-8-8-2 --epochs 1 -q --report /dev/full -o new.h5",
            "dl-layerwise step d.h5 --arch 2-8-2 --layer 1 --epochs 1 -q --features z.h5 --report /dev/full -o new.h5",
            "dl-layerwise stack l1.h5 -q --report /dev/full -o new.h5",
            "dl-compress m.h5 -q --report /dev/full -o new.h5",
        ] {
            assertFails(try sh(command), status: 1, mentions: "cannot write /dev/full")
            XCTAssertEqual(try listing(), before, command)
            XCTAssertEqual(bytes("new.h5"), Data("earlier\n".utf8), command)
        }
        // The last checkpoint file is too large for the limit: the model, the
        // report and the first checkpoint file, all written by then, go too.
        try sh("dl-data spirals --rows 4000 -q -o big.h5 && mkdir ck")
        let r = try sh("trap '' XFSZ; ulimit -f 100; dl-layerwise big.h5 --arch 2-2-256-2 --epochs 1 -q --checkpoint-dir ck --report r.tsv -o new.h5")
        assertFails(r, status: 1, mentions: "cannot write ck/layer-2.h5: File too large")
        XCTAssertEqual(try listing(), (before + ["big.h5", "ck"]).sorted())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/ck"), [])
        XCTAssertEqual(bytes("new.h5"), Data("earlier\n".utf8))
        // A reader that is gone by the time the model is written (`| true` exits at
        // once; the step trains first) ends the run quietly, and its held files go with it.
        let piped = try sh("dl-layerwise step big.h5 --arch 2-2-256-2 --layer 1 --epochs 1 -q --features z.h5 | true; ls -a | grep -c 'z.h5' || true")
        XCTAssertEqual(piped.out, "0\n", "no z.h5, no .z.h5.tmp.*: \(piped.stderr)")
        // The same run without the limit writes all of them.
        XCTAssertEqual(try sh("dl-layerwise big.h5 --arch 2-2-256-2 --epochs 1 -q --checkpoint-dir ck --report r.tsv -o new.h5").status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/ck").sorted(), ["layer-1.h5", "layer-2.h5"])
        XCTAssertNotNil(bytes("r.tsv"))
    }

    /// One rule for NaN, Inf and overflowing values in every reader of models and data.
    func testEveryReaderRefusesBadValuesAlike() throws {
        try requireH5py()
        try makeInputs()
        try sh("""
            python3 - <<'PY'
            import h5py, shutil
            shutil.copy("m.h5", "nan-m.h5")
            with h5py.File("nan-m.h5", "r+") as f:
                b = f["model/layers/2/b"][:]; b[1] = float("nan"); f["model/layers/2/b"][...] = b
            shutil.copy("d.h5", "big.h5")
            with h5py.File("big.h5", "r+") as f:
                x = f["train/X"][:]; x[3, 0] = 3e38; f["train/X"][...] = x
            PY
            """)
        let model = "nan-m.h5: /model/layers/2/b has a NaN or Inf value (did its training diverge?)"
        for command in ["dl-fit eval nan-m.h5 d.h5", "dl-fit features nan-m.h5 d.h5 -o z.h5", "dl-fit d.h5 --init-from nan-m.h5 -o x.h5",
                        "dl-compress nan-m.h5 -o x.h5", "dl-measure lsd nan-m.h5 d.h5", "dl-measure rank nan-m.h5"] {
            assertFails(try sh(command), status: 1, mentions: model)
        }
        let data = "big.h5: /train/X has 3e+38 in row 3, beyond ±1e15 where float32 products overflow"
        for command in ["dl-fit big.h5 --arch 2-8-2 -o x.h5", "dl-fit project big.h5 --arch 2-8-2 -o x.h5", "dl-fit eval m.h5 big.h5",
                        "dl-fit features m.h5 big.h5 -o z.h5", "dl-kfilter -k 3 big.h5 -o x.h5", "dl-measure lsd big.h5",
                        "dl-layerwise big.h5 --arch 2-8-8-2 -o x.h5", "dl-compress m.h5 --report r.tsv --data big.h5 --splits train -o x.h5"] {
            assertFails(try sh(command), status: 1, mentions: data)
        }
        XCTAssertEqual(try listing(), ["big.h5", "d.h5", "l1.h5", "m.h5", "nan-m.h5", "spec.json"])
    }
}
