import CHDF5
import Foundation

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

extension H5Group {
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
    case .integers(let v) where v.count > 4096 && v.allSatisfy({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }):
        // An attribute holds at most 64 KiB: long lists (a deep net's widths) are
        // stored as int32, which every reader converts back.
        let narrow = v.map { Int32($0) }
        try make(v.count, dl_h5t_std_i32le(), scalar: false) { attr in
            narrow.withUnsafeBufferPointer { H5Awrite(attr, dl_h5t_native_int32(), $0.baseAddress) }
        }
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
