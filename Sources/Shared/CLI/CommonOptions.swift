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

    /// Applies the logging and thread settings; `start` calls it.
    func apply() {
        Log.quiet = quiet
        Log.verbose = verbose
        if let note = BLASKernel.switchNote { Log.debug(note) }
        setBLASThreads(threadCount)
    }

    /// First thing in every run(): applies the logging and thread settings, then
    /// checks every output the run will write — -o as `output` (nil: the command
    /// writes no -o) and `also` (--report, --features, folders) — against the file
    /// system, the `inputs` and each other, before any input is read.
    public func start(inputs: [String], output: RunOutput.Kind? = .hdf5, also: [RunOutput?] = []) throws {
        apply()
        let main = output.map { RunOutput(flag: "-o", path: self.output, kind: $0) }
        try checkRunFiles(inputs: inputs, outputs: ([main] + also).compactMap { $0 })
    }
}

/// What every tool's `--version` prints: the suite's version, then the BLAS
/// library, the kernel it runs and its threads, and the CPU (benchmarks record it).
public var dlVersionReport: String { "dl \(dlVersion)\n" + BLASKernel.report }

/// One `main` for every tool: parse, run, and map any error to one line on
/// standard error with exit status 1 (failed run) or 2 (usage mistake).
public enum ToolMain {
    /// `usesBLAS`: false for a tool that never calls BLAS (dl-data), which then
    /// starts without the kernel switch's second exec.
    public static func run<Command: ParsableCommand>(_: Command.Type, tool: String, usesBLAS: Bool = true) -> Never {
        Log.tool = tool
        // Before anything is read or any BLAS call: may re-execute the tool once
        // under a better OpenBLAS kernel (Tensor/BLASKernel.swift).
        if usesBLAS { BLASKernel.selectBeforeFirstUse() }
        // A reader that goes away (e.g. `| head`) ends us quietly, as it ends `cat`.
        signal(SIGPIPE, SIG_DFL)
        setvbuf(stdout, nil, _IOFBF, 1 << 16)
        keepFreedMemory()
        do {
            var command = try Command.parseAsRoot(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            // Files written by the run keep temporary names until it has succeeded.
            OutputStaging.begin()
            try command.run()
            try OutputStaging.commit()
            fflush(stdout)
            exit(0)
        } catch let error as DLError {
            OutputStaging.discard()
            fflush(stdout)
            Log.error(error.description)
            exit(error.exitCode)
        } catch {
            OutputStaging.discard()
            let code = Command.exitCode(for: error)
            if code == .success {
                // --help and --version: the text goes to standard output.
                Command.exit(withError: error)
            }
            let message = Command.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            Log.error("\(trimmed) (see '\(helpCommand(Command.self, tool: tool)) --help')")
            exit(2)
        }
    }

    /// The help page for a usage mistake: the subcommand's that was named, or
    /// the default one's (dl-fit's train), else the tool's.
    static func helpCommand<Command: ParsableCommand>(_: Command.Type, tool: String) -> String {
        let subcommands = Command.configuration.subcommands
        let names = Set(subcommands.map { $0._commandName })
        // A subcommand comes first among the arguments that are not options.
        if let first = CommandLine.arguments.dropFirst().first(where: { !$0.hasPrefix("-") }), names.contains(first) {
            return "\(tool) \(first)"
        }
        if let d = Command.configuration.defaultSubcommand { return "\(tool) \(d._commandName)" }
        return tool
    }
}

/// `--lr -0.1` → `--lr=-0.1`: a value that starts with a minus sign would be read
/// as an option and end in "Missing value for '--lr'"; joined, it reaches the
/// option, whose own check then names the problem (and `--targets -1,1` works).
func joiningNegativeValues(_ args: [String]) -> [String] {
    var out: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "--" { out += args[i...]; break }
        if a.hasPrefix("--"), !a.contains("="), i + 1 < args.count,
           args[i + 1].range(of: #"^-\.?[0-9]"#, options: .regularExpression) != nil {
            out.append(a + "=" + args[i + 1])
            i += 2
            continue
        }
        out.append(a)
        i += 1
    }
    return out
}
