import CHDF5
import Foundation

/// An open HDF5 file. Keeps the memory of a file image alive while open.
public final class H5File {
    public let id: hid_t
    /// How messages name this file ("standard input", a path).
    public let name: String
    private var image: BigBuffer?
    /// Where the core driver keeps an in-memory file (nil for other files).
    private var core: UnsafeMutablePointer<dl_core_memory>?
    /// Whether `core` holds an image this file owns (`openForUpdate`), freed on close.
    private let ownsImage: Bool

    private init(id: hid_t, name: String, image: BigBuffer? = nil, core: UnsafeMutablePointer<dl_core_memory>? = nil,
                 ownsImage: Bool = false) {
        self.id = id
        self.name = name
        self.image = image
        self.core = core
        self.ownsImage = ownsImage
    }

    deinit {
        H5Fclose(id)
        _ = image
        if ownsImage, let core { dl_own_release(core) }
        core?.deallocate()
    }

    /// Opens a file on disk, read-only.
    public static func open(path: String) throws -> H5File {
        H5Library.initialize()
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw DLError.input("cannot open \(path): \(errnoText())", hint: "check the path")
        }
        guard (st.st_mode & S_IFMT) != S_IFDIR else {
            throw DLError.input("\(path) is a folder, not a file")
        }
        guard access(path, R_OK) == 0 else {
            throw DLError.input("cannot read \(path): \(errnoText())")
        }
        guard H5Fis_hdf5(path) > 0 else {
            throw DLError.input("\(path) is not an HDF5 file", hint: "dl tools read HDF5 files written by dl-data and the other dl tools")
        }
        let id = try h5id(H5Fopen(path, dl_h5f_acc_rdonly(), dl_h5p_default()),
                          "cannot open HDF5 file \(path)", hint: "the file may be truncated or damaged")
        return H5File(id: id, name: path)
    }

    /// Opens an HDF5 file image held in memory (e.g. read from a pipe), read-only,
    /// without copying it: the file keeps `image` alive until it closes.
    public static func open(image: BigBuffer, name: String) throws -> H5File {
        H5Library.initialize()
        try checkImage(image, name: name)
        let flags = UInt32(H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE)
        let id = H5LTopen_file_image(image.pointer, image.count, flags)
        if id < 0 {
            throw DLError.input("cannot open the HDF5 data on \(name)", hint: "the data may be truncated or damaged")
        }
        return H5File(id: id, name: name, image: image)
    }

    /// Opens an HDF5 file image held in memory for update, in place: the file
    /// takes `image`'s memory over (the buffer is left empty) and grows it as
    /// it must, so a change to a large file costs no copy of it.
    /// `withImageChunks` hands the changed bytes out for writing.
    public static func openForUpdate(image: BigBuffer, name: String) throws -> H5File {
        H5Library.initialize()
        try checkImage(image, name: name)
        memoryFiles += 1
        let fapl = try h5id(H5Pcreate(dl_h5p_file_access()), "cannot create file access properties")
        // 1 MiB growth steps (zero-filled as taken): an update adds metadata only.
        guard H5Pset_fapl_core(fapl, 1 << 20, false) >= 0 else {
            H5Pclose(fapl)
            throw DLError.io("cannot select the in-memory HDF5 driver")
        }
        let count = image.count
        let (pointer, capacity) = image.relinquish()
        let core = UnsafeMutablePointer<dl_core_memory>.allocate(capacity: 1)
        core.initialize(to: dl_core_memory(mem: pointer, size: capacity, refs: 1))
        // The property list and the open file each hold the buffer; closing
        // the list (always, here) drops its hold before the owner's is dropped.
        var id: hid_t = -1
        if dl_set_image_callbacks(fapl, core, 1) >= 0, H5Pset_file_image(fapl, pointer, count) >= 0 {
            // A name no file can have: the core driver probes the name on disk first.
            id = H5Fopen("/nonexistent-dl-image/\(getpid())-\(memoryFiles)", dl_h5f_acc_rdwr(), fapl)
        }
        H5Pclose(fapl)
        guard id >= 0 else {
            dl_own_release(core)
            core.deallocate()
            throw DLError.input("cannot open the HDF5 data on \(name)", hint: "the data may be truncated or damaged")
        }
        return H5File(id: id, name: name, core: core, ownsImage: true)
    }

    /// A new, empty file held in memory (core driver, no backing store);
    /// `withImageChunks` hands its bytes out for writing.
    public static func createInMemory() throws -> H5File {
        H5Library.initialize()
        // HDF5 refuses a second open file of the same name, so each gets its own.
        memoryFiles += 1
        let name = "dl-memory-\(memoryFiles)"
        let fapl = try h5id(H5Pcreate(dl_h5p_file_access()), "cannot create file access properties")
        defer { H5Pclose(fapl) }
        // 4 MiB growth steps: the core driver zero-fills each step as it takes
        // it, so a step is memory held beyond the file; growing is an mremap.
        try h5check(H5Pset_fapl_core(fapl, 4 << 20, false), "cannot select the in-memory HDF5 driver")
        let core = UnsafeMutablePointer<dl_core_memory>.allocate(capacity: 1)
        core.initialize(to: dl_core_memory(mem: nil, size: 0, refs: 0))
        guard dl_set_image_callbacks(fapl, core, 0) >= 0 else {
            core.deallocate()
            throw DLError.io("cannot set the in-memory HDF5 allocator")
        }
        let fcpl = try h5id(H5Pcreate(dl_h5p_file_create()), "cannot create file creation properties")
        defer { H5Pclose(fcpl) }
        // No modification times in object headers: same inputs give identical bytes.
        try h5check(H5Pset_obj_track_times(fcpl, false), "cannot turn off object times")
        let id = H5Fcreate(name, dl_h5f_acc_trunc(), fcpl, fapl)
        guard id >= 0 else {
            core.deallocate()
            throw DLError.io("cannot create an in-memory HDF5 file")
        }
        return H5File(id: id, name: name, core: core)
    }

    /// Calls `body` with the complete image of an in-memory file as chunks to be
    /// written in order: a patched copy of the superblock's head, then the rest
    /// read in place from the core driver's memory (no copy of the data). Files
    /// of other drivers give one chunk, a copy.
    public func withImageChunks<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) throws -> R {
        try h5check(H5Fflush(id, H5F_SCOPE_GLOBAL), "cannot flush HDF5 file \(name)")
        // The image is the file's first EOA bytes, which H5Fget_file_image reports.
        let size = H5Fget_file_image(id, nil, 0)
        guard let core, let mem = core.pointee.mem, size > 64, core.pointee.size >= size else {
            return try imageBytes().withBytes { try body([$0]) }
        }
        // While open for writing, the superblock says so in its consistency flags;
        // clear them in the written image, as H5Fget_file_image does in its copy.
        var head = [UInt8](UnsafeRawBufferPointer(start: mem, count: 64))
        // Versions 0 and 1 (what this library writes) keep them at bytes 20–23 and
        // have no checksum; later versions are checksummed, and a superblock after
        // a user block sits elsewhere: let HDF5 copy those.
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        guard Array(head[0..<8]) == signature, head[8] <= 1 else { return try imageBytes().withBytes { try body([$0]) } }
        head.replaceSubrange(20..<24, with: [0, 0, 0, 0])
        return try withExtendedLifetime(self) {
            try head.withUnsafeBytes { h in
                try body([h, UnsafeRawBufferPointer(start: mem + 64, count: size - 64)])
            }
        }
    }

    /// A copy of the complete file as bytes (flushes first).
    public func imageBytes() throws -> BigBuffer {
        try h5check(H5Fflush(id, H5F_SCOPE_GLOBAL), "cannot flush HDF5 file \(name)")
        let size = H5Fget_file_image(id, nil, 0)
        guard size > 0 else { throw DLError.io("cannot get the image of HDF5 file \(name)") }
        let buf = try BigBuffer(capacity: size)
        let got = H5Fget_file_image(id, buf.pointer, size)
        guard got == size else { throw DLError.io("cannot copy the image of HDF5 file \(name)") }
        buf.count = size
        return buf
    }

    public var root: H5Group { H5Group(file: self, id: nil, path: "/") }

    private nonisolated(unsafe) static var memoryFiles = 0
}

/// A large byte buffer, mmap'd and advised for transparent huge pages (dl_big_alloc in the C shim).
public final class BigBuffer {
    public private(set) var pointer: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    /// Bytes in use.
    public var count = 0

    public init(capacity: Int) throws {
        guard let p = dl_big_alloc(max(capacity, 1)) else {
            throw DLError.io("out of memory (\(formatBytes(capacity)))")
        }
        pointer = p
        self.capacity = max(capacity, 1)
    }

    deinit { dl_big_free(pointer) }

    /// Hands the memory over to a new owner (who frees it with dl_big_free);
    /// the buffer is left empty.
    public func relinquish() -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
        let taken = (pointer, capacity)
        pointer = dl_big_alloc(1)!
        capacity = 1
        count = 0
        return taken
    }

    public func grow(to newCapacity: Int) throws {
        guard newCapacity > capacity else { return }
        guard let p = dl_big_realloc(pointer, newCapacity) else {
            throw DLError.io("out of memory (\(formatBytes(newCapacity)))")
        }
        pointer = p
        capacity = newCapacity
    }

    /// The bytes in use, valid only inside `body` (the buffer stays alive for it).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeRawBufferPointer(start: pointer, count: count)) }
    }

    public func toArray() -> [UInt8] { withBytes { Array($0) } }
}

/// An image read from a pipe or a file is a file HDF5 can open: not empty, signed.
func checkImage(_ image: BigBuffer, name: String) throws {
    guard image.count > 0 else {
        throw DLError.input("\(name) is empty", hint: "pipe a dl file in, or name one")
    }
    guard image.withBytes(hasHDF5Signature) else {
        throw DLError.input("\(name) is not an HDF5 file", hint: "dl tools read HDF5 files written by dl-data and the other dl tools")
    }
}

/// HDF5's signature may sit at byte 0, 512, 1024, 2048, … (after a user block).
func hasHDF5Signature(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let sig: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    var offset = 0
    while offset + 8 <= bytes.count {
        if (0..<8).allSatisfy({ bytes[offset + $0] == sig[$0] }) { return true }
        offset = offset == 0 ? 512 : offset * 2
    }
    return false
}
