import Foundation

// Never lose a user's file (SPEC §2). Every output a run will write is checked
// before any work (`checkRunFiles`): its folder exists and is writable, it is not
// a folder, it is not one of the inputs and no two outputs are one file (by
// device and inode, so a symlink or a second spelling of a path is caught).
// While a tool runs, finished files wait under temporary names beside their
// targets (`OutputStaging`); ToolMain renames them all when the run succeeds
// and removes them when it fails or is interrupted, so a failed run leaves none
// of its outputs and every earlier file as it was. (The renames at the end are
// one per file: should one of them fail — the folder made read-only meanwhile —
// the files renamed before it stay renamed; the error says which failed.)

/// One output a run will write: a file (HDF5 or text) or a folder it fills.
public struct RunOutput {
    public enum Kind: Equatable {
        case hdf5, text
        /// A folder that must exist, and the names of the files the run writes in it.
        case folder(files: [String])
    }

    /// The flag that names it, for the error lines: "-o", "--report", …
    public let flag: String
    public let path: String
    public let kind: Kind

    public init(flag: String, path: String, kind: Kind) {
        self.flag = flag
        self.path = path
        self.kind = kind
    }

    public static func hdf5(_ path: String?, flag: String) -> RunOutput? { path.map { RunOutput(flag: flag, path: $0, kind: .hdf5) } }
    public static func text(_ path: String?, flag: String) -> RunOutput? { path.map { RunOutput(flag: flag, path: $0, kind: .text) } }
    public static func folder(_ path: String?, flag: String, files: [String]) -> RunOutput? {
        path.map { RunOutput(flag: flag, path: $0, kind: .folder(files: files)) }
    }
}

/// A regular file's identity: device and inode of what a path names now, or,
/// for a file not yet there, its folder's real path and its name.
enum FileIdentity: Hashable {
    case node(dev: UInt64, ino: UInt64)
    case planned(String)

    /// nil for what is not a regular file (a device such as /dev/null, a pipe):
    /// writing one of those never destroys an input.
    static func of(path: String) -> FileIdentity? {
        var st = stat()
        if stat(path, &st) == 0 {
            return (st.st_mode & S_IFMT) == S_IFREG ? .node(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino)) : nil
        }
        guard let real = realpath(folder(of: path), nil) else { return .planned(path) }
        defer { free(real) }
        return .planned(String(cString: real) + "/" + (path as NSString).lastPathComponent)
    }

    /// What standard input or output is when it is redirected from or to a file.
    static func of(fd: Int32) -> FileIdentity? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return .node(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
    }
}

/// Checks, before any work, every output of a run against the file system, the
/// inputs and each other. `inputs` are the files the run reads ('-' = standard input).
public func checkRunFiles(inputs: [String], outputs: [RunOutput]) throws {
    var inputIDs: [FileIdentity: String] = [:]
    for path in inputs {
        let id = path == "-" ? FileIdentity.of(fd: 0) : FileIdentity.of(path: path)
        if let id, case .node = id { inputIDs[id] = path == "-" ? "standard input" : path }
    }
    OutputStaging.runInputs.formUnion(inputIDs.keys)
    var seen: [FileIdentity: String] = [:]
    func claim(_ path: String, by flag: String) throws {
        let id = path == "-" ? FileIdentity.of(fd: 1) : FileIdentity.of(path: path)
        guard let id else { return }
        let shown = path == "-" ? "standard output" : "\(flag) \(path)"
        if let input = inputIDs[id] {
            let hint = path == "-" ? "redirect standard output to another file" : "write it elsewhere, e.g. \(flag) \(suggestedName(for: path))"
            throw DLError.usage("\(shown) is the same file as the input \(input): writing it would destroy it", hint: hint)
        }
        if let other = seen[id] {
            throw DLError.usage("\(other) and \(shown) name the same file", hint: "give each output its own name")
        }
        seen[id] = shown
    }
    let toStdout = outputs.filter { $0.path == "-" && ($0.kind == .hdf5 || $0.kind == .text) }
    if toStdout.count > 1 {
        throw DLError.usage("\(toStdout.map(\.flag).joined(separator: " and ")) both write to standard output",
                            hint: "name a file for all but one of them")
    }
    for o in outputs {
        switch o.kind {
        case .hdf5, .text:
            try OutputTarget(o.path).check(binary: o.kind == .hdf5, flag: o.flag)
            try claim(o.path, by: o.flag)
        case .folder(let files):
            if o.path.isEmpty { throw DLError.usage("\(o.flag) is empty", hint: "name a folder") }
            var st = stat()
            guard stat(o.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw DLError.usage("\(o.flag) \(o.path) is not a folder", hint: "make it first: mkdir -p \(o.path)")
            }
            guard access(o.path, W_OK | X_OK) == 0 else {
                throw DLError.io("cannot write in \(o.flag) \(o.path): \(errnoText())")
            }
            for name in files {
                let path = o.path + (o.path.hasSuffix("/") ? "" : "/") + name
                if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                    throw DLError.usage("\(o.flag): \(path) is a folder", hint: "move it away first")
                }
                try claim(path, by: o.flag)
            }
        }
    }
}

/// "data.h5" → "data.out.h5": an output name beside one that was refused.
func suggestedName(for path: String) -> String {
    let ext = (path as NSString).pathExtension
    let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
    return stem + ".out" + (ext.isEmpty ? "" : "." + ext)
}

/// Finished outputs held under temporary names until the run has succeeded.
/// ToolMain turns staging on for a tool's run; elsewhere (the library's tests)
/// a write renames its file at once.
public enum OutputStaging {
    nonisolated(unsafe) static var active = false
    nonisolated(unsafe) static var pending: [(temporary: String, path: String)] = []

    /// From now on, finished files wait for `commit`.
    public static func begin() { active = true }

    /// Gives every finished file its name, in the order they were written.
    public static func commit() throws {
        defer { active = false }
        guard !pending.isEmpty else { return }
        pauseForTests()
        for (i, p) in pending.enumerated() {
            guard rename(p.temporary, p.path) == 0 else {
                let e = DLError.io("cannot rename the output to \(p.path): \(errnoText())")
                pending.removeFirst(i)
                discard()
                throw e
            }
            TempFiles.unregister(p.temporary)
        }
        pending.removeAll()
    }

    /// Removes every finished file the run held: it failed.
    public static func discard() {
        for p in pending {
            unlink(p.temporary)
            TempFiles.unregister(p.temporary)
        }
        pending.removeAll()
        active = false
    }

    /// Holds a finished file; a second file for the same path in one run is an
    /// error (two outputs named alike, which checkRunFiles could not see), as is
    /// a path that is one of the run's inputs.
    static func hold(_ temporary: String, for path: String) throws {
        let id = FileIdentity.of(path: path)
        if pending.contains(where: { $0.path == path }) || (id.map { runInputs.contains($0) } ?? false) {
            unlink(temporary)
            TempFiles.unregister(temporary)
            throw DLError.usage("\(path) is written twice by this run, or is one of its inputs: writing it would destroy it",
                                hint: "give every output its own name")
        }
        pending.append((temporary, path))
    }

    /// The inputs' identities, recorded by checkRunFiles for `hold`.
    nonisolated(unsafe) static var runInputs: Set<FileIdentity> = []
}

/// The temporary files on disk, removed if the process is interrupted (SIGINT,
/// SIGTERM, SIGHUP) or its output pipe closes (SIGPIPE), so no partial or held
/// output is left behind. A fixed table of C strings the signal handler reads
/// without allocating; a slot's string is never freed (another thread's handler
/// may be reading it), only the slot emptied: a few bytes an output.
enum TempFiles {
    static let capacity = 1 << 16
    nonisolated(unsafe) static let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var handlersInstalled = false

    static func register(_ p: String) throws {
        guard count < capacity else { throw DLError.io("too many output files at once (\(capacity))") }
        table[count] = strdup(p)
        count += 1
        guard !handlersInstalled else { return }
        handlersInstalled = true
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
            // A signal the tool was started ignoring (nohup, a background job) stays ignored.
            var old = sigaction()
            guard sigaction(sig, nil, &old) == 0 else { continue }
            if let h = old.__sigaction_handler.sa_handler, unsafeBitCast(h, to: Int.self) == 1 /* SIG_IGN */ { continue }
            signal(sig) { sig in
                for i in 0..<TempFiles.count { if let p = TempFiles.table[i] { unlink(p) } }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    static func unregister(_ p: String) {
        for i in stride(from: count - 1, through: 0, by: -1) {
            guard let q = table[i], String(cString: q) == p else { continue }
            table[i] = nil
            while count > 0, table[count - 1] == nil { count -= 1 }
            return
        }
    }
}
