import XCTest
import Foundation

/// Today's outputs, byte for byte: every tool run here on fixed inputs and seeds
/// (dl-compress and dl-neurashed included),
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
        ("packed.h5", "dl-compress sgd.h5 --threads 2 -q -o packed.h5"),
        ("packed-report.tsv", "dl-compress sgd.h5 -c 6 --max-bits 8 --data spirals.h5 --report packed-report.tsv -q -o /dev/null"),
        ("decoded.h5", "dl-compress -d packed.h5 -q -o decoded.h5"),
        ("series.tsv", "dl-compress series sgd.h5 -q -o series.tsv"),
        ("fig5.h5", "dl-neurashed train --preset fig5 -n 200 --every 50 -q -o fig5.h5"),
        ("random.h5", "dl-neurashed train --preset random --nodes 30 --g-plus add:1 --g-minus mul:0.99 -n 100 --every 20 -s 2 -q -o random.h5"),
        ("le.tsv", "dl-neurashed elasticity --preset fig1 -n 50 -q -o le.tsv"),
        ("sparsity.tsv", "dl-neurashed sparsity --preset fig5 -n 200 --full-batch -q -o sparsity.tsv"),
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
        // dl-neurashed calls no BLAS: its runs and analyses are the same bytes on every kernel.
        "fig5.h5": "2ad6d81a73e0d47d09a5201c77693abab587876c20e380b14430d5d19638e286",
        "random.h5": "fbeb09bba4b82bf3bac59c2baf97c73b0d16ff2659dbfb67ae1e5aba1fc1c27d",
        "le.tsv": "8506fa02c6c5bc3c91723d09b38fc8b5b8c4fec1f42686a5201c2eadd3764cbb",
        "sparsity.tsv": "aec2b6c9ff4d9b7b9afe70b3c31a39699cb6a1871959f5ce55ada3f65e9726f6",
    ]

    /// The rest, per OpenBLAS core (as `--version` names it). dll-robin.h5
    /// re-pinned when --kfilter's max= became max-fraction= (its kfilter
    /// attribute and dl_history); every model re-pinned when /model stopped
    /// recording α and β for heads that have none, and the layer-wise ones when
    /// their visits ran at different rates. Cooperlake and Zen as SkylakeX
    /// and Haswell, whose bytes they have matched in every earlier pin.
    static let perKernel: [String: [String: String]] = [
        "Cooperlake": [
            "sgd.h5": "355126ca03dee777eb22f212522c9857be03769a1c8b1d7daeec471373656fef",
            "sgd1.h5": "e947e24d9d7e9447d529fb9f2f8a0a2838060214f51e84c0bd873d7b7b8342bc",
            "adamw.h5": "cd9d9916e527202360c16177e52cfc35a82983b95723cacfb8f7cb75419083ed",
            "ga.h5": "a6610696d24d77e6a5491a1cbe79cf96cc9c045f7ce4ba260b14c2f019d336ff",
            "sine-fit.h5": "e43ca7d05be953d266a3e8384e214619d8e11a93835eea36cd707fcaad0fa2b6",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "5c17db7a9b9b7b6d639349bf85bc406ceca537c49c80ef7ef05d1ace89bfd6b0",
            "lsd-epoch.json": "cc032a0ead96fc3228eaf59080ccbd985d7259e6906a66543951d7d7dda7949f",
            "redundancy.tsv": "6f87db42a4c373cc162aa285a36896acb7f3e5ea85c5af7cbf43b964db804c75",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "bdb1f325306b901579fee0bb2a7251907188b81a07421b542fffe2c71266ffea",
            "dll.h5": "c233cae210021044e8c70eb6b2bf022c6b4bacbb7b0c11e0f966077df1f0ae09",
            "dll-robin.h5": "157f33dad66cb7e79e30fdd593eae27d46e682100a485001f0c88280b9a1c557",
            "packed.h5": "523ed8066143f2c9eb3696718ff64ec67d98899878f5a17ca14398ce9d8d387a",
            "packed-report.tsv": "2e6d8bfea5e810e54958fc70288984a45d897190a10c06181452fa96d33cfc18",
            "decoded.h5": "ec252645c28c42ce0e830441fa47bc7bcaa33f1dd0150aeea509501547b9dcd7",
            "series.tsv": "659b398a35a92a4ac915f1a2ed58bdca6962943bd4d46f8663badf33fb25b53b",
        ],
        "SkylakeX": [
            "sgd.h5": "355126ca03dee777eb22f212522c9857be03769a1c8b1d7daeec471373656fef",
            "sgd1.h5": "e947e24d9d7e9447d529fb9f2f8a0a2838060214f51e84c0bd873d7b7b8342bc",
            "adamw.h5": "cd9d9916e527202360c16177e52cfc35a82983b95723cacfb8f7cb75419083ed",
            "ga.h5": "a6610696d24d77e6a5491a1cbe79cf96cc9c045f7ce4ba260b14c2f019d336ff",
            "sine-fit.h5": "e43ca7d05be953d266a3e8384e214619d8e11a93835eea36cd707fcaad0fa2b6",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "5c17db7a9b9b7b6d639349bf85bc406ceca537c49c80ef7ef05d1ace89bfd6b0",
            "lsd-epoch.json": "cc032a0ead96fc3228eaf59080ccbd985d7259e6906a66543951d7d7dda7949f",
            "redundancy.tsv": "6f87db42a4c373cc162aa285a36896acb7f3e5ea85c5af7cbf43b964db804c75",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "bdb1f325306b901579fee0bb2a7251907188b81a07421b542fffe2c71266ffea",
            "dll.h5": "c233cae210021044e8c70eb6b2bf022c6b4bacbb7b0c11e0f966077df1f0ae09",
            "dll-robin.h5": "157f33dad66cb7e79e30fdd593eae27d46e682100a485001f0c88280b9a1c557",
            "packed.h5": "523ed8066143f2c9eb3696718ff64ec67d98899878f5a17ca14398ce9d8d387a",
            "packed-report.tsv": "2e6d8bfea5e810e54958fc70288984a45d897190a10c06181452fa96d33cfc18",
            "decoded.h5": "ec252645c28c42ce0e830441fa47bc7bcaa33f1dd0150aeea509501547b9dcd7",
            "series.tsv": "659b398a35a92a4ac915f1a2ed58bdca6962943bd4d46f8663badf33fb25b53b",
        ],
        "Haswell": [
            "sgd.h5": "b1af4c11de83bac133895e5e3648b0b487564248a9b7d46876e2d764d26ff0fc",
            "sgd1.h5": "d1a972a1b911ac3da501c61c6bd283760651ab4db48ff387ff0e53716cafe0da",
            "adamw.h5": "4fb98299fc62b31f31153c83238d2f687ae62c7a733be7aa8fc5230e939a77c1",
            "ga.h5": "7f5813d62f115d7fa5245e1e1a5f394b3069c66e66b769aa73c41b71cb9d7a70",
            "sine-fit.h5": "2ed5a951a7eafda5e5b190aa7b2acda171301ff9117b5c6ae2220bf79c914302",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "c55ad01296a409cae5ce4a426d1bad8fd425c7e3f8fa84d812339469b1e6991b",
            "lsd-epoch.json": "b7f47500083d4c61a7eb080d404ae27a2236fe3a21d3a8b3dd8132638075b0e4",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "8537c1b16286b240979aa76ab9ef99272c30e62045d321ceee73f907eaf69f09",
            "dll.h5": "2271238a42483af7f98c68a0ddcb61e4e6b8001aef3f3458f18434515584e2cf",
            "dll-robin.h5": "a5c5100306ac563bc2a7617e04000e21a2cce8915f8fc0a70dce01fd72f92857",
            "packed.h5": "a15128570215e1e9877f5cba2221fc3c1f503ab0a01c0e55a81ced9b75ad6e6c",
            "packed-report.tsv": "1b900aef8c830eaac4a15b1963e637e3b6b799a125e3a0b98c22a7c8dda454af",
            "decoded.h5": "1b1ceeafa5b73b398323c82fbef6efeba4c47d66106c456c1b0df0b9c81f08b6",
            "series.tsv": "b8d3f5b587c0d394e783f9a61563a4a26faa472ab3fba319ef312e7ddb0c56bc",
        ],
        "Zen": [
            "sgd.h5": "b1af4c11de83bac133895e5e3648b0b487564248a9b7d46876e2d764d26ff0fc",
            "sgd1.h5": "d1a972a1b911ac3da501c61c6bd283760651ab4db48ff387ff0e53716cafe0da",
            "adamw.h5": "4fb98299fc62b31f31153c83238d2f687ae62c7a733be7aa8fc5230e939a77c1",
            "ga.h5": "7f5813d62f115d7fa5245e1e1a5f394b3069c66e66b769aa73c41b71cb9d7a70",
            "sine-fit.h5": "2ed5a951a7eafda5e5b190aa7b2acda171301ff9117b5c6ae2220bf79c914302",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "c55ad01296a409cae5ce4a426d1bad8fd425c7e3f8fa84d812339469b1e6991b",
            "lsd-epoch.json": "b7f47500083d4c61a7eb080d404ae27a2236fe3a21d3a8b3dd8132638075b0e4",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "8537c1b16286b240979aa76ab9ef99272c30e62045d321ceee73f907eaf69f09",
            "dll.h5": "2271238a42483af7f98c68a0ddcb61e4e6b8001aef3f3458f18434515584e2cf",
            "dll-robin.h5": "a5c5100306ac563bc2a7617e04000e21a2cce8915f8fc0a70dce01fd72f92857",
            "packed.h5": "a15128570215e1e9877f5cba2221fc3c1f503ab0a01c0e55a81ced9b75ad6e6c",
            "packed-report.tsv": "1b900aef8c830eaac4a15b1963e637e3b6b799a125e3a0b98c22a7c8dda454af",
            "decoded.h5": "1b1ceeafa5b73b398323c82fbef6efeba4c47d66106c456c1b0df0b9c81f08b6",
            "series.tsv": "b8d3f5b587c0d394e783f9a61563a4a26faa472ab3fba319ef312e7ddb0c56bc",
        ],
        "Sandybridge": [
            "sgd.h5": "8d267e40b58ad11f2bba39d22c1a83af3217b4ef347b208e9f1c97be9c34b033",
            "sgd1.h5": "3946e53c75ad82fba1073ae9e9581ef9397d86ac46b35d6626dc3732137a6d64",
            "adamw.h5": "7f9855476569c9dd8a69f2dbdedfffba705718fc100032488179e96f14540c66",
            "ga.h5": "5056407d0d7e42266f8022a153a28e3c40b2db05511f7fd5ce60a0281354d396",
            "sine-fit.h5": "c56f63c874c1ff5b3d3a0fa4e9ddd7cda1b5df1dfac1010b293a920162958263",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "28c9e8d41b32b7cb94cc49a68506cd4d51e9b7741053463342ed9fac8f013e8f",
            "lsd-epoch.json": "c7c01bdf26afb15742e7b9a8588ef8b89ac0eaa74751379850d2f20f2b43cb5a",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "bc48e1cdbd8e932d1fbff7c7facaae6cd511b3dd8cc65d67a4e4d9cb0703393c",
            "dll.h5": "ec3b27ec4bd1114d9e30396a14cef9b1214ff8f6f47850387ca639f996306abf",
            "dll-robin.h5": "8b6254f4f8203e634f6709e18a68807b1b84ff7891e0c517768a1a0d2c5a7238",
            "packed.h5": "6ea7e02c5e0af75892b9e32beb491c822a0e1c36f70c0c7d0f2991eb949077d9",
            "packed-report.tsv": "9fdabf706c01a15ef246d6ca8140080c24175951564391232883c19f68cc7a07",
            "decoded.h5": "cb3d9773662ced29637f24cf57ae578a38e2a6b307dd341a173f2c347462cd48",
            "series.tsv": "b10748b04cc092905ea6c25ac7692b64cdb12e1a43e432cf3e120e0edde874b1",
        ],
        "Prescott": [
            "sgd.h5": "d0197b366368b01f74002725fbad212bc874301a89b273838d21860555aaea0e",
            "sgd1.h5": "c382fc0d54eee7166636b1189ec4f80e257bc3b2c00960c8f7c0641d4559a695",
            "adamw.h5": "5da603ddad1e72994d4b376848d8429474f9d4e5ff3e1773deab69b476aefd9e",
            "ga.h5": "bf2e37a0fc27a45905a4828b5bacab50f75282e60a30b3f328573f0ef4cd56a9",
            "sine-fit.h5": "7671f500e68193d541aa05c1f75f35c34b3b95bbbb6074cf2736fb301731a0ce",
            "eval.tsv": "c4589235dd3a97422414661558b8c7d21e7bd8b98d51d219fdffec44bfab5c3d",
            "lsd.tsv": "c0d7a2f400a9bce448591aabde01597e8b36c070996d65c81b8f9d599186af32",
            "lsd-epoch.json": "c7aea381d8795f2d2e67f1340bd9d6f33994c8f6fc9c9202a184286db173bfc4",
            "redundancy.tsv": "63e7c9b01271518a8f5001d7779e3ba9cc04974bf473e67006c2cb23705aa949",
            "entropy.tsv": "80a3121390baf44bfe66b2ca5f4c2c5a5a0215f82b0b80d808eef49bcd98690f",
            "rank.tsv": "5502db70610d3030fdec2a9932410fec8c0fa2476eeccc9dbe9d54e66b559677",
            "dll.h5": "ebf05a4ad9a40d368354b83a6a9b83ec8a8cc71d524255cbe04ad6057c3a178e",
            "dll-robin.h5": "6cdcc9b42236721b4c16dc4b469910716727d8872801ce1d80aa90bba5b3157b",
            "packed.h5": "e2a3ca191b625b92401ca74cc1e0aa3fba34d0758b7508dbf9e549ad0e4b80eb",
            "packed-report.tsv": "ad1ed8cd28f747ca547211e723fcc3749559727143e01f1aeba702c6550668ca",
            "decoded.h5": "b5f36d1184556eba5c264c54e36a61c1928418cdd15b447f91d1ea46a35e65f3",
            "series.tsv": "546ffbef3586ecc3c0717c06e5efb96eb63fd38a7a321ca13052ed06a9de024e",
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
            // DL_REQUIRE_PINS=1 (not CI's default: its CPU may be one nobody pinned yet) makes a missing pin a failure.
            if ProcessInfo.processInfo.environment["DL_REQUIRE_PINS"] == "1" {
                return XCTFail("no pinned outputs for OpenBLAS core \(core), and DL_REQUIRE_PINS=1: pin them with DL_PIN_PRINT=1")
            }
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
