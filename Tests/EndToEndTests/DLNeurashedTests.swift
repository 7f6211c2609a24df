import XCTest
import Foundation

final class DLNeurashedEndToEndTests: EndToEndCase {
    /// A run as h5py reads it, the same bytes again for the same seed, and a
    /// preset's printed spec giving the same run as the preset itself.
    func testTrainWritesATrajectoryThatH5pyReads() throws {
        let r = try sh("""
            dl-neurashed train --preset fig5 -n 400 --every 50 -s 3 -o a.h5 && dl-neurashed train --preset fig5 -n 400 --every 50 -s 3 -q > b.h5 \
            && cmp a.h5 b.h5 && dl-neurashed spec fig5 > fig5.json && dl-neurashed train fig5.json -n 400 --every 50 -s 3 -q -o c.h5 \
            && dl-neurashed spec fig5 | dl-neurashed train - -n 400 --every 50 -s 3 -q -o d.h5 \
            && dl-neurashed train --preset fig5 -n 400 --every 50 -s 4 -q -o e.h5 && ! cmp -s a.h5 e.h5 \
            && dl-neurashed pathways --preset fig1 > p.tsv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 feature levels (14, 6 nodes), 2 classes, 8 input types"), r.stderr)
        XCTAssertTrue(r.stderr.contains("iteration 400: accuracy"), r.stderr)
        let p = try String(contentsOfFile: dir + "/p.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(p.first, "type\tclass\tlevel\tfiring")
        XCTAssertTrue(p.contains("1b\tclass1\t2\tb2 b3"), "\(p)")
        XCTAssertTrue(p.contains("2\tclass2\t3\tc2 c3"), "\(p)")
        try requireH5py()
        let py = try sh("""
            python3 - <<'PY'
            import h5py, numpy as np, json
            a, c, d = h5py.File("a.h5"), h5py.File("c.h5"), h5py.File("d.h5")
            assert d["graph"].attrs["spec_file"] == "standard input"
            assert a.attrs["dl_kind"] == "neurashed" and a["graph"].attrs["preset"] == "fig5" and c["graph"].attrs["preset"] == "file"
            t = a["trajectory"]
            assert list(t["iteration"][()]) == [0, 50, 100, 150, 200, 250, 300, 350, 400]
            assert t["lambda"].shape == (9, 20) and t["eta"].shape == (9, 6) and t["logits"].shape == (9, 8, 2)
            assert t.attrs["g_plus"] == "mul:%r" % (1.022 ** 2.75) or abs(float(t.attrs["g_plus"][4:]) - 1.022 ** 2.75) < 1e-15
            for k in ["lambda", "eta", "logits", "accuracy", "loss"]:
                assert np.array_equal(t[k][()], c["trajectory"][k][()]) and np.array_equal(t[k][()], d["trajectory"][k][()]), k
            spec = json.loads(bytes(a["graph/spec"][()]).decode())
            assert [len(l) for l in spec["levels"]] == [14, 6] and len(spec["types"]) == 8
            # The λ columns' names, stored at any size (the spec only up to 100,000 nodes).
            names = bytes(a["graph/node_names"][()]).decode().split("\\n")
            assert names == [n if isinstance(n, str) else n["name"] for l in spec["levels"] for n in l], names
            assert names[14] == "b1" and len(names) == t["lambda"].shape[1]
            # eq. 2.1 recomputed from the file: type 1a fires a1, a2, a7 → b1, b2 → class 1.
            lam, eta, z = t["lambda"][-1], t["eta"][-1], t["logits"][-1]
            b1 = lam[14] * (lam[0] + lam[1]); b2 = lam[15] * (lam[0] + lam[1] + lam[6])
            assert abs(z[0, 0] - (eta[0] * b1 + eta[1] * b2)) <= 1e-12 * abs(z[0, 0]) and z[0, 1] == 0
            # b2 fires for every class-1 type, b1 for half: b2 outgrows b1 (the appendix's dominant node).
            assert lam[15] > 100 * lam[14]
            print("ok")
            PY
            """)
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.out, "ok\n")
    }

    func testElasticityTable() throws {
        let r = try sh("dl-neurashed elasticity --preset fig1 -n 0 --g-plus add:1 --g-minus mul:1 --initialization const:1 > le.tsv")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("after 0 iterations: same-class LE above every cross-class LE for "), r.stderr)
        let rows = try String(contentsOfFile: dir + "/le.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.first, ["base", "base_class", "test", "test_class", "same_class", "le", "base_change"])
        XCTAssertEqual(rows.count, 1 + 16)
        let le = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0] + ">" + $0[2], Double($0[5]) ?? .nan) })
        XCTAssertEqual(le["1a>1a"], 1)
        XCTAssertGreaterThan(le["1a>1b"]!, le["1a>2"]!)
        XCTAssertEqual(le["1a>3"], 0)
        assertFails(try sh("dl-neurashed elasticity --preset fig1 -o le.h5x --g-minus add:1"), status: 2, mentions: "that g⁻ increases λ")
        let sp = try sh("dl-neurashed sparsity --preset fig5 -n 500 && dl-neurashed sparsity --preset fig5 -n 500 --full-batch")
        XCTAssertEqual(sp.status, 0, sp.stderr)
        let tables = sp.out.components(separatedBy: "level\tnodes\tnodes_90\ttop_share\teffective_nodes\n").filter { !$0.isEmpty }
        XCTAssertEqual(tables.count, 2, sp.out)
        let level2 = tables.map { Int($0.split(separator: "\n")[1].split(separator: "\t")[2])! }
        XCTAssertLessThan(level2[0], level2[1], "batch 1 is sparser than the full batch: \(sp.out)")
        assertFails(try sh("dl-neurashed sparsity --preset fig5 --full-batch --batch-size 4"), status: 2, mentions: "--full-batch takes every type once")
        assertFails(try sh("dl-neurashed train --preset fig5 --full-batch --cyclic -o x.h5"), status: 2, mentions: "--full-batch and --cyclic are two ways")
        // Types in turn with g⁺ = x + 1, g⁻ = x from 0: 400 iterations fire each of fig5's 8 types 50 times;
        // a1 (type 1a only) ends at 50, b2 (every class-1 type) at 200; η stays 1.
        let cy = try sh("dl-neurashed train --preset fig5 -n 400 --every 400 --cyclic --fixed-eta --g-plus add:1 --g-minus mul:1 --initialization const:0 -q -o cy.h5")
        XCTAssertEqual(cy.status, 0, cy.stderr)
        try requireH5py()
        let py = try sh("python3 -c \"import h5py; t = h5py.File('cy.h5')['trajectory']; l = t['lambda'][-1]; print(l[0], l[15], t['eta'][-1].min(), t['eta'][-1].max(), t.attrs['cyclic'])\"")
        XCTAssertEqual(py.out, "50.0 200.0 1.0 1.0 1\n", py.stderr)
    }

    func testInformationTable() throws {
        let r = try sh("dl-neurashed information --preset fig5 -n 400 --every 200 --samples 100 > ib.tsv && dl-neurashed information --preset fig5 -n 400 --every 200 --samples 100 -q | cmp - ib.tsv")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try String(contentsOfFile: dir + "/ib.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.first, ["iteration", "level", "i_input", "i_label"])
        XCTAssertEqual(rows.dropFirst().map { $0[0] + "/" + $0[1] }, ["0/1", "0/2", "200/1", "200/2", "400/1", "400/2"])
        XCTAssertEqual(Double(rows[6][2])!, 1, accuracy: 0.02, "level 2 forgets the halves: \(rows)")
        assertFails(try sh("dl-neurashed information --preset fig5 --noise 0"), status: 2, mentions: "--noise must be positive")
        assertFails(try sh("dl-neurashed information --preset fig5 --view pixels"), status: 2, mentions: "The value 'pixels' is invalid for '--view <view>'. Please provide one of 'factors' and 'scores'.")
    }

    func testTheorem1Grid() throws {
        let r = try sh("dl-neurashed theorem1 --grid-shared 1,2 --grid-per-class 3 --grid-rounds 10,1000 --grid-nodes 50 > t1.tsv")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try String(contentsOfFile: dir + "/t1.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.first, ["m", "L", "K", "b1", "b2", "t", "c", "ratio", "limit", "expansion"])
        XCTAssertEqual(rows.count, 5)
        for row in rows.dropFirst() where row[5] == "1000" {
            XCTAssertEqual(Double(row[7])!, Double(row[8])!, accuracy: 0.01, "\(row)")
        }
        assertFails(try sh("dl-neurashed theorem1 --grid-shared 1,x"), status: 2, mentions: "--grid-shared takes comma-separated integers, e.g. 5,10,20 (got '1,x')")
        // --record-time adds the iterations' seconds (and only then: the default file has none).
        let rt = try sh("dl-neurashed train --preset random --nodes 20 -n 100 --every 100 --record-time -o rt.h5 && dl-neurashed train --preset random --nodes 20 -n 100 --every 100 -q -o plain.h5")
        XCTAssertEqual(rt.status, 0, rt.stderr)
        XCTAssertTrue(rt.stderr.contains("iterations/s); wrote"), rt.stderr)
        try requireH5py()
        let py = try sh("python3 -c \"import h5py; a = h5py.File('rt.h5')['trajectory'].attrs; b = h5py.File('plain.h5')['trajectory'].attrs; print(a['step_seconds'] > 0, 'step_seconds' in b, h5py.File('plain.h5')['graph'].attrs['node_name_rule'], 'l2n19' in bytes(h5py.File('plain.h5')['graph/spec'][()]).decode())\"")
        XCTAssertEqual(py.out, "True False l<level>n<index> True\n", py.stderr)
        assertFails(try sh("dl-neurashed theorem1 --grid-nodes 5 --grid-per-class 3"), status: 2, mentions: "cannot hold b1 + K·b2")
    }

    func testBadInputIsOneLineAndNoFile() throws {
        try "{\"levels\": [[\"a\"], [{\"name\": \"x\", \"from\": [\"a\"], \"rule\": \"at-least 2\"}]], \"classes\": [], \"types\": []}"
            .write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        assertFails(try sh("dl-neurashed train bad.json -o x.h5"), status: 1, mentions: "bad.json: level 2 node 'x' fires on at least 2 dependents but has only 1")
        assertFails(try sh("dl-neurashed train --preset fig9 -o x.h5"), status: 2, mentions: "The value 'fig9' is invalid for '--preset <name>'. Please provide one of 'fig5', 'fig1' or 'random'.")
        assertFails(try sh("dl-neurashed train bad.json --preset fig5 -o x.h5"), status: 2, mentions: "give a spec file or --preset, not both")
        assertFails(try sh("dl-neurashed train -o x.h5"), status: 2, mentions: "give a graph spec file or --preset")
        assertFails(try sh("dl-neurashed train --preset fig5 --g-minus mul:1.5 -o x.h5"), status: 2, mentions: "that g⁻ increases λ")
        assertFails(try sh("dl-neurashed train --preset fig5 --g-plus add:0 -o x.h5"), status: 2, mentions: "a g⁺ of x + c needs c > 0")
        assertFails(try sh("dl-neurashed train --preset fig5 --initialization uniform:0 -o x.h5"), status: 2, mentions: "--initialization 'uniform:0'")
        assertFails(try sh("dl-neurashed train --preset fig5 --nodes 50 -o x.h5"), status: 2, mentions: "size --preset random only")
        assertFails(try sh("dl-neurashed train --preset random --nodes 5 -o x.h5"), status: 2, mentions: "cannot hold b1 + K·b2 = 8 disjoint nodes")
        assertFails(try sh("dl-neurashed train nothere.json -o x.h5"), status: 1, mentions: "cannot read the graph spec nothere.json")
        assertFails(try sh("dl-neurashed train --preset fig5 -n 100000 --g-plus mul:2 -q -o x.h5"), status: 1, mentions: "the logits overflowed by iteration")
        assertFails(try sh("dl-neurashed spec nope"), status: 2, mentions: "The value 'nope' is invalid for '<name>'. Please provide one of 'fig5', 'fig1' or 'random'.")
        assertFails(try sh("dl-neurashed train --preset fig5 -n 100000000 --every 1 -o x.h5"), status: 2, mentions: "raise --every or lower --iterations")
        assertFails(try sh("dl-neurashed train --preset fig5 --batch-size 9223372036854775807 --cyclic -o x.h5"), status: 2, mentions: "--batch-size must lie in 1…10⁶")
        assertFails(try sh("dl-neurashed train --preset random --classes 4611686018427387904 --per-class 2 -o x.h5"), status: 2, mentions: "--classes 4611686018427387904 is more than this tool holds")
        assertFails(try sh("dl-neurashed theorem1 --grid-rounds 9223372036854775807"), status: 2, mentions: "is more than 10⁹ iterations")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"))
        try sh("dl-neurashed train --preset fig1 -n 10 -q -o run.h5")
        assertFails(try sh("dl-measure rank run.h5"), status: 1, mentions: "run.h5 is a neurashed run, not a model or data file")
        // dl-data reads the kind: info describes it, cat checks its schema and copies it.
        let info = try sh("dl-data info run.h5 && dl-data cat run.h5 -q -o copy.h5")
        XCTAssertEqual(info.status, 0, info.stderr)
    }
}
