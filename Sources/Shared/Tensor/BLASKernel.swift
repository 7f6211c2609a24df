import CBLAS
import Foundation

// Which OpenBLAS kernel runs, chosen by what the CPU can do.
//
// Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH: when the library loads it
// picks a kernel table from the CPU's family and model numbers. A model newer
// than the release is unknown to it, and it falls back to Prescott (SSE3): on an
// AVX-512 Xeon of family 6, model 207 that is sgemm at 60 GFLOP/s instead of 310.
// We decide by features instead (cpuid, and XCR0 for what the OS saves), and when
// OpenBLAS's choice is below what the CPU can run, we select the better kernel
// through OPENBLAS_CORETYPE, OpenBLAS's documented switch.
//
// Why re-execute the tool: OpenBLAS reads OPENBLAS_CORETYPE once, in its library
// constructor, before `main`. Swapping its `gotoblas` table afterwards (the
// symbols are exported) would bypass the constructor's parameter and buffer
// set-up and lean on internals; setting the variable from a constructor of our
// own would depend on the ELF initialization order. So the tool sets the variable
// and execs /proc/self/exe with the same argv before it has read or written
// anything: standard input, output and every open file stay the same
// descriptors. That costs one more start-up (tens of ms), and only on CPUs that
// OpenBLAS does not know.
//
// It never loops: the re-executed process carries DL_OPENBLAS_SWITCHED_FROM and
// never switches again. A user's own OPENBLAS_CORETYPE is always obeyed.
//
// AVX-512 CPUs get SkylakeX: 0.3.21 cannot be forced to Cooperlake (its name
// table stops at SkylakeX and says "Core not found"), and Cooperlake only adds
// bfloat16 kernels on top of SkylakeX's, which we never call.

/// The instruction-set tiers OpenBLAS's x86-64 kernels are written for.
public enum KernelLevel: Int, Comparable, Sendable, CustomStringConvertible {
    case sse, avx, avx2, avx512

    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .sse: return "SSE3"
        case .avx: return "AVX"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512"
        }
    }

    /// The OpenBLAS core that OPENBLAS_CORETYPE names for this tier (none below AVX:
    /// there is nothing to gain over a fallback there).
    public var openBLASCore: String? {
        switch self {
        case .sse: return nil
        case .avx: return "Sandybridge"
        case .avx2: return "Haswell"
        case .avx512: return "SkylakeX"
        }
    }
}

/// The CPU features that decide which kernels can run.
public struct CPUFeatures: Equatable, Sendable {
    public var avx = false, fma = false, avx2 = false
    public var avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false
    /// The OS saves the YMM state (XCR0 bits 1–2), and the opmask and ZMM states (bits 5–7).
    public var osYMM = false, osZMM = false

    public init(avx: Bool = false, fma: Bool = false, avx2: Bool = false, avx512f: Bool = false,
                avx512bw: Bool = false, avx512dq: Bool = false, avx512vl: Bool = false,
                osYMM: Bool = false, osZMM: Bool = false) {
        self.avx = avx; self.fma = fma; self.avx2 = avx2
        self.avx512f = avx512f; self.avx512bw = avx512bw; self.avx512dq = avx512dq; self.avx512vl = avx512vl
        self.osYMM = osYMM; self.osZMM = osZMM
    }

    /// The best tier both the CPU and the OS support.
    public var level: KernelLevel {
        guard avx && osYMM else { return .sse }
        if avx2 && fma && avx512f && avx512bw && avx512dq && avx512vl && osZMM { return .avx512 }
        if avx2 && fma { return .avx2 }
        return .avx
    }

    /// Short list for logs, e.g. "AVX-512, AVX2, FMA".
    public var summary: String {
        var parts: [String] = []
        if avx512f && avx512bw && avx512dq && avx512vl { parts.append(osZMM ? "AVX-512" : "AVX-512 (not enabled by the OS)") }
        if avx2 { parts.append("AVX2") }
        if fma { parts.append("FMA") }
        if avx && !avx2 { parts.append(osYMM ? "AVX" : "AVX (not enabled by the OS)") }
        return parts.isEmpty ? "SSE only" : parts.joined(separator: ", ")
    }
}

/// Identity of the CPU: the name it gives and its family/model numbers.
public struct CPUIdentity: Sendable {
    public var vendor = "unknown"
    public var brand = "unknown CPU"
    public var family = 0
    public var model = 0
    public var features = CPUFeatures()

    public var description: String {
        "\(brand) (\(vendor) family \(family) model \(model): \(features.summary))"
    }

    /// What this machine's CPU says of itself.
    public static func current() -> CPUIdentity {
        var id = CPUIdentity()
        #if arch(x86_64)
        var r: [UInt32] = [0, 0, 0, 0]
        func cpuid(_ leaf: UInt32, _ sub: UInt32 = 0) -> Bool {
            r.withUnsafeMutableBufferPointer { dl_cpuid(leaf, sub, $0.baseAddress!) } != 0
        }
        func bytes(_ words: [UInt32]) -> String {
            var b: [UInt8] = []
            for w in words { for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8((w >> UInt32(s)) & 0xff)) } }
            return String(decoding: b.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        guard cpuid(0) else { return id }
        let maxLeaf = r[0]
        id.vendor = bytes([r[1], r[3], r[2]])
        guard cpuid(1) else { return id }
        let eax = r[0], ecx = r[2]
        let baseFamily = Int((eax >> 8) & 0xf), baseModel = Int((eax >> 4) & 0xf)
        id.family = baseFamily == 0xf ? baseFamily + Int((eax >> 20) & 0xff) : baseFamily
        id.model = (baseFamily == 0x6 || baseFamily == 0xf) ? baseModel | Int((eax >> 16) & 0xf) << 4 : baseModel
        var f = CPUFeatures()
        f.fma = ecx & (1 << 12) != 0
        f.avx = ecx & (1 << 28) != 0
        if ecx & (1 << 27) != 0 {  // OSXSAVE: XCR0 is readable
            let xcr0 = dl_xgetbv0()
            f.osYMM = xcr0 & 0x6 == 0x6
            f.osZMM = xcr0 & 0xe6 == 0xe6
        }
        if maxLeaf >= 7, cpuid(7) {
            let ebx = r[1]
            f.avx2 = ebx & (1 << 5) != 0
            f.avx512f = ebx & (1 << 16) != 0
            f.avx512dq = ebx & (1 << 17) != 0
            f.avx512bw = ebx & (1 << 30) != 0
            f.avx512vl = ebx & (1 << 31) != 0
        }
        id.features = f
        if cpuid(0x8000_0000), r[0] >= 0x8000_0004 {
            var words: [UInt32] = []
            for leaf in UInt32(0x8000_0002)...0x8000_0004 where cpuid(leaf) { words += r }
            let name = bytes(words)
            if !name.isEmpty { id.brand = name }
        }
        #endif
        return id
    }
}

public enum BLASKernel {
    /// OpenBLAS's own switch, read when the library loads.
    public static let coreVariable = "OPENBLAS_CORETYPE"
    /// Set on the re-executed process: the core OpenBLAS had picked by itself.
    public static let switchedVariable = "DL_OPENBLAS_SWITCHED_FROM"
    /// For tests only: the core to take as OpenBLAS's own pick, so that the switch
    /// can be exercised on a CPU that OpenBLAS knows.
    public static let testReportedVariable = "DL_TEST_OPENBLAS_CORE"

    /// The tier of an OpenBLAS core name (as `openblas_get_corename` prints it);
    /// nil for names we do not know (a newer OpenBLAS's), which are left alone.
    public static func level(ofCore name: String) -> KernelLevel? {
        switch name.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
             "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            return .sse
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return .avx
        case "haswell", "zen": return .avx2
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        default: return nil
        }
    }

    /// The core to select, or nil to keep OpenBLAS's pick: only when that pick is
    /// a known tier below the best one the CPU and OS support.
    public static func choice(reported: String, features: CPUFeatures) -> String? {
        guard let have = level(ofCore: reported) else { return nil }
        let best = features.level
        return best > have ? best.openBLASCore : nil
    }

    /// What happened at start-up, for `-v` (nil when OpenBLAS's pick stood).
    public nonisolated(unsafe) private(set) static var switchNote: String?

    /// Run first thing in every tool, before any BLAS call and before standard
    /// input is touched. Either returns (nothing to do, or the switch already
    /// happened) or replaces the process with itself under a better kernel.
    public static func selectBeforeFirstUse() {
        #if arch(x86_64)
        let env = ProcessInfo.processInfo.environment
        let running = currentCore
        if let from = env[switchedVariable] {
            let wanted = env[coreVariable] ?? "?"
            switchNote = running.lowercased() == wanted.lowercased()
                ? "OpenBLAS picked \(from) for this CPU; running on \(running) instead (\(coreVariable)=\(wanted), chosen by dl from the CPU's features)"
                : "OpenBLAS picked \(from); the switch to \(wanted) did not take (running on \(running))"
            return
        }
        if env[coreVariable] != nil { return }  // the user's choice
        let reported = env[testReportedVariable] ?? running
        let cpu = CPUIdentity.current()
        guard let target = choice(reported: reported, features: cpu.features) else { return }
        setenv(coreVariable, target, 1)
        setenv(switchedVariable, reported, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when the exec failed: carry on with OpenBLAS's pick.
        let reason = errnoText()
        unsetenv(coreVariable)
        unsetenv(switchedVariable)
        switchNote = "OpenBLAS picked \(reported) although this CPU has \(cpu.features.level); could not re-execute with \(coreVariable)=\(target) (/proc/self/exe: \(reason)); set it yourself"
        #endif
    }

    /// The core OpenBLAS is running, e.g. "SkylakeX".
    public static var currentCore: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// OpenBLAS's version, e.g. "0.3.21" (from its build configuration string).
    public static var openBLASVersion: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return parseVersion(config: String(cString: c))
    }

    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …" → "0.3.21".
    public static func parseVersion(config: String) -> String {
        let words = config.split(separator: " ")
        guard words.count >= 2, words[0] == "OpenBLAS" else { return "unknown" }
        return String(words[1])
    }

    /// Threads OpenBLAS runs with by default (before --threads).
    public static var defaultThreads: Int { Int(openblas_get_num_threads()) }

    /// The lines `--version` prints after the suite's version: BLAS, core, threads, CPU.
    public static var report: String {
        let env = ProcessInfo.processInfo.environment
        var lines = ["OpenBLAS \(openBLASVersion), core \(currentCore), \(defaultThreads) thread\(defaultThreads == 1 ? "" : "s")"]
        let cpu = CPUIdentity.current()
        if let note = switchNote {
            lines.append("  " + note)
        } else if let user = env[coreVariable] {
            var line = "  core set by \(coreVariable)=\(user)"
            if let better = choice(reported: currentCore, features: cpu.features) {
                line += "; this CPU could run \(better)"
            }
            lines.append(line)
        }
        lines.append("CPU: \(cpu.description)")
        return lines.joined(separator: "\n")
    }
}
