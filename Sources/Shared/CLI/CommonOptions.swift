import ArgumentParser
import Foundation

/// The flags every dl tool shares (SPEC §2). One meaning per name across the suite.
public struct CommonOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("Output file ('-' = standard output).", valueName: "file"))
    public var output: String = "-"

    @Option(name: [.short, .long], help: "Seed for every random choice (same seed, same output bytes; for dl-fit, with the same --threads).")
    public var seed: UInt64 = 0

    @Flag(name: [.short, .long], help: "No progress or log messages (errors still print).")
    public var quiet = false

    @Flag(name: [.short, .long], help: "More log messages.")
    public var verbose = false

    @Option(help: "Threads for BLAS and parallel loops (default: all cores).")
    public var threads: Int?

    public init() {}

    public mutating func validate() throws {
        if let threads, !(1...1024).contains(threads) {
            throw ValidationError("--threads must lie in 1…1024")
        }
    }

    public var outputTarget: OutputTarget { OutputTarget(output) }

    /// --threads, or every core.
    public var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// Applies the logging and thread settings; call first thing in run().
    public func apply() {
        Log.quiet = quiet
        Log.verbose = verbose
        if let note = BLASKernel.switchNote { Log.debug(note) }
        setBLASThreads(threadCount)
    }
}

/// What every tool's `--version` prints: the suite's version, then the BLAS
/// library, the kernel it runs and its threads, and the CPU (benchmarks record it).
public var dlVersionReport: String { "dl \(dlVersion)\n" + BLASKernel.report }

/// One `main` for every tool: parse, run, and map any error to one line on
/// standard error with exit status 1 (failed run) or 2 (usage mistake).
public enum ToolMain {
    public static func run<Command: ParsableCommand>(_: Command.Type, tool: String) -> Never {
        Log.tool = tool
        // Before anything is read or any BLAS call: may re-execute the tool once
        // under a better OpenBLAS kernel (Tensor/BLASKernel.swift).
        BLASKernel.selectBeforeFirstUse()
        // A reader that goes away (e.g. `| head`) ends us quietly, as it ends `cat`.
        signal(SIGPIPE, SIG_DFL)
        setvbuf(stdout, nil, _IOFBF, 1 << 16)
        keepFreedMemory()
        do {
            var command = try Command.parseAsRoot()
            try command.run()
            fflush(stdout)
            exit(0)
        } catch let error as DLError {
            fflush(stdout)
            Log.error(error.description)
            exit(error.exitCode)
        } catch {
            let code = Command.exitCode(for: error)
            if code == .success {
                // --help and --version: the text goes to standard output.
                Command.exit(withError: error)
            }
            let message = Command.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            Log.error("\(trimmed) (see '\(tool) --help')")
            exit(2)
        }
    }
}
