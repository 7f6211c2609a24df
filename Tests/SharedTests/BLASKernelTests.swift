import XCTest
import Foundation
import Shared

final class BLASKernelTests: XCTestCase {
    static let avx512 = CPUFeatures(avx: true, fma: true, avx2: true, avx512f: true, avx512bw: true,
                                    avx512dq: true, avx512vl: true, osYMM: true, osZMM: true)
    static let avx2 = CPUFeatures(avx: true, fma: true, avx2: true, osYMM: true)
    static let avx = CPUFeatures(avx: true, osYMM: true)

    /// Features + the core OpenBLAS reported → the core we select (nil: keep it).
    func testDecisionTable() {
        var noZMM = Self.avx512; noZMM.osZMM = false                // OS without AVX-512 state
        var knightsLanding = Self.avx512; knightsLanding.avx512bw = false; knightsLanding.avx512dq = false
        knightsLanding.avx512vl = false                              // AVX-512F without BW/DQ/VL
        var noFMA = Self.avx2; noFMA.fma = false
        var noYMM = Self.avx2; noYMM.osYMM = false                   // OS without AVX state
        let cases: [(CPUFeatures, String, String?, Int)] = [
            // The Xeon (family 6, model 207): OpenBLAS 0.3.21 falls back to Prescott.
            (Self.avx512, "Prescott", "SkylakeX", #line),
            (Self.avx512, "PRESCOTT", "SkylakeX", #line),
            (Self.avx512, "Core2", "SkylakeX", #line),
            (Self.avx512, "Nehalem", "SkylakeX", #line),
            (Self.avx512, "Sandybridge", "SkylakeX", #line),
            (Self.avx512, "Haswell", "SkylakeX", #line),
            (Self.avx512, "Zen", "SkylakeX", #line),
            (Self.avx512, "SkylakeX", nil, #line),
            (Self.avx512, "Cooperlake", nil, #line),
            (Self.avx512, "SapphireRapids", nil, #line),
            // Names we do not know (a newer OpenBLAS) are left alone.
            (Self.avx512, "Zen5", nil, #line),
            (Self.avx512, "Unknown", nil, #line),
            (noZMM, "Prescott", "Haswell", #line),
            (noZMM, "Haswell", nil, #line),
            (knightsLanding, "Prescott", "Haswell", #line),
            (Self.avx2, "Prescott", "Haswell", #line),
            (Self.avx2, "Barcelona", "Haswell", #line),
            (Self.avx2, "Excavator", "Haswell", #line),
            (Self.avx2, "Haswell", nil, #line),
            (Self.avx2, "Zen", nil, #line),
            (noFMA, "Prescott", "Sandybridge", #line),
            (Self.avx, "Nehalem", "Sandybridge", #line),
            (Self.avx, "Sandybridge", nil, #line),
            (noYMM, "Prescott", nil, #line),
            (CPUFeatures(), "Prescott", nil, #line),
            (CPUFeatures(), "Katmai", nil, #line),
        ]
        for (features, reported, expected, line) in cases {
            XCTAssertEqual(BLASKernel.choice(reported: reported, features: features), expected,
                           "\(features.summary), OpenBLAS says \(reported)", line: UInt(line))
        }
    }

    func testLevels() {
        XCTAssertEqual(Self.avx512.level, .avx512)
        XCTAssertEqual(Self.avx2.level, .avx2)
        XCTAssertEqual(Self.avx.level, .avx)
        XCTAssertEqual(CPUFeatures().level, .sse)
        XCTAssertEqual(BLASKernel.level(ofCore: "cooperlake"), .avx512)
        XCTAssertEqual(BLASKernel.level(ofCore: "Opteron_SSE3"), .sse)
        XCTAssertNil(BLASKernel.level(ofCore: ""))
        // Every core we select is one OpenBLAS 0.3.21 accepts in OPENBLAS_CORETYPE.
        for level in [KernelLevel.avx, .avx2, .avx512] {
            XCTAssertEqual(BLASKernel.level(ofCore: level.openBLASCore!), level)
        }
    }

    func testParseVersion() {
        XCTAssertEqual(BLASKernel.parseVersion(config: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"), "0.3.21")
        XCTAssertEqual(BLASKernel.parseVersion(config: "something else"), "unknown")
        XCTAssertEqual(BLASKernel.parseVersion(config: ""), "unknown")
    }

    /// cpuid agrees with the kernel's own reading of the CPU (/proc/cpuinfo flags).
    func testFeaturesMatchProcCpuinfo() throws {
        #if arch(x86_64)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("/proc/cpuinfo has no flags line")
        }
        let flags = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
        let f = CPUIdentity.current().features
        XCTAssertEqual(f.avx, flags.contains("avx"))
        XCTAssertEqual(f.fma, flags.contains("fma"))
        XCTAssertEqual(f.avx2, flags.contains("avx2"))
        XCTAssertEqual(f.avx512f, flags.contains("avx512f"))
        XCTAssertEqual(f.avx512bw, flags.contains("avx512bw"))
        XCTAssertEqual(f.avx512dq, flags.contains("avx512dq"))
        XCTAssertEqual(f.avx512vl, flags.contains("avx512vl"))
        // Linux lists AVX flags only when the OS saves their state.
        if flags.contains("avx") { XCTAssertTrue(f.osYMM) }
        if flags.contains("avx512f") { XCTAssertTrue(f.osZMM) }
        let name = info.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
        if let name { XCTAssertEqual(CPUIdentity.current().brand, name) }
        #else
        throw XCTSkip("cpuid is x86-64 only")
        #endif
    }
}
