import Foundation

// Getting HDF5 bytes in and out: standard input/output as file images (SPEC §2),
// files on disk written to a temporary name and renamed on success.

/// Opens a dl tool's input: a path, or "-" for standard input (read whole, then
/// opened as an in-memory file image).
public func openInput(_ path: String) throws -> H5File {
    if path != "-" {
        var st = stat()
        // Named pipes and devices (<(cmd), /dev/stdin) cannot be seeked: read them whole.
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO || (st.st_mode & S_IFMT) == S_IFCHR {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw DLError.input("cannot open \(path): \(errnoText())") }
            defer { close(fd) }
            return try H5File.open(image: try readAll(fd: fd, name: path), name: path)
        }
        return try H5File.open(path: path)
    }
    if isatty(0) == 1 {
        throw DLError.usage("no input: standard input is a terminal", hint: "pipe a dl file in, or name one as an argument")
    }
    let image = try readAll(fd: 0, name: "standard input")
    return try H5File.open(image: image, name: "standard input")
}

/// Opens a dl tool's input ('-' = standard input) for a change in memory: the
/// bytes are read whole into one buffer, which the file then changes in place
/// (H5File.openForUpdate); the input on disk is never written.
public func openInputForUpdate(_ path: String) throws -> H5File {
    if path == "-" {
        if isatty(0) == 1 {
            throw DLError.usage("no input: standard input is a terminal", hint: "pipe a dl file in, or name one as an argument")
        }
        return try H5File.openForUpdate(image: try readAll(fd: 0, name: "standard input"), name: "standard input")
    }
    var st = stat()
    guard stat(path, &st) == 0 else { throw DLError.input("cannot open \(path): \(errnoText())", hint: "check the path") }
    guard (st.st_mode & S_IFMT) != S_IFDIR else { throw DLError.input("\(path) is a folder, not a file") }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw DLError.input("cannot open \(path): \(errnoText())") }
    defer { close(fd) }
    return try H5File.openForUpdate(image: try readAll(fd: fd, name: path), name: path)
}

/// Reads a file descriptor to its end into one buffer.
public func readAll(fd: Int32, name: String) throws -> BigBuffer {
    var st = stat()
    var capacity = 64 << 20
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 {
        capacity = Int(st.st_size) + 1
    }
    let buf = try BigBuffer(capacity: capacity)
    enlargePipe(fd)
    while true {
        if buf.count == buf.capacity { try buf.grow(to: buf.capacity * 2) }
        let n = read(fd, buf.pointer + buf.count, buf.capacity - buf.count)
        if n == 0 { break }
        if n < 0 {
            if errno == EINTR { continue }
            throw DLError.io("cannot read \(name): \(errnoText())")
        }
        buf.count += n
    }
    return buf
}

/// Where a tool's output goes: a path, or "-" for standard output.
public struct OutputTarget {
    public let path: String
    public var isStdout: Bool { path == "-" }
    public var name: String { displayName(path, output: true) }

    public init(_ path: String) { self.path = path }

    /// Checks, before any work is done, that the output can be written:
    /// never HDF5 to a terminal; not a folder; the folder of a file must exist
    /// and be writable. `flag` names the option in the error lines. A run
    /// checks all its outputs at once, against its inputs: `checkRunFiles`.
    public func check(binary: Bool = true, flag: String = "-o") throws {
        if isStdout {
            if binary && isatty(1) == 1 {
                throw DLError.usage("refusing to write HDF5 to a terminal",
                                    hint: "redirect standard output to a file or pipe, or use \(flag) FILE")
            }
            return
        }
        if path.isEmpty { throw DLError.usage("empty output path", hint: "use \(flag) FILE, or \(flag) - for standard output") }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
                throw DLError.usage("\(flag) \(path) is a folder", hint: "name a file, e.g. \(flag) \(dir)/out.\(binary ? "h5" : "tsv")")
            }
            // A device or pipe (/dev/null, >(cmd)) is written in place: its
            // folder (/dev, often read-only) needs no temporary file.
            if (st.st_mode & S_IFMT) != S_IFREG {
                guard access(path, W_OK) == 0 else { throw DLError.io("cannot write \(path): \(errnoText())") }
                return
            }
        }
        let dir = folder(of: path)
        guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw DLError.io("cannot write \(flag) \(path): folder \(dir) does not exist", hint: "create it first: mkdir -p \(dir)")
        }
        guard access(dir, W_OK | X_OK) == 0 else {
            throw DLError.io("cannot write \(flag) \(path): folder \(dir) is not writable (\(errnoText()))")
        }
    }

    /// Writes `bytes` as the whole output. Regular files are written to a
    /// temporary name in the same folder and renamed when the run succeeds
    /// (`OutputStaging`), so a failure leaves no partial file; devices and pipes
    /// (e.g. /dev/null) are written in place.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try write(chunks: [bytes])
    }

    /// Writes the chunks one after another as the whole output.
    public func write(chunks: [UnsafeRawBufferPointer]) throws {
        if isStdout {
            for c in chunks { try writeAll(fd: 1, c, name: name) }
            return
        }
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            let fd = open(path, O_WRONLY | O_TRUNC)
            guard fd >= 0 else { throw DLError.io("cannot open \(path): \(errnoText())") }
            defer { close(fd) }
            for c in chunks { try writeAll(fd: fd, c, name: path) }
            return
        }
        let dir = folder(of: path)
        let base = (path as NSString).lastPathComponent
        // mkstemp replaces the trailing six X's with a unique suffix.
        var template = Array("\(dir)/.\(base).tmp.\(String(repeating: "X", count: 6))".utf8CString)
        var fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw DLError.io("cannot write \(path): \(errnoText())", hint: "check that folder \(dir) is writable")
        }
        let tmp = String(cString: template)
        do {
            try TempFiles.register(tmp)
            for c in chunks { try writeAll(fd: fd, c, name: path) }
            // mkstemp makes the file 0600; give it the usual mode under the umask.
            let mask = umask(0); umask(mask)
            fchmod(fd, 0o666 & ~mask)
            let closed = close(fd)
            fd = -1
            guard closed == 0 else { throw DLError.io("cannot write \(path): \(errnoText())", hint: "is the disk full?") }
            if OutputStaging.active { try OutputStaging.hold(tmp, for: path); return }
            pauseForTests()
            guard rename(tmp, path) == 0 else { throw DLError.io("cannot rename the output to \(path): \(errnoText())") }
            TempFiles.unregister(tmp)
        } catch {
            if fd >= 0 { close(fd) }
            unlink(tmp)
            TempFiles.unregister(tmp)
            throw error
        }
    }

    /// Writes a finished in-memory HDF5 file.
    public func write(_ file: H5File) throws {
        try file.withImageChunks { try write(chunks: $0) }
    }

    /// Builds an HDF5 file in memory with `build`, then writes it as the whole
    /// output: every tool's HDF5 output goes out here.
    public func writeHDF5(_ build: (H5File) throws -> Void) throws {
        let file = try H5File.createInMemory()
        try build(file)
        try write(file)
    }

    /// Writes text (a table or summary).
    public func write(text: String) throws {
        var data = Array(text.utf8)
        try data.withUnsafeMutableBytes { try write(UnsafeRawBufferPointer($0)) }
    }
}

/// DL_TEST_PAUSE_BEFORE_RENAME=SECONDS holds a finished temporary output that
/// long before its rename, so the tests can interrupt a tool at that point
/// (Tests/EndToEndTests/OutputTests.swift); unset, it costs one lookup.
func pauseForTests() {
    guard let s = ProcessInfo.processInfo.environment["DL_TEST_PAUSE_BEFORE_RENAME"], let t = Double(s), t > 0 else { return }
    usleep(UInt32(min(t, 60) * 1e6))
}

func folder(of path: String) -> String {
    let dir = (path as NSString).deletingLastPathComponent
    return dir.isEmpty ? "." : dir
}

/// Writes everything, retrying short writes. A closed pipe ends the process
/// quietly, as `cat` does: by SIGPIPE (ToolMain restores its default action), or
/// here with EPIPE when the signal is blocked.
func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
    if bytes.count > 1 << 20 { enlargePipe(fd) }
    if bytes.isEmpty { return }
    var off = 0
    while off < bytes.count {
        let n = Foundation.write(fd, bytes.baseAddress! + off, min(bytes.count - off, 1 << 30))
        if n < 0 {
            if errno == EINTR { continue }
            if errno == EPIPE {
                OutputStaging.discard()
                exit(141)
            }
            let hint = errno == ENOSPC ? "the disk is full" : nil
            throw DLError.io("cannot write \(name): \(errnoText())", hint: hint)
        }
        off += n
    }
}

/// A pipe's 64 KiB default buffer costs a context switch per 64 KiB moved;
/// ask for the largest the system allows (a no-op for files and terminals).
func enlargePipe(_ fd: Int32) {
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
    let maxSize = (try? String(contentsOfFile: "/proc/sys/fs/pipe-max-size", encoding: .utf8))
        .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? (1 << 20)
    _ = fcntl(fd, 1031 /* F_SETPIPE_SZ */, min(maxSize, 1 << 24))
}
