import CHDF5
import Foundation

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

extension H5Group {
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
        var values = largeArray(repeating: T.zero, count: count)
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
}
