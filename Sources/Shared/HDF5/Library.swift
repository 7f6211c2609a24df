import CHDF5
import Foundation

// Checked wrappers over the HDF5 C API, split along HDF5's own lines: this file
// (the library, checked calls, element types), File (files and in-memory images),
// Group (groups and links), Dataset, Attribute; FileIO gets bytes in and out. Every call that can fail goes
// through `h5check`/`h5id`, so a failure becomes a one-line DLError instead of
// HDF5's multi-line error stack (which `H5Library.initialize` silences).

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
