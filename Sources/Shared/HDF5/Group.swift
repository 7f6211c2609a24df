import CHDF5
import Foundation

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
}
