import CZlib
import Foundation

// IDX files (the MNIST family: MNIST, Fashion-MNIST, KMNIST, EMNIST), raw or gzip.
// Layout: magic 0x00 0x00 TYPE RANK, RANK big-endian uint32 dimensions, then the
// values row-major, big-endian.

public struct IDXArray {
    public enum ElementType: UInt8 {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E
        var size: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }
    }
    public let type: ElementType
    public let shape: [Int]
    /// The values as stored (big-endian), after the header.
    public let payload: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    /// The values as Float (images keep 0…255 for uint8; scaling is a transform).
    public func floats() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        payload.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                switch type {
                case .uint8:
                    let src = raw.bindMemory(to: UInt8.self)
                    for i in 0..<dst.count { dst[i] = Float(src[i]) }
                case .int8:
                    let src = raw.bindMemory(to: Int8.self)
                    for i in 0..<dst.count { dst[i] = Float(src[i]) }
                case .int16:
                    for i in 0..<dst.count { dst[i] = Float(Int16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).bigEndian)) }
                case .int32:
                    for i in 0..<dst.count { dst[i] = Float(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).bigEndian)) }
                case .float32:
                    for i in 0..<dst.count { dst[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).bigEndian) }
                case .float64:
                    for i in 0..<dst.count { dst[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).bigEndian)) }
                }
            }
        }
        return out
    }

    /// The values as class labels, decoded as integers; fails on non-integer
    /// types and on negative labels.
    public func labels(_ name: String) throws -> [Int32] {
        var out = [Int32](repeating: 0, count: count)
        try payload.withUnsafeBytes { raw in
            for i in 0..<count {
                let v: Int32
                switch type {
                case .uint8: v = Int32(raw[i])
                case .int8: v = Int32(Int8(bitPattern: raw[i]))
                case .int16: v = Int32(Int16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).bigEndian))
                case .int32: v = Int32(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).bigEndian)
                case .float32, .float64:
                    throw DLError.input("\(name) holds \(type) values, not integer labels",
                                        hint: "did you swap the images and labels files?")
                }
                if v < 0 { throw DLError.input("\(name) holds a negative label (\(v))") }
                out[i] = v
            }
        }
        return out
    }

    /// Largest value of an unsigned byte image (the scale for images); other
    /// types scale by the data's own range.
    public var typeMax: Float? { type == .uint8 ? 255 : nil }
}

/// Reads an IDX file, gzip-compressed or raw (zlib reads both).
public func readIDX(path: String) throws -> IDXArray {
    var st = stat()
    guard stat(path, &st) == 0 else {
        throw DLError.input("cannot open \(path): \(errnoText())", hint: "check the path")
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw DLError.input("\(path) is not a regular file") }
    guard let gz = gzopen(path, "rb") else {
        throw DLError.input("cannot open \(path): \(errnoText())")
    }
    defer { gzclose(gz) }
    gzbuffer(gz, 1 << 20)
    var bytes = [UInt8]()
    bytes.reserveCapacity(Int(st.st_size) * 2)
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
        if n < 0 {
            let msg = gzipMessage(gz, path)
            throw DLError.input("\(path) is damaged: \(msg)", hint: "the gzip data is truncated or corrupt; download it again")
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<Int(n)])
    }
    // gzread stops quietly at a truncated gzip stream; gzerror then reports it.
    var code: Int32 = 0
    _ = gzerror(gz, &code)
    if code != Z_OK && code != Z_STREAM_END {
        let msg = gzipMessage(gz, path)
        throw DLError.input("\(path) is damaged: \(msg)", hint: "the gzip data is truncated or corrupt; download it again")
    }
    return try parseIDX(bytes, name: path)
}

/// zlib's message without the path it puts in front.
private func gzipMessage(_ gz: gzFile, _ path: String) -> String {
    var code: Int32 = 0
    let msg = String(cString: gzerror(gz, &code))
    return msg.hasPrefix(path + ": ") ? String(msg.dropFirst(path.count + 2)) : msg
}

public func parseIDX(_ bytes: [UInt8], name: String) throws -> IDXArray {
    let hint = "IDX files (MNIST format) start with bytes 00 00 TYPE RANK"
    guard bytes.count >= 4 else {
        throw DLError.input("\(name) is not an IDX file (\(bytes.count) bytes)", hint: hint)
    }
    guard bytes[0] == 0, bytes[1] == 0 else {
        throw DLError.input(String(format: "%@ is not an IDX file (magic number %02x%02x%02x%02x)",
                                   name, bytes[0], bytes[1], bytes[2], bytes[3]), hint: hint)
    }
    guard let type = IDXArray.ElementType(rawValue: bytes[2]) else {
        throw DLError.input(String(format: "%@: unknown IDX element type 0x%02x", name, bytes[2]), hint: hint)
    }
    let rank = Int(bytes[3])
    guard rank >= 1 else { throw DLError.input("\(name): IDX rank is 0", hint: hint) }
    let header = 4 + 4 * rank
    guard bytes.count >= header else {
        throw DLError.input("\(name) is truncated: header needs \(header) bytes, file has \(bytes.count)")
    }
    var shape: [Int] = []
    for r in 0..<rank {
        let o = 4 + 4 * r
        shape.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
    }
    guard let count = checkedElementCount(shape) else {
        throw DLError.input("\(name): IDX dimensions \(shape) are too large", hint: hint)
    }
    let expected = count.multipliedReportingOverflow(by: type.size)
    guard !expected.overflow else { throw DLError.input("\(name): IDX dimensions \(shape) are too large", hint: hint) }
    let have = bytes.count - header
    guard have == expected.partialValue else {
        let what = have < expected.partialValue ? "truncated" : "longer than its header says"
        throw DLError.input("\(name) is \(what): dimensions \(shape) need \(expected.partialValue) bytes of data, found \(have)")
    }
    return IDXArray(type: type, shape: shape, payload: Array(bytes[header...]))
}

/// One split from an images file and a labels file, checked against each other.
/// Values stay raw (0…255 for uint8 images).
public func readIDXSplit(name: String, images: String, labels: String) throws -> (split: Split, typeMax: Float?) {
    let img = try readIDX(path: images)
    let lab = try readIDX(path: labels)
    guard lab.shape.count == 1 || (lab.shape.count == 2 && lab.shape[1] == 1) else {
        throw DLError.input("\(labels) is not a labels file: shape \(lab.shape), expected [n]",
                            hint: "did you swap the images and labels files?")
    }
    guard img.shape[0] == lab.shape[0] else {
        throw DLError.input("\(images) has \(img.shape[0]) images but \(labels) has \(lab.shape[0]) labels",
                            hint: "the two files must belong to the same split")
    }
    guard img.shape.count >= 2 else {
        throw DLError.input("\(images) is not an images file: shape \(img.shape), expected [n, …]",
                            hint: "did you swap the images and labels files?")
    }
    let m = img.shape[0]
    let sampleShape = Array(img.shape.dropFirst())
    let d = sampleShape.reduce(1, *)
    let X = try Matrix(shape: [m, d], storage: img.floats())
    let y = try lab.labels(labels)
    let classes = Int(y.max() ?? -1) + 1
    guard classes <= maxClasses else {
        throw DLError.input("\(labels) has label \(classes - 1): more than \(maxClasses) classes", hint: "is it really a labels file?")
    }
    return (Split(name: name, X: X, y: y, classes: classes, sampleShape: sampleShape.isEmpty ? [1] : sampleShape),
            img.typeMax)
}

/// Finds a file in `dir` by any of its usual names (with or without .gz,
/// with '-' or '.' before "idx").
public func findIDXFile(dir: String, stem: String) throws -> String {
    let alternatives = [stem, stem.replacingOccurrences(of: "-idx", with: ".idx")]
    for base in alternatives {
        for name in [base + ".gz", base] {
            let path = (dir as NSString).appendingPathComponent(name)
            if access(path, F_OK) == 0 { return path }
        }
    }
    throw DLError.input("no \(stem)[.gz] in \(dir)", hint: "the folder must hold the four standard IDX files")
}

/// The standard MNIST-family layout: train and test images and labels in one folder.
public func readIDXFolder(dir: String, source: String) throws -> (data: DataFile, typeMax: Float?) {
    var st = stat()
    guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
        throw DLError.input("no folder \(dir)", hint: "name the folder that holds the IDX files with --dir")
    }
    let train = try readIDXSplit(name: "train",
                                 images: try findIDXFile(dir: dir, stem: "train-images-idx3-ubyte"),
                                 labels: try findIDXFile(dir: dir, stem: "train-labels-idx1-ubyte"))
    let test = try readIDXSplit(name: "test",
                                images: try findIDXFile(dir: dir, stem: "t10k-images-idx3-ubyte"),
                                labels: try findIDXFile(dir: dir, stem: "t10k-labels-idx1-ubyte"))
    guard train.split.features == test.split.features else {
        throw DLError.input("train and test images differ in size: \(train.split.sampleShape) vs \(test.split.sampleShape)")
    }
    let classes = max(train.split.classes ?? 0, test.split.classes ?? 0)
    var splits = [train.split, test.split]
    for i in splits.indices { splits[i].classes = classes }
    return (DataFile(splits: splits, source: source), train.typeMax)
}

public let fashionMNISTClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
/// Where Debian's dataset-fashion-mnist package puts the files.
public let fashionMNISTDefaultDir = "/usr/share/datasets/fashion-mnist"
