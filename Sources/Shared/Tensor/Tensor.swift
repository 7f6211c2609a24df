/// The number of elements of a shape, or nil when it overflows or passes
/// `limit` (2^40 elements by default: 4 TB of float32, more than any machine here).
public func checkedElementCount(_ shape: [Int], limit: Int = 1 << 40) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = p
    }
    // A zero dimension makes the product 0 whatever the others are, but the others
    // must still be sane sizes.
    var nonzero = 1
    for d in shape where d > 0 {
        let (p, o) = nonzero.multipliedReportingOverflow(by: d)
        if o || p > limit { return nil }
        nonzero = p
    }
    return n <= limit ? n : nil
}

/// A dense row-major tensor of Float or Double. Shapes are checked by the
/// operations that combine tensors; element storage is one contiguous array.
///
/// A matrix is a rank-2 tensor: `shape == [rows, cols]`, element (i, j) at i*cols + j.
public struct Tensor<Scalar: LinalgScalar>: Equatable {
    public private(set) var shape: [Int]
    public var storage: [Scalar]

    public init(shape: [Int], storage: [Scalar]) throws {
        guard let count = checkedElementCount(shape) else {
            throw DLError.input("invalid or too large shape \(shape)")
        }
        guard count == storage.count else {
            throw DLError.input("shape \(shape) holds \(count) values but \(storage.count) were given")
        }
        self.shape = shape
        self.storage = storage
    }

    public init(zeros shape: [Int]) {
        self.shape = shape.map { max(0, $0) }
        self.storage = largeArray(repeating: 0, count: self.shape.reduce(1, *))
    }


    /// A matrix from rows (all the same length).
    public init(rows: [[Scalar]]) throws {
        let cols = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == cols }) else {
            throw DLError.input("rows of unequal length")
        }
        try self.init(shape: [rows.count, cols], storage: rows.flatMap { $0 })
    }

    public var rank: Int { shape.count }
    public var count: Int { storage.count }
    public var rows: Int { shape.first ?? 0 }
    /// Values per row: the product of all dimensions after the first.
    public var cols: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    public subscript(i: Int, j: Int) -> Scalar {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, storage: storage)
    }

    /// The rows at `indices` (in that order), as a new tensor.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let c = cols
        var out = [Scalar](repeating: 0, count: indices.count * c)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    (dst.baseAddress! + r * c).update(from: src.baseAddress! + i * c, count: c)
                }
            }
        }
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(unchecked: newShape, out)
    }

    /// Rows start..<end.
    public func sliceRows(_ range: Range<Int>) -> Tensor {
        let c = cols
        var newShape = shape
        newShape[0] = range.count
        return Tensor(unchecked: newShape, Array(storage[(range.lowerBound * c)..<(range.upperBound * c)]))
    }

    /// Internal constructor for shapes already known to match.
    init(unchecked shape: [Int], _ storage: [Scalar]) {
        self.shape = shape
        self.storage = storage
    }

    /// Throws unless this is a matrix of the given shape (nil = any size).
    public func checkMatrix(_ name: String, rows r: Int? = nil, cols c: Int? = nil) throws {
        guard rank == 2 else { throw DLError.input("\(name) must be a matrix, got shape \(shape)") }
        if let r, shape[0] != r { throw DLError.input("\(name) must have \(r) rows, got shape \(shape)") }
        if let c, shape[1] != c { throw DLError.input("\(name) must have \(c) columns, got shape \(shape)") }
    }

    /// True when every value is finite (no NaN or Inf).
    public var allFinite: Bool {
        storage.withUnsafeBufferPointer { $0.allSatisfy { $0.isFinite } }
    }
}

public typealias Matrix = Tensor<Float>
public typealias Matrix64 = Tensor<Double>

/// Eight floats, for the explicit vector loops of the hot paths (ReLU, kNN selection).
typealias Float8 = SIMD8<Float>

extension Tensor where Scalar == Float {
    public func toDouble() -> Tensor<Double> { Tensor<Double>(unchecked: shape, storage.map { Double($0) }) }
}

extension Tensor where Scalar == Double {
    public func toFloat() -> Tensor<Float> { Tensor<Float>(unchecked: shape, storage.map { Float($0) }) }
}

