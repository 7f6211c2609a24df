import XCTest
import Foundation

/// Today's outputs, byte for byte: every tool run here on fixed inputs and seeds,
/// each output's SHA-256 pinned. A refactor of the engine must leave them all
/// unchanged (issue 9); a change that means to alter a file changes its pin here,
/// in the same commit, and says why.
///
/// What goes through float32 BLAS differs in its last bits between OpenBLAS
/// kernels (docs/FORMAT.md, "Determinism"), so those pins are kept per kernel;
/// dl-data and the k-filter's kept rows use no kernel-dependent arithmetic
/// here and are pinned once. To pin a kernel not listed:
///   DL_PIN_PRINT=1 OPENBLAS_CORETYPE=Zen swift test --filter PinnedOutputs
/// prints the table entries to standard error.
final class PinnedOutputsTests: EndToEndCase {
    /// Output file, command that writes it (run in order, in one folder).
    static let runs: [(String, String)] = [
        ("spirals.h5", "dl-data spirals --rows 600 --test-rows 200 --seed 3 -q -o spirals.h5"),
        ("board.h5", "dl-data checkerboard --rows 800 --test-rows 200 -q -o board.h5"),
        ("sine.h5", "dl-data sine --rows 400 --test-rows 100 -q -o sine.h5"),
        ("val.h5", "dl-data cat spirals.h5 --val-fraction 0.25 --splits train,val --seed 5 -q -o val.h5"),
        ("kept.h5", "dl-kfilter -k 5 spirals.h5 --threads 2 -q -o kept.h5"),
        ("kept-batched.h5", "dl-kfilter -k 3 board.h5 --batch 128 --random-batches --seed 2 --threads 2 -q -o kept-batched.h5"),
        ("sgd.h5", "dl-fit spirals.h5 --arch 2-16-16-2 --epochs 3 --wd 0.001 --lr-step 2:0.5 --snapshots --threads 2 -q -o sgd.h5"),
        ("sgd1.h5", "dl-fit board.h5 --arch 2-12-2 --epochs 2 --batch-size 16 --hidden tanh --threads 1 -q -o sgd1.h5"),
        ("adamw.h5", "dl-fit spirals.h5 --arch 2-8-8-2 --optimizer adamw --lr 0.003 --wd 0.01 --epochs 2 --threads 2 -q -o adamw.h5"),
        ("ga.h5", "dl-fit val.h5 --arch 2-10-2 --head exp-ga --targets 0,16 --lr 0.001 --hidden sigmoid --epochs 2 --seed 4 --threads 2 -q -o ga.h5"),
        ("sine-fit.h5", "dl-fit sine.h5 --arch 1-8-8-1 --hidden celu --epochs 2 --batch-size 32 --initialization glorot --threads 2 -q -o sine-fit.h5"),
        ("eval.tsv", "dl-fit eval sgd.h5 spirals.h5 --threads 2 -q -o eval.tsv"),
        ("lsd.tsv", "dl-measure lsd sgd.h5 spirals.h5 --splits all --threads 2 -q -o lsd.tsv"),
        ("lsd-epoch.json", "dl-measure lsd sgd.h5 spirals.h5 --epoch 2 --json --threads 2 -q -o lsd-epoch.json"),
        ("redundancy.tsv", "dl-measure redundancy sgd.h5 spirals.h5 -k 3,5 --batch 200 --threads 2 -q -o redundancy.tsv"),
        ("entropy.tsv", "dl-measure entropy sgd.h5 spirals.h5 --preview-bits 4,8 --threads 2 -q -o entropy.tsv"),
        ("rank.tsv", "dl-measure rank sgd.h5 --threads 2 -q -o rank.tsv"),
        ("dll.h5", "dl-layerwise spirals.h5 --arch 2-16-16-16-2 --hidden tanh --epochs 2,1,1 --decision 8 --input-dropout 0.2 --grad-dropout 0.3 --wd 0.001 --threads 2 -q -o dll.h5"),
        ("dll-robin.h5", "dl-layerwise spirals.h5 --arch 2-12-12-12-2 --subnet-size 2 --rounds 2 --epochs-per-round 1 --order random --kfilter k=3,batch=200,max-fraction=0.5 --batch-size 32 --mode feednet --seed 3 --threads 2 -q -o dll-robin.h5"),
    ]

    /// Outputs that do not depend on the BLAS kernel.
    static let anyKernel: [String: String] = [
        "spirals.h5": "d4efd00a67d34ac1f486265166f472a025b1a5a3affab8e9c51b71ea1af4f3dd",
        "board.h5": "e164ce18b875d923f8f5e2a5f681a27086ec02f9684f0257a42b55f015693637",
        "sine.h5": "101833087bf187232c535f0d89cad2796e6010c03cfb297f15e7ba8a160aeb0d",
        "val.h5": "1c001bd4ae5a0e2cdb36a850749e911e3f542b05bfe5808325aff95202be989a",
        "kept.h5": "cf210a85594766f9187934c703390d955bed8deb31e01a75d51af1e64fd30b7d",
        // Re-pinned when --shuffle became --random-batches: only the command line in dl_history differs.
        "kept-batched.h5": "149ee99626605a0a4881e7332c74ded585b6be1505b6ca416b8942b67da0589b",
    ]

    /// The rest, per OpenBLAS core (as `--version` names it). dll-robin.h5
    /// re-pinned when --kfilter's max= became max-fraction= (its kfilter
    /// attribute and dl_history); Cooperlake and Zen as SkylakeX and Haswell,
    /// whose bytes they have matched in every earlier pin.
    static let perKernel: [String: [String: String]] = [
        "Cooperlake": [
            "sgd.h5": "d446c34abdcedb6a355bababecae710b6bfe043b338e642915c6bc842b20592d",
            "sgd1.h5": "60b1c2c44f9fd631c038ad2b22f6b55acb42a78e6f94e37ca68689f046d22a86",
            "adamw.h5": "5ca200111c76052b6368a61045f50ddb34a0d4ae0794e6a75ae2d9c93776a36f",
            "ga.h5": "7f26525a76ec2b88f8468c996b554245ded1bce3d6f3d71e80eb5880c6292f58",
            "sine-fit.h5": "1c30c37a06da947de9a07135052decab71626c1eef7f0a344bf5e3291a905bd9",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "5c17db7a9b9b7b6d639349bf85bc406ceca537c49c80ef7ef05d1ace89bfd6b0",
            "lsd-epoch.json": "cc032a0ead96fc3228eaf59080ccbd985d7259e6906a66543951d7d7dda7949f",
            "redundancy.tsv": "6f87db42a4c373cc162aa285a36896acb7f3e5ea85c5af7cbf43b964db804c75",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "bdb1f325306b901579fee0bb2a7251907188b81a07421b542fffe2c71266ffea",
            "dll.h5": "ed5b195a6452a8063bcd90660e564d97e869475ca1a11625ea583e30031f92ed",
            "dll-robin.h5": "ac360fdbf21555f073809303f0f3372627f38ae300bb6c9a0d517130d39b6816",
        ],
        "SkylakeX": [
            "sgd.h5": "d446c34abdcedb6a355bababecae710b6bfe043b338e642915c6bc842b20592d",
            "sgd1.h5": "60b1c2c44f9fd631c038ad2b22f6b55acb42a78e6f94e37ca68689f046d22a86",
            "adamw.h5": "5ca200111c76052b6368a61045f50ddb34a0d4ae0794e6a75ae2d9c93776a36f",
            "ga.h5": "7f26525a76ec2b88f8468c996b554245ded1bce3d6f3d71e80eb5880c6292f58",
            "sine-fit.h5": "1c30c37a06da947de9a07135052decab71626c1eef7f0a344bf5e3291a905bd9",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "5c17db7a9b9b7b6d639349bf85bc406ceca537c49c80ef7ef05d1ace89bfd6b0",
            "lsd-epoch.json": "cc032a0ead96fc3228eaf59080ccbd985d7259e6906a66543951d7d7dda7949f",
            "redundancy.tsv": "6f87db42a4c373cc162aa285a36896acb7f3e5ea85c5af7cbf43b964db804c75",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "bdb1f325306b901579fee0bb2a7251907188b81a07421b542fffe2c71266ffea",
            "dll.h5": "ed5b195a6452a8063bcd90660e564d97e869475ca1a11625ea583e30031f92ed",
            "dll-robin.h5": "ac360fdbf21555f073809303f0f3372627f38ae300bb6c9a0d517130d39b6816",
        ],
        "Haswell": [
            "sgd.h5": "42e4722b7adf49f4a1c55355db5d6fd2e99a0bd8673065ff7a9b449127af663b",
            "sgd1.h5": "4b9436132d55e8639fd9360129af2be8a1731de17fed80f870eb8e7b6274777b",
            "adamw.h5": "abe0012593a77cd80e8c193cff6b7d0150b8c577a26782f63651a456b8b653e4",
            "ga.h5": "121df2287644938f81865d3cda35b89ab2746aae13925bfad26161bf26f95dde",
            "sine-fit.h5": "339a917ff4d98ad825e940e7841e85e444c1f5264ea10c0ccdcddd19c63871e6",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "c55ad01296a409cae5ce4a426d1bad8fd425c7e3f8fa84d812339469b1e6991b",
            "lsd-epoch.json": "b7f47500083d4c61a7eb080d404ae27a2236fe3a21d3a8b3dd8132638075b0e4",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "8537c1b16286b240979aa76ab9ef99272c30e62045d321ceee73f907eaf69f09",
            "dll.h5": "5a4531c41556d450fe185d705a5bcef7a9948fd9aedbc689ae80460d60fa4ef5",
            "dll-robin.h5": "c66c89eea9c5b9eb197f67e21eb300c778d490f33566a1572b2a5b29f110426e",
        ],
        "Zen": [
            "sgd.h5": "42e4722b7adf49f4a1c55355db5d6fd2e99a0bd8673065ff7a9b449127af663b",
            "sgd1.h5": "4b9436132d55e8639fd9360129af2be8a1731de17fed80f870eb8e7b6274777b",
            "adamw.h5": "abe0012593a77cd80e8c193cff6b7d0150b8c577a26782f63651a456b8b653e4",
            "ga.h5": "121df2287644938f81865d3cda35b89ab2746aae13925bfad26161bf26f95dde",
            "sine-fit.h5": "339a917ff4d98ad825e940e7841e85e444c1f5264ea10c0ccdcddd19c63871e6",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "c55ad01296a409cae5ce4a426d1bad8fd425c7e3f8fa84d812339469b1e6991b",
            "lsd-epoch.json": "b7f47500083d4c61a7eb080d404ae27a2236fe3a21d3a8b3dd8132638075b0e4",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "8537c1b16286b240979aa76ab9ef99272c30e62045d321ceee73f907eaf69f09",
            "dll.h5": "5a4531c41556d450fe185d705a5bcef7a9948fd9aedbc689ae80460d60fa4ef5",
            "dll-robin.h5": "c66c89eea9c5b9eb197f67e21eb300c778d490f33566a1572b2a5b29f110426e",
        ],
        "Sandybridge": [
            "sgd.h5": "ee637726fa7b62e9cab82e5b5e9a8d1fc28f01d7dd930ade56c55ee116bbb548",
            "sgd1.h5": "d2f265773a8f6b64fe4fd6bec782776e0218f860331c4fc07e1e0399dfb98639",
            "adamw.h5": "72cbe8c6fbc6c011ea743ae189db04ea68ffc1ffd236f34c671bf3f62d3962fb",
            "ga.h5": "9608f2eacf95046e008cfbb7c63617e6a91fca65d91ef0095c078fa89129a4da",
            "sine-fit.h5": "c477abc2d9039f7ca05e05b49c28e1ce70c17d8bf67f02e642aa69086a87988a",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "28c9e8d41b32b7cb94cc49a68506cd4d51e9b7741053463342ed9fac8f013e8f",
            "lsd-epoch.json": "c7c01bdf26afb15742e7b9a8588ef8b89ac0eaa74751379850d2f20f2b43cb5a",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "bc48e1cdbd8e932d1fbff7c7facaae6cd511b3dd8cc65d67a4e4d9cb0703393c",
            "dll.h5": "bcc7a1a44032bc770364d381c67852fb8800c13ac546f7ea91f97d809b47e781",
            "dll-robin.h5": "4e893f78f1381e9c4a9c664aacea8b8e301caf6e562be026aedb5aec471a1391",
        ],
        "Prescott": [
            "sgd.h5": "82af06ec57905ecb8ae8392e698151cc03aa320fdf5a4dd0c269326127818e58",
            "sgd1.h5": "7e148da7d079f1df0d464d9806ea40516098be8bd75314f93428e7f5da7e6268",
            "adamw.h5": "65f38c9cbbd549d61e0f9642b7d765d76b4f7741d74657c264afbf3accfe02dc",
            "ga.h5": "d5b909bce750e3607e1aa16eb5fb21b144a4e0c97e6dd149e34e03ec3cb87ceb",
            "sine-fit.h5": "55ac7ac3dcd03d042661455baec03d090d5f435934f3ed00abdddc3a3154e1f7",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "c0d7a2f400a9bce448591aabde01597e8b36c070996d65c81b8f9d599186af32",
            "lsd-epoch.json": "c7aea381d8795f2d2e67f1340bd9d6f33994c8f6fc9c9202a184286db173bfc4",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "5502db70610d3030fdec2a9932410fec8c0fa2476eeccc9dbe9d54e66b559677",
            "dll.h5": "ce5771e305a7af9560652ded88940f747b3221185e56e667e114527b6942a3a2",
            "dll-robin.h5": "67ca70fd856f63fb00499776dbdc9dd3108140e8eae4551c1b904a1f1a01d451",
        ],
    ]

    func testOutputsAreTheBytesPinnedForThisKernel() throws {
        let version = try sh("dl-fit --version").out
        let core = try XCTUnwrap(version.components(separatedBy: ", core ").dropFirst().first?
            .split(separator: ",").first.map(String.init), version)
        var got: [String: String] = [:]
        for (file, command) in Self.runs {
            let r = try sh(command)
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
            got[file] = try sha256(dir + "/" + file)
        }
        if ProcessInfo.processInfo.environment["DL_PIN_PRINT"] != nil {
            var text = "pins for core \(core):\n"
            for (file, _) in Self.runs { text += "    \"\(file)\": \"\(got[file]!)\",\n" }
            FileHandle.standardError.write(text.data(using: .utf8)!)
        }
        for (file, pin) in Self.anyKernel {
            XCTAssertEqual(got[file], pin, "\(file) changed (\(Self.runs.first { $0.0 == file }!.1))")
        }
        guard let pins = Self.perKernel[core] else {
            throw XCTSkip("no pinned outputs for OpenBLAS core \(core): pin them with DL_PIN_PRINT=1 (see the file's header)")
        }
        for (file, command) in Self.runs where Self.anyKernel[file] == nil {
            XCTAssertEqual(got[file], pins[file], "\(file) changed on core \(core) (\(command))")
        }
    }

    func sha256(_ path: String) throws -> String {
        let r = try Shell.run("sha256sum '\(path)'", in: dir)
        return String(r.out.prefix(64))
    }
}
