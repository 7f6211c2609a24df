// A fully connected net (Th. 2, Def. 1): Z_i = σ_i(Z_{i-1} W_i + b_i), Z_0 = X.
// Shapes: W_i: [d_{i-1}, d_i], b_i: [d_i].
//
// A classifier or regressor ends in an output head (Th. 4): its last layer is
// linear (Z_k = the logits x) and the head gives Ŷ = f(x). A net without a head
// is a stack of hidden layers — a feednet, or layers sliced out of a model (Th.
// 6.2: layer-wise training keeps W_i and drops the decision layer) — and its
// output is Z_k itself.
//
// All parameters live in one flat buffer, layer by layer (W_1, b_1, W_2, b_2, …),
// so the optimizer is one loop and gradients share the layout. Layer i (1-based,
// as in the thesis) maps one-to-one to /model/layers/i/W and /model/layers/i/b.

public struct MLP: Equatable {
    /// d_0 … d_k: input width, hidden widths, output width.
    public let widths: [Int]
    /// σ_1 … σ_k, one per layer; σ_k is linear under a head.
    public let activations: [Activation]
    /// The output head, or nil for a stack of hidden layers.
    public let head: OutputHead?
    /// W_1, b_1, …, W_k, b_k, row-major.
    /// Any change to them drops `parameters64`, which then no longer describes the net.
    public var parameters: [Float] { didSet { parameters64 = nil } }
    /// The same in float64, when a float64 fit made them (dl-fit project
    /// --precision 64): `parameters` is then their rounding, and evaluation,
    /// features and measures run in float64 on these (ExactForward.swift), since
    /// a closed-form fit's weights can be too large for float32 to reproduce.
    public var parameters64: [Double]?

    public var layers: Int { widths.count - 1 }

    /// The most layers a net may have: what a model file's attributes can list.
    public static let maxLayers = 15_000
    /// The most parameters a net may have (8 GB of float32).
    public static let maxParameters = 1 << 31

    /// What is wrong with a list of layer widths, or nil when it makes a net.
    public static func problem(widths: [Int]) -> String? {
        guard widths.count >= 2, widths.allSatisfy({ $0 >= 1 }) else {
            return "an architecture needs at least an input and an output width, all positive (got \(widths))"
        }
        // The model file's widths attribute (int32 past 4096 entries) holds 16,000.
        guard widths.count <= maxLayers + 1 else { return "a net has at most \(maxLayers) layers (got \(widths.count - 1))" }
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

    /// A net with its own activation per layer; `head` nil for a stack of hidden layers.
    public init(widths: [Int], activations: [Activation], head: OutputHead?, parameters: [Float]? = nil) throws {
        if let problem = MLP.problem(widths: widths) { throw DLError.usage(problem) }
        guard activations.count == widths.count - 1 else {
            throw DLError.usage("\(widths.count - 1) layers need \(widths.count - 1) activations, got \(activations.count)")
        }
        if head != nil && activations.last != .linear {
            throw DLError.usage("the last layer under an output head is linear (its output is the head's input x)")
        }
        self.widths = widths
        self.activations = activations
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

    /// A net whose hidden layers all use `hidden`, ending in `head`.
    public init(widths: [Int], hidden: Activation, head: OutputHead, parameters: [Float]? = nil) throws {
        try self.init(widths: widths, activations: Array(repeating: hidden, count: max(0, widths.count - 2)) + [.linear],
                      head: head, parameters: parameters)
    }

    public static func parameterCount(_ widths: [Int]) -> Int {
        zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    /// σ_i (i in 1…k).
    public func activation(_ i: Int) -> Activation { activations[i - 1] }

    /// The activations of the hidden layers 1…k−1 under a head, of every layer without one.
    public var hiddenActivations: ArraySlice<Activation> { head == nil ? activations[...] : activations.dropLast() }

    /// Offset of W_i in `parameters` (i in 1…k).
    public func weightOffset(_ i: Int) -> Int {
        var off = 0
        for l in 1..<i { off += widths[l - 1] * widths[l] + widths[l] }
        return off
    }

    /// Offset of b_i in `parameters`.
    public func biasOffset(_ i: Int) -> Int { weightOffset(i) + widths[i - 1] * widths[i] }

    /// W_1, b_1, …, W_i, b_i end here: where layer i + 1's parameters start.
    public func endOffset(_ i: Int) -> Int { biasOffset(i) + widths[i] }

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

    /// Draws every W_i by `initialization`, each from its own stream, and sets b = 0.
    public mutating func initialize(_ initialization: Initialization, seed: UInt64) {
        for i in 1...layers {
            var rng = RNG(seed: seed, stream: .initialWeights(layer: i))
            initializeLayer(i, initialization, rng: &rng)
        }
    }

    /// Draws W_i by `initialization` from `rng`, b_i = 0.
    public mutating func initializeLayer(_ i: Int, _ initialization: Initialization, rng: inout RNG) {
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

    /// Layers `range` = a…b (1-based) as a net of their own, Z_{a−1} ↦ … ↦ Z_b. It
    /// keeps the head only when it ends at the last layer.
    public func slice(_ range: ClosedRange<Int>) throws -> MLP {
        guard range.lowerBound >= 1, range.upperBound <= layers else {
            throw DLError.usage("layers \(range.lowerBound)…\(range.upperBound) are not in a net of layers 1…\(layers)")
        }
        let a = range.lowerBound, b = range.upperBound
        var part = try MLP(widths: Array(widths[(a - 1)...b]), activations: Array(activations[(a - 1)..<b]),
                           head: b == layers ? head : nil,
                           parameters: Array(parameters[weightOffset(a)..<endOffset(b)]))
        part.parameters64 = parameters64.map { Array($0[weightOffset(a)..<endOffset(b)]) }
        return part
    }

    /// This net with `top` on top of it: top's input is this net's output, so this
    /// net needs no head, and the result has top's head.
    public func stacked(with top: MLP) throws -> MLP {
        guard head == nil else {
            throw DLError.usage("cannot stack layers on top of an output head", hint: "slice the hidden layers out first")
        }
        guard widths.last == top.widths.first else {
            throw DLError.usage("cannot stack a net taking \(top.widths[0]) inputs on layers giving \(widths.last!)")
        }
        var net = try MLP(widths: widths + top.widths.dropFirst(), activations: activations + top.activations,
                          head: top.head, parameters: parameters + top.parameters)
        // A float64 part keeps the stack exact (float32 widens exactly).
        if parameters64 != nil || top.parameters64 != nil {
            net.parameters64 = (parameters64 ?? parameters.map(Double.init)) + (top.parameters64 ?? top.parameters.map(Double.init))
        }
        return net
    }

    /// "784-392-50-10".
    public var architecture: String { widths.map(String.init).joined(separator: "-") }
}

/// Parses "784-392-50-10"; "WxN" stands for N layers of width W, so a deep net
/// reads "1-16x10000-1".
public func parseArchitecture(_ s: String) throws -> [Int] {
    let bad = DLError.usage("bad architecture '\(s.count > 60 ? s.prefix(60) + "…" : Substring(s))'",
                            hint: "widths joined by '-', input first and output last, e.g. 784-392-50-10 or 1-16x100-1")
    var widths: [Int] = []
    for part in s.split(separator: "-", omittingEmptySubsequences: false) {
        let wn = part.split(separator: "x", omittingEmptySubsequences: false)
        guard (1...2).contains(wn.count), let w = Int(wn[0]), w >= 1, w <= 1 << 24 else { throw bad }
        let n = wn.count == 2 ? Int(wn[1]) : 1
        guard let n, n >= 1, widths.count + n <= MLP.maxLayers + 1 else { throw bad }
        widths += Array(repeating: w, count: n)
    }
    guard widths.count >= 2 else { throw bad }
    return widths
}
