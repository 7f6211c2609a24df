// A fully connected net (Th. 2, Def. 1): Z_i = σ_i(Z_{i-1} W_i + b_i), Z_0 = X,
// with σ_k the output head. Shapes: W_i: [d_{i-1}, d_i], b_i: [d_i].
//
// All parameters live in one flat buffer, layer by layer (W_1, b_1, W_2, b_2, …),
// so the optimizer is one loop and gradients share the layout. Layer i (1-based,
// as in the thesis) maps one-to-one to /model/layers/i/W and /model/layers/i/b.

public struct MLP: Equatable {
    /// d_0 … d_k: input width, hidden widths, output width.
    public let widths: [Int]
    public var hidden: Activation
    public var head: OutputHead
    /// W_1, b_1, …, W_k, b_k, row-major.
    public var parameters: [Float]

    public var layers: Int { widths.count - 1 }

    /// The most parameters a net may have (8 GB of float32).
    public static let maxParameters = 1 << 31

    /// What is wrong with a list of layer widths, or nil when it makes a net.
    public static func problem(widths: [Int]) -> String? {
        guard widths.count >= 2, widths.allSatisfy({ $0 >= 1 }) else {
            return "an architecture needs at least an input and an output width, all positive (got \(widths))"
        }
        var total = 0
        for (a, b) in zip(widths, widths.dropFirst()) {
            let (w, o1) = a.multipliedReportingOverflow(by: b)
            let (t, o2) = total.addingReportingOverflow(w)
            let (u, o3) = t.addingReportingOverflow(b)
            guard !o1, !o2, !o3, u <= maxParameters else {
                return "architecture \(widths) has more than 2^31 parameters"
            }
            total = u
        }
        return nil
    }

    public init(widths: [Int], hidden: Activation, head: OutputHead, parameters: [Float]? = nil) throws {
        if let problem = MLP.problem(widths: widths) { throw DLError.usage(problem) }
        self.widths = widths
        self.hidden = hidden
        self.head = head
        let n = MLP.parameterCount(widths)
        if let parameters {
            guard parameters.count == n else {
                throw DLError.input("architecture \(widths) has \(n) parameters, got \(parameters.count)")
            }
            self.parameters = parameters
        } else {
            self.parameters = [Float](repeating: 0, count: n)
        }
    }

    public static func parameterCount(_ widths: [Int]) -> Int {
        zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    /// Offset of W_i in `parameters` (i in 1…k).
    public func weightOffset(_ i: Int) -> Int {
        var off = 0
        for l in 1..<i { off += widths[l - 1] * widths[l] + widths[l] }
        return off
    }

    /// Offset of b_i in `parameters`.
    public func biasOffset(_ i: Int) -> Int { weightOffset(i) + widths[i - 1] * widths[i] }

    /// W_i: [d_{i-1}, d_i] (a copy).
    public func weight(_ i: Int) -> Matrix {
        let o = weightOffset(i)
        return Matrix(unchecked: [widths[i - 1], widths[i]], Array(parameters[o..<(o + widths[i - 1] * widths[i])]))
    }

    /// b_i: [d_i] (a copy).
    public func bias(_ i: Int) -> [Float] {
        let o = biasOffset(i)
        return Array(parameters[o..<(o + widths[i])])
    }

    /// Draws W_i by `initialization` (seeded), b_i = 0.
    public mutating func initialize(_ initialization: Initialization, seed: UInt64) {
        for i in 1...layers {
            var rng = RNG(seed: seed, stream: UInt64(1000 + i))
            let (din, dout) = (widths[i - 1], widths[i])
            let o = weightOffset(i)
            switch initialization {
            case .he:
                let s = (2.0 / Double(din)).squareRoot()
                for j in 0..<(din * dout) { parameters[o + j] = Float(s * rng.normal()) }
            case .glorot:
                let a = (6.0 / Double(din + dout)).squareRoot()
                for j in 0..<(din * dout) { parameters[o + j] = Float(a * (2 * rng.uniform() - 1)) }
            }
            let ob = biasOffset(i)
            for j in 0..<dout { parameters[ob + j] = 0 }
        }
    }

    /// "784-392-50-10".
    public var architecture: String { widths.map(String.init).joined(separator: "-") }
}

/// Parses "784-392-50-10".
public func parseArchitecture(_ s: String) throws -> [Int] {
    let parts = s.split(separator: "-", omittingEmptySubsequences: false)
    let widths = parts.compactMap { Int($0) }
    guard widths.count == parts.count, widths.count >= 2, widths.allSatisfy({ $0 >= 1 && $0 <= 1 << 24 }) else {
        throw DLError.usage("bad architecture '\(s)'", hint: "widths joined by '-', input first and output last, e.g. 784-392-50-10")
    }
    return widths
}
