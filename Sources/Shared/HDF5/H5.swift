import CHDF5
import Foundation

// Checked wrappers over the HDF5 C API. Every call that can fail goes through
// `h5check`/`h5id`, so a failure becomes a one-line DLError instead of HDF5's
// multi-line error stack (which `H5Library.initialize` silences).

public enum H5Library {
    private nonisolated(unsafe) static var ready = false
    /// Opens the library once and turns off its automatic error printing.
    public static func initialize() {
        if ready { return }
        H5open()
        dl_h5_silence()
        ready = true
    }
}

@inline(__always)
func h5id(_ id: hid_t, _ what: @autoclosure () -> String, hint: String? = nil) throws -> hid_t {
    if id < 0 { throw DLError.input(what(), hint: hint) }
    return id
}

@inline(__always)
func h5check(_ status: herr_t, _ what: @autoclosure () -> String, hint: String? = nil) throws {
    if status < 0 { throw DLError.input(what(), hint: hint) }
}

/// Element types that map to HDF5: the in-memory (native) type and the
/// little-endian type stored in files.
public protocol H5Scalar: Numeric {
    static var h5Memory: hid_t { get }
    static var h5File: hid_t { get }
}
extension Float: H5Scalar {
    public static var h5Memory: hid_t { dl_h5t_native_float() }
    public static var h5File: hid_t { dl_h5t_ieee_f32le() }
}
extension Double: H5Scalar {
    public static var h5Memory: hid_t { dl_h5t_native_double() }
    public static var h5File: hid_t { dl_h5t_ieee_f64le() }
}
extension Int32: H5Scalar {
    public static var h5Memory: hid_t { dl_h5t_native_int32() }
    public static var h5File: hid_t { dl_h5t_std_i32le() }
}
extension Int64: H5Scalar {
    public static var h5Memory: hid_t { dl_h5t_native_int64() }
    public static var h5File: hid_t { dl_h5t_std_i64le() }
}
extension UInt64: H5Scalar {
    public static var h5Memory: hid_t { dl_h5t_native_uint64() }
    public static var h5File: hid_t { dl_h5t_std_u64le() }
}
extension UInt8: H5Scalar {
    public static var h5Memory: hid_t { dl_h5t_native_uint8() }
    public static var h5File: hid_t { dl_h5t_std_u8le() }
}

/// An attribute's value, by HDF5 type class; scalar and 1-D array forms are kept
/// apart so a copy keeps its shape (h5py reads a scalar as a number, an array as one).
public enum H5AttributeValue: Equatable {
    case string(String)
    case strings([String])
    case integer(Int64)
    case integers([Int64])
    case float(Double)
    case floats([Double])

    public var string: String? {
        switch self {
        case .string(let s): return s
        case .strings(let v) where v.count == 1: return v[0]
        default: return nil
        }
    }
    public var stringArray: [String]? {
        switch self {
        case .string(let s): return [s]
        case .strings(let v): return v
        default: return nil
        }
    }
    public var integerArray: [Int64]? {
        switch self {
        case .integer(let v): return [v]
        case .integers(let v): return v
        default: return nil
        }
    }
    public var integer: Int64? { integerArray.flatMap { $0.count == 1 ? $0[0] : nil } }
    public var double: Double? {
        switch self {
        case .float(let v): return v
        case .floats(let v) where v.count == 1: return v[0]
        default: return integer.map { Double($0) }
        }
    }
}

/// What a dataset holds: shape and element type (as numpy names it).
public struct H5DatasetInfo: Equatable {
    public let shape: [Int]
    public let dtype: String
    public var count: Int { checkedElementCount(shape) ?? Int.max }
    public init(shape: [Int], dtype: String) {
        self.shape = shape
        self.dtype = dtype
    }
}

/// An open HDF5 file. Keeps the memory of a file image alive while open.
public final class H5File {
    public let id: hid_t
    /// How messages name this file ("standard input", a path).
    public let name: String
    private var image: BigBuffer?
    /// Where the core driver keeps an in-memory file (nil for other files).
    private var core: UnsafeMutablePointer<dl_core_memory>?

    private init(id: hid_t, name: String, image: BigBuffer? = nil, core: UnsafeMutablePointer<dl_core_memory>? = nil) {
        self.id = id
        self.name = name
        self.image = image
        self.core = core
    }

    deinit {
        H5Fclose(id)
        _ = image
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
        guard image.count > 0 else {
            throw DLError.input("\(name) is empty", hint: "pipe a dl file in, or name one")
        }
        guard image.withBytes(hasHDF5Signature) else {
            throw DLError.input("\(name) is not an HDF5 file", hint: "dl tools read HDF5 files written by dl-data and the other dl tools")
        }
        let flags = UInt32(H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE)
        let id = H5LTopen_file_image(image.pointer, image.count, flags)
        if id < 0 {
            throw DLError.input("cannot open the HDF5 data on \(name)", hint: "the data may be truncated or damaged")
        }
        return H5File(id: id, name: name, image: image)
    }

    /// A new, empty file held in memory (core driver, no backing store);
    /// `imageBytes()` gives its bytes for writing out.
    public static func createInMemory() throws -> H5File {
        H5Library.initialize()
        // HDF5 refuses a second open file of the same name, so each gets its own.
        memoryFiles += 1
        let name = "dl-memory-\(memoryFiles)"
        let fapl = try h5id(H5Pcreate(dl_h5p_file_access()), "cannot create file access properties")
        defer { H5Pclose(fapl) }
        // 64 MiB growth steps: few reallocations for large tensors.
        try h5check(H5Pset_fapl_core(fapl, 64 << 20, false), "cannot select the in-memory HDF5 driver")
        let core = UnsafeMutablePointer<dl_core_memory>.allocate(capacity: 1)
        core.initialize(to: dl_core_memory(mem: nil, size: 0))
        guard dl_set_big_image_callbacks(fapl, core) >= 0 else {
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
        // have no checksum; later versions are checksummed, so let HDF5 copy those.
        guard head[8] <= 1 else { return try imageBytes().withBytes { try body([$0]) } }
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

/// A large byte buffer backed by huge pages (see dl_big_alloc in the C shim).
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

/// A group (or the root) of an open file. Holds its file open.
public final class H5Group {
    public let file: H5File
    private let ownId: hid_t?
    public let path: String

    init(file: H5File, id: hid_t?, path: String) {
        self.file = file
        self.ownId = id
        self.path = path
    }

    deinit { if let ownId { H5Gclose(ownId) } }

    /// The HDF5 location id (the file id for the root).
    public var id: hid_t { ownId ?? file.id }

    func childPath(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// True when a link with this name (or relative path) exists.
    public func exists(_ name: String) -> Bool {
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            if H5Lexists(id, prefix, dl_h5p_default()) <= 0 { return false }
        }
        return !prefix.isEmpty
    }

    public enum Kind { case group, dataset, other }

    public func kind(of name: String) -> Kind? {
        guard exists(name) else { return nil }
        let obj = H5Oopen(id, name, dl_h5p_default())
        if obj < 0 { return nil }
        defer { H5Oclose(obj) }
        switch H5Iget_type(obj) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Names of the links in this group, in name order.
    public func children() throws -> [String] {
        var info = H5G_info_t()
        try h5check(H5Gget_info(id, &info), "cannot list group \(path) of \(file.name)")
        var names: [String] = []
        for i in 0..<info.nlinks {
            let len = H5Lget_name_by_idx(id, ".", dl_h5_index_name(), dl_h5_iter_inc(), i, nil, 0, dl_h5p_default())
            guard len >= 0 else { throw DLError.input("cannot read a link name in \(path) of \(file.name)") }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            _ = H5Lget_name_by_idx(id, ".", dl_h5_index_name(), dl_h5_iter_inc(), i, &buf, buf.count, dl_h5p_default())
            names.append(String(cString: buf))
        }
        return names
    }

    public func openGroup(_ name: String) throws -> H5Group {
        guard kind(of: name) == .group else {
            throw DLError.input("\(file.name) has no group \(childPath(name))")
        }
        let g = try h5id(H5Gopen2(id, name, dl_h5p_default()), "cannot open group \(childPath(name)) in \(file.name)")
        return H5Group(file: file, id: g, path: childPath(name))
    }

    public func createGroup(_ name: String) throws -> H5Group {
        let gcpl = try h5id(H5Pcreate(dl_h5p_group_create()), "cannot create group properties")
        defer { H5Pclose(gcpl) }
        try h5check(H5Pset_obj_track_times(gcpl, false), "cannot turn off object times")
        let g = try h5id(H5Gcreate2(id, name, dl_h5p_default(), gcpl, dl_h5p_default()),
                         "cannot create group \(childPath(name)) in \(file.name)")
        return H5Group(file: file, id: g, path: childPath(name))
    }

    public func openOrCreateGroup(_ name: String) throws -> H5Group {
        exists(name) ? try openGroup(name) : try createGroup(name)
    }

    // MARK: datasets

    /// Writes a dataset of the given shape (contiguous layout, little-endian file type).
    public func write<T: H5Scalar>(_ name: String, shape: [Int], values: UnsafeBufferPointer<T>) throws {
        guard checkedElementCount(shape) == values.count else {
            throw DLError.input("dataset \(childPath(name)): shape \(shape) does not hold \(values.count) values")
        }
        var dims = shape.map { hsize_t($0) }
        let space = try h5id(H5Screate_simple(Int32(dims.count), &dims, nil), "cannot create dataspace for \(childPath(name))")
        defer { H5Sclose(space) }
        let dcpl = try h5id(H5Pcreate(dl_h5p_dataset_create()), "cannot create dataset properties")
        defer { H5Pclose(dcpl) }
        try h5check(H5Pset_obj_track_times(dcpl, false), "cannot turn off object times")
        let ds = try h5id(H5Dcreate2(id, name, T.h5File, space, dl_h5p_default(), dcpl, dl_h5p_default()),
                          "cannot create dataset \(childPath(name)) in \(file.name)")
        defer { H5Dclose(ds) }
        if values.count > 0 {
            try h5check(H5Dwrite(ds, T.h5Memory, dl_h5s_all(), dl_h5s_all(), dl_h5p_default(), values.baseAddress),
                        "cannot write dataset \(childPath(name)) in \(file.name)", hint: "is the disk full?")
        }
    }

    public func write<T: H5Scalar>(_ name: String, shape: [Int], values: [T]) throws {
        try values.withUnsafeBufferPointer { try write(name, shape: shape, values: $0) }
    }

    public func write<T: LinalgScalar & H5Scalar>(_ name: String, _ tensor: Tensor<T>) throws {
        try write(name, shape: tensor.shape, values: tensor.storage)
    }

    /// Shape and element type of a dataset.
    public func datasetInfo(_ name: String) throws -> H5DatasetInfo {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let space = try h5id(H5Dget_space(ds), "cannot read the shape of \(childPath(name))")
        defer { H5Sclose(space) }
        let type = try h5id(H5Dget_type(ds), "cannot read the type of \(childPath(name))")
        defer { H5Tclose(type) }
        return H5DatasetInfo(shape: try spaceShape(space, childPath(name)), dtype: dtypeName(type))
    }

    /// Reads a whole numeric dataset, converted to T by HDF5.
    public func read<T: H5Scalar>(_ name: String, as _: T.Type = T.self) throws -> (shape: [Int], values: [T]) {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let space = try h5id(H5Dget_space(ds), "cannot read the shape of \(childPath(name))")
        defer { H5Sclose(space) }
        let type = try h5id(H5Dget_type(ds), "cannot read the type of \(childPath(name))")
        defer { H5Tclose(type) }
        let cls = H5Tget_class(type)
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw DLError.input("dataset \(childPath(name)) in \(file.name) is not numeric (\(dtypeName(type)))")
        }
        let shape = try spaceShape(space, childPath(name))
        guard let count = checkedElementCount(shape, limit: 1 << 36) else {
            throw DLError.input("dataset \(childPath(name)) in \(file.name) is too large to read (shape \(shape))")
        }
        var values = [T](repeating: 0, count: count)
        if count > 0 {
            try values.withUnsafeMutableBufferPointer { buf in
                try h5check(H5Dread(ds, T.h5Memory, dl_h5s_all(), dl_h5s_all(), dl_h5p_default(), buf.baseAddress),
                            "cannot read dataset \(childPath(name)) in \(file.name)",
                            hint: "the file may be truncated or damaged")
            }
        }
        return (shape, values)
    }

    /// Reads a dataset as a tensor.
    public func readTensor<T: LinalgScalar & H5Scalar>(_ name: String, as _: T.Type = T.self) throws -> Tensor<T> {
        let (shape, values) = try read(name, as: T.self)
        return try Tensor(shape: shape, storage: values)
    }

    private func openDataset(_ name: String) throws -> hid_t {
        guard kind(of: name) == .dataset else {
            throw DLError.input("\(file.name) has no dataset \(childPath(name))")
        }
        return try h5id(H5Dopen2(id, name, dl_h5p_default()), "cannot open dataset \(childPath(name)) in \(file.name)")
    }

    private func spaceShape(_ space: hid_t, _ what: String) throws -> [Int] {
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw DLError.input("cannot read the shape of \(what)") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
        guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else { throw DLError.input("the shape of \(what) is too large") }
        return dims.map { Int($0) }
    }

    /// Copies the object `name` of this group into `dest` under `destName`
    /// (recursively, bytes as stored: no conversion).
    public func copy(_ name: String, to dest: H5Group, as destName: String? = nil) throws {
        try h5check(H5Ocopy(id, name, dest.id, destName ?? name, dl_h5p_default(), dl_h5p_default()),
                    "cannot copy \(childPath(name)) from \(file.name)")
    }

    // MARK: attributes

    public func attributeNames() throws -> [String] { try h5AttributeNames(id, what: "\(path) of \(file.name)") }

    public func attribute(_ name: String) throws -> H5AttributeValue? { try h5ReadAttribute(id, name, what: path) }

    public func setAttribute(_ name: String, _ value: H5AttributeValue) throws { try h5WriteAttribute(id, name, value, what: path) }

    public func setAttribute(_ name: String, _ value: String) throws { try setAttribute(name, .string(value)) }
    public func setAttribute(_ name: String, _ value: [String]) throws { try setAttribute(name, .strings(value)) }
    public func setAttribute(_ name: String, _ value: Int) throws { try setAttribute(name, .integer(Int64(value))) }
    public func setAttribute(_ name: String, _ value: [Int]) throws { try setAttribute(name, .integers(value.map { Int64($0) })) }
    public func setAttribute(_ name: String, _ value: Double) throws { try setAttribute(name, .float(value)) }

    /// Copies every attribute of this group to `dest`.
    public func copyAttributes(to dest: H5Group) throws {
        for name in try attributeNames() {
            if let v = try attribute(name) { try dest.setAttribute(name, v) }
        }
    }
}

func dtypeName(_ type: hid_t) -> String {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_FLOAT: return "float\(size * 8)"
    case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
    case H5T_STRING: return "string"
    case H5T_COMPOUND: return "compound"
    default: return "other"
    }
}

func h5AttributeNames(_ loc: hid_t, what: String) throws -> [String] {
    var info = H5O_info_t()
    try h5check(H5Oget_info2(loc, &info, UInt32(H5O_INFO_NUM_ATTRS)), "cannot list the attributes of \(what)")
    var names: [String] = []
    for i in 0..<info.num_attrs {
        let len = H5Aget_name_by_idx(loc, ".", dl_h5_index_name(), dl_h5_iter_inc(), i, nil, 0, dl_h5p_default())
        guard len >= 0 else { throw DLError.input("cannot read an attribute name of \(what)") }
        var buf = [CChar](repeating: 0, count: Int(len) + 1)
        _ = H5Aget_name_by_idx(loc, ".", dl_h5_index_name(), dl_h5_iter_inc(), i, &buf, buf.count, dl_h5p_default())
        names.append(String(cString: buf))
    }
    return names
}

func h5ReadAttribute(_ loc: hid_t, _ name: String, what: String) throws -> H5AttributeValue? {
    guard H5Aexists(loc, name) > 0 else { return nil }
    let attr = try h5id(H5Aopen(loc, name, dl_h5p_default()), "cannot open attribute \(name) of \(what)")
    defer { H5Aclose(attr) }
    let space = try h5id(H5Aget_space(attr), "cannot read attribute \(name) of \(what)")
    defer { H5Sclose(space) }
    let type = try h5id(H5Aget_type(attr), "cannot read attribute \(name) of \(what)")
    defer { H5Tclose(type) }
    let count = Int(H5Sget_simple_extent_npoints(space))
    guard count >= 0 else { throw DLError.input("cannot read attribute \(name) of \(what)") }
    let scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
    switch H5Tget_class(type) {
    case H5T_INTEGER:
        var v = [Int64](repeating: 0, count: count)
        if count > 0 { try h5check(H5Aread(attr, dl_h5t_native_int64(), &v), "cannot read attribute \(name) of \(what)") }
        return scalar && count == 1 ? .integer(v[0]) : .integers(v)
    case H5T_FLOAT:
        var v = [Double](repeating: 0, count: count)
        if count > 0 { try h5check(H5Aread(attr, dl_h5t_native_double(), &v), "cannot read attribute \(name) of \(what)") }
        return scalar && count == 1 ? .float(v[0]) : .floats(v)
    case H5T_STRING:
        var strings: [String]
        if H5Tis_variable_str(type) > 0 {
            let mem = H5Tcopy(dl_h5t_c_s1())
            defer { H5Tclose(mem) }
            H5Tset_size(mem, dl_h5t_variable())
            H5Tset_cset(mem, H5Tget_cset(type))
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            if count > 0 { try h5check(H5Aread(attr, mem, &ptrs), "cannot read attribute \(name) of \(what)") }
            strings = ptrs.map { $0.map { String(cString: $0) } ?? "" }
            if count > 0 { H5Dvlen_reclaim(mem, space, dl_h5p_default(), &ptrs) }
        } else {
            let size = H5Tget_size(type)
            var bytes = [UInt8](repeating: 0, count: size * count)
            if count > 0 { try h5check(H5Aread(attr, type, &bytes), "cannot read attribute \(name) of \(what)") }
            strings = (0..<count).map { i -> String in
                let slice = bytes[(i * size)..<((i + 1) * size)]
                let end = slice.firstIndex(of: 0) ?? slice.endIndex
                return String(decoding: slice[slice.startIndex..<end], as: UTF8.self)
            }
        }
        return scalar && count == 1 ? .string(strings[0]) : .strings(strings)
    default:
        return nil
    }
}

func h5WriteAttribute(_ loc: hid_t, _ name: String, _ value: H5AttributeValue, what: String) throws {
    if H5Aexists(loc, name) > 0 {
        try h5check(H5Adelete(loc, name), "cannot replace attribute \(name) of \(what)")
    }
    func make(_ count: Int, _ fileType: hid_t, scalar: Bool, _ body: (hid_t) throws -> herr_t) throws {
        var dims = [hsize_t(count)]
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        _ = try h5id(space, "cannot create attribute \(name) of \(what)")
        defer { H5Sclose(space) }
        let attr = try h5id(H5Acreate2(loc, name, fileType, space, dl_h5p_default(), dl_h5p_default()),
                            "cannot create attribute \(name) of \(what)")
        defer { H5Aclose(attr) }
        try h5check(try body(attr), "cannot write attribute \(name) of \(what)")
    }
    // Variable-length UTF-8 strings: h5py reads them as str.
    func writeStrings(_ v: [String], scalar: Bool) throws {
        let type = H5Tcopy(dl_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, dl_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let cstrings = v.map { strdup($0) }
        defer { cstrings.forEach { free($0) } }
        try make(v.count, type, scalar: scalar) { attr in
            var ptrs = cstrings.map { UnsafePointer<CChar>($0) }
            return H5Awrite(attr, type, &ptrs)
        }
    }

    switch value {
    case .integer(let v):
        try make(1, dl_h5t_std_i64le(), scalar: true) { attr in withUnsafePointer(to: v) { H5Awrite(attr, dl_h5t_native_int64(), $0) } }
    case .integers(let v):
        try make(v.count, dl_h5t_std_i64le(), scalar: false) { attr in
            v.withUnsafeBufferPointer { H5Awrite(attr, dl_h5t_native_int64(), $0.baseAddress) }
        }
    case .float(let v):
        try make(1, dl_h5t_ieee_f64le(), scalar: true) { attr in withUnsafePointer(to: v) { H5Awrite(attr, dl_h5t_native_double(), $0) } }
    case .floats(let v):
        try make(v.count, dl_h5t_ieee_f64le(), scalar: false) { attr in
            v.withUnsafeBufferPointer { H5Awrite(attr, dl_h5t_native_double(), $0.baseAddress) }
        }
    case .string(let v):
        try writeStrings([v], scalar: true)
    case .strings(let v):
        try writeStrings(v, scalar: false)
    }
}
