import XCTest
import Foundation
import Shared

/// OpenBLAS kernel selection as users meet it: --version, a user's
/// OPENBLAS_CORETYPE, the one-time re-execution, and what changes across kernels.
final class KernelEndToEndTests: EndToEndCase {
    /// A clean slate: no kernel chosen by hand or by an earlier switch.
    let clean = "env -u OPENBLAS_CORETYPE -u DL_OPENBLAS_SWITCHED_FROM -u DL_TEST_OPENBLAS_CORE -u OPENBLAS_VERBOSE"

    /// The best kernel this CPU runs that OpenBLAS 0.3.21 can be forced to, if any.
    var bestCore: String? { CPUIdentity.current().features.level.openBLASCore }

    func testEveryToolsVersionNamesKernelThreadsAndCPU() throws {
        for tool in ["dl-compress", "dl-data", "dl-fit", "dl-kfilter", "dl-layerwise", "dl-measure", "dl-neurashed"] {
            let r = try sh("\(clean) \(tool) --version")
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.out.split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.first?.hasPrefix("dl ") ?? false, r.out)
            XCTAssertTrue(r.out.contains("OpenBLAS 0."), r.out)
            XCTAssertTrue(r.out.contains(", core "), r.out)
            XCTAssertTrue(r.out.range(of: #"\d+ threads?"#, options: .regularExpression) != nil, r.out)
            XCTAssertTrue(r.out.contains("CPU: "), r.out)
        }
        #if arch(x86_64)
        // With no variable set, the core in use is never below what the CPU runs.
        let core = try sh("\(clean) dl-fit --version").out
        let running = try XCTUnwrap(core.components(separatedBy: ", core ").dropFirst().first?
            .split(separator: ",").first.map(String.init), core)
        let level = try XCTUnwrap(BLASKernel.level(ofCore: running), "unknown core in: \(core)")
        XCTAssertGreaterThanOrEqual(level, CPUIdentity.current().features.level, core)
        #endif
    }

    func testUsersCoreTypeIsRespected() throws {
        #if !arch(x86_64)
        throw XCTSkip("OpenBLAS core names are x86-64's")
        #else
        // Prescott stays Prescott, even when it is a fallback we would replace:
        // one library load (one "Core:" line), no switch.
        let r = try sh("\(clean) OPENBLAS_CORETYPE=Prescott DL_TEST_OPENBLAS_CORE=Prescott OPENBLAS_VERBOSE=2 dl-fit --version")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("core Prescott"), r.out)
        XCTAssertTrue(r.out.contains("set by OPENBLAS_CORETYPE=Prescott"), r.out)
        XCTAssertEqual(r.stderr.components(separatedBy: "Core: ").count - 1, 1, r.stderr)
        if let best = bestCore { XCTAssertTrue(r.out.contains("this CPU could run \(best)"), r.out) }
        #endif
    }

    /// A fallback pick (simulated: DL_TEST_OPENBLAS_CORE stands for what OpenBLAS
    /// reported) re-executes the tool once under the better kernel, with the same
    /// arguments and the same standard input, and -v says so.
    func testFallbackSwitchesOnceKeepingStandardInput() throws {
        guard let best = bestCore else { throw XCTSkip("this CPU has no AVX: there is no better kernel to switch to") }
        try sh("\(clean) dl-data spirals --rows 400 --test-rows 100 -q > s.h5")
        let r = try sh("""
            cat s.h5 | \(clean) DL_TEST_OPENBLAS_CORE=Prescott OPENBLAS_VERBOSE=2 dl-kfilter -k 5 -v > switched.h5 \
            && cat s.h5 | \(clean) dl-kfilter -k 5 -q > plain.h5 && cmp switched.h5 plain.h5
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        // Loaded twice: OpenBLAS's own pick, then the chosen core; never a third time.
        XCTAssertEqual(r.stderr.components(separatedBy: "Core: ").count - 1, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("Core: \(best)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("dl-kfilter: OpenBLAS picked Prescott for this CPU; running on \(best) instead"), r.stderr)
        XCTAssertTrue(r.stderr.contains("k=5: kept "), r.stderr)
        let v = try sh("\(clean) DL_TEST_OPENBLAS_CORE=Prescott dl-measure --version")
        XCTAssertTrue(v.out.contains("core \(best)\n") || v.out.contains("core \(best),"), v.out)
        XCTAssertTrue(v.out.contains("OpenBLAS picked Prescott"), v.out)
        // Without -v the switch is silent.
        let q = try sh("\(clean) DL_TEST_OPENBLAS_CORE=Prescott dl-data spirals --rows 50 -o x.h5")
        XCTAssertFalse(q.stderr.contains("OpenBLAS"), q.stderr)
    }

    /// What each tool promises across kernels (README, "BLAS kernels"): dl-data
    /// and dl-kfilter byte-identical; dl-fit and dl-measure within float32
    /// rounding of each other.
    func testOutputsAcrossKernels() throws {
        #if !arch(x86_64)
        throw XCTSkip("OpenBLAS core names are x86-64's")
        #else
        try requireH5py()
        var cores = ["Prescott"]
        if let best = bestCore { cores.append(best) }
        // The same commands in a folder per kernel (the files record their command lines).
        let commands = """
            dl-data spirals --rows 1200 --test-rows 300 --shuffle -s 2 -q > d.h5 \
            && dl-kfilter -k 5 --batch 600 d.h5 -q > k.h5 \
            && dl-fit d.h5 --arch 2-32-32-2 --epochs 3 --batch-size 64 -q -o m.h5 \
            && dl-measure lsd m.h5 d.h5 -q > lsd.tsv
            """
        for (folder, setting) in [("default", "")] + cores.map({ ($0, "export OPENBLAS_CORETYPE=\($0)") }) {
            let r = try sh("mkdir \(folder) && cd \(folder) && \(clean) bash -c '\(setting)\n\(commands)'")
            XCTAssertEqual(r.status, 0, "\(folder): \(r.stderr)")
        }
        for core in cores {
            XCTAssertEqual(try sh("cmp default/d.h5 \(core)/d.h5").status, 0, "dl-data under \(core)")
            XCTAssertEqual(try sh("cmp default/k.h5 \(core)/k.h5").status, 0, "dl-kfilter under \(core)")
            let py = try sh("""
                python3 - <<'PY'
                import h5py, numpy as np
                a, b = h5py.File("default/m.h5"), h5py.File("\(core)/m.h5")
                dw = max(float(np.abs(a[f"model/layers/{i}/W"][:] - b[f"model/layers/{i}/W"][:]).max()) for i in (1, 2, 3))
                acc = abs(float(a["model/log/test_accuracy"][-1]) - float(b["model/log/test_accuracy"][-1]))
                def lsd(p): return [float(l.split("\\t")[4]) for l in open(p).read().splitlines()[1:] if l.startswith("lsd")]
                rel = max(abs(x - y) / y for x, y in zip(lsd("default/lsd.tsv"), lsd("\(core)/lsd.tsv")))
                print(dw, acc, rel)
                assert dw < 1e-4, f"weights differ by {dw}"
                assert acc <= 0.005, f"test accuracy differs by {acc}"
                assert rel < 1e-6, f"LSD differs by a relative {rel}"
                PY
                """)
            XCTAssertEqual(py.status, 0, "\(core): \(py.stderr) \(py.out)")
        }
        #endif
    }
}
