import Foundation

// The plain-loop reference of the training engine, in float64 (llm.c manner: the
// naive version beside the fast one; tests compare them and check it against
// finite differences). Same layout as MLP.parameters.

/// Dropout scales fixed for a reference pass, per layer i (1…k): on its input
/// Z_{i−1} [B, d_{i−1}] and on the gradient entering it [B, d_i], row-major.
public struct ReferenceMasks {
    public var input: [Int: [Double]] = [:]
    public var gradient: [Int: [Double]] = [:]
    public init(input: [Int: [Double]] = [:], gradient: [Int: [Double]] = [:]) {
        self.input = input
        self.gradient = gradient
    }
}

/// Mean implied loss over the rows of X and its gradient with respect to every
/// parameter. X: [B, d_0] row-major, T: [B, K] targets.
public func referenceLossAndGradients(_ model: MLP, parameters p: [Double], X: [Double], T: [Double], rows B: Int,
                                      masks: ReferenceMasks = ReferenceMasks()) -> (loss: Double, gradients: [Double]) {
    let widths = model.widths, k = model.layers
    var Z: [[Double]] = [X]                  // Z_0 … Z_k (Z_k = logits under a head)
    var D: [[Double]] = []                   // each layer's input after dropout
    for i in 1...k {
        let (din, dout) = (widths[i - 1], widths[i])
        let wo = model.weightOffset(i), bo = model.biasOffset(i)
        var inp = Z[i - 1]
        if let m = masks.input[i] { for j in inp.indices { inp[j] *= m[j] } }
        D.append(inp)
        var a = [Double](repeating: 0, count: B * dout)
        for r in 0..<B {
            for j in 0..<dout {
                var s = p[bo + j]
                for q in 0..<din { s += inp[r * din + q] * p[wo + q * dout + j] }
                a[r * dout + j] = referenceActivation(model.activation(i), s)
            }
        }
        Z.append(a)
    }
    let head = model.head!
    let K = widths[k]
    let x = Z[k]
    var y = [Double](repeating: 0, count: B * K)
    var loss = 0.0
    for r in 0..<B {
        let xr = Array(x[(r * K)..<((r + 1) * K)]), tr = Array(T[(r * K)..<((r + 1) * K)])
        let yr = referenceHead(head, xr)
        for j in 0..<K { y[r * K + j] = yr[j] }
        loss += referenceHeadLoss(head, xr, yr, tr)
    }
    loss /= Double(B)
    // Backward: delta_k = (Y − T)/B, then the chain rule through each layer.
    var delta = (0..<(B * K)).map { (y[$0] - T[$0]) / Double(B) }
    if let g = masks.gradient[k] { for j in delta.indices { delta[j] *= g[j] } }
    var grads = [Double](repeating: 0, count: p.count)
    for i in stride(from: k, through: 1, by: -1) {
        let (din, dout) = (widths[i - 1], widths[i])
        let wo = model.weightOffset(i), bo = model.biasOffset(i)
        for r in 0..<B {
            for j in 0..<dout {
                let dl = delta[r * dout + j]
                grads[bo + j] += dl
                for q in 0..<din { grads[wo + q * dout + j] += D[i - 1][r * din + q] * dl }
            }
        }
        if i > 1 {
            var prev = [Double](repeating: 0, count: B * din)
            for r in 0..<B {
                for q in 0..<din {
                    var s = 0.0
                    for j in 0..<dout { s += delta[r * dout + j] * p[wo + q * dout + j] }
                    if let m = masks.input[i] { s *= m[r * din + q] }
                    prev[r * din + q] = s * referenceActivationDerivative(model.activation(i - 1), Z[i - 1][r * din + q])
                }
            }
            if let g = masks.gradient[i - 1] { for j in prev.indices { prev[j] *= g[j] } }
            delta = prev
        }
    }
    return (loss, grads)
}

/// The dropout scales the engine draws for rows `positions` of a run (Backprop.swift's
/// dropoutScales), as float64 rows [positions.count, count].
public func referenceDropoutScales(seed: UInt64, stream: RandomStream, positions: [Int], count: Int, rate: Float) -> [Double] {
    var out: [Double] = []
    for pos in positions {
        dropoutScales(seed: seed, stream: stream, position: pos, count: count, rate: rate) { _, s in out.append(Double(s)) }
    }
    return out
}

/// Training as the engine does it (epochs of batches in the order of stream
/// `.epochOrder(e)`, the LR schedule, per-layer factors, frozen layers, SGD with
/// momentum or AdamW), written out in float64 from `referenceLossAndGradients`,
/// without dropout. Returns the parameters after the run.
public func referenceTrain(_ model: MLP, X: [Double], T: [Double], rows m: Int, settings s: TrainingSettings) -> [Double] {
    var w = model.parameters.map(Double.init)
    var v = [Double](repeating: 0, count: w.count), a2 = v
    let d = model.widths[0], K = model.widths.last!
    var t = 0
    for epoch in s.firstEpoch..<(s.firstEpoch + s.epochs) {
        let lr = Double(s.learningRate(epoch: epoch))
        var rng = RNG(seed: s.seed, stream: .epochOrder(epoch: epoch))
        let order = rng.permutation(m)
        for start in stride(from: 0, to: m, by: s.batchSize) {
            let rows = Array(order[start..<min(m, start + s.batchSize)])
            let Xb = rows.flatMap { X[($0 * d)..<(($0 + 1) * d)] }, Tb = rows.flatMap { T[($0 * K)..<(($0 + 1) * K)] }
            let g = referenceLossAndGradients(model, parameters: w, X: Xb, T: Tb, rows: rows.count).gradients
            t += 1
            for i in 1...model.layers where s.plan(i).trainable {
                let lri = lr * Double(s.plan(i).lrFactor), wdi = Double(s.weightDecay) * Double(s.plan(i).wdFactor)
                for j in model.weightOffset(i)..<model.endOffset(i) {
                    switch s.optimizer {
                    case .sgd:
                        v[j] = Double(s.momentum) * v[j] + g[j] + wdi * w[j]
                        w[j] -= lri * v[j]
                    case .adamw:
                        let b1 = Double(s.adamBeta1), b2 = Double(s.adamBeta2)
                        v[j] = b1 * v[j] + (1 - b1) * g[j]
                        a2[j] = b2 * a2[j] + (1 - b2) * g[j] * g[j]
                        let mh = v[j] / (1 - pow(b1, Double(t))), sh = a2[j] / (1 - pow(b2, Double(t)))
                        w[j] = w[j] * (1 - lri * wdi) - lri * mh / (sh.squareRoot() + Double(s.adamEpsilon))
                    }
                }
            }
        }
    }
    return w
}

public func referenceActivation(_ a: Activation, _ x: Double) -> Double {
    switch a {
    case .relu: return max(x, 0)
    case .tanh: return Foundation.tanh(x)
    case .sigmoid: return 1 / (1 + Foundation.exp(-x))
    case .celu: return x > 0 ? x : Foundation.expm1(x)
    case .linear: return x
    }
}

/// σ'(a) in terms of z = σ(a).
public func referenceActivationDerivative(_ a: Activation, _ z: Double) -> Double {
    switch a {
    case .relu: return z > 0 ? 1 : 0
    case .tanh: return 1 - z * z
    case .sigmoid: return z * (1 - z)
    case .celu: return z > 0 ? 1 : z + 1
    case .linear: return 1
    }
}

public func referenceHead(_ h: OutputHead, _ x: [Double]) -> [Double] {
    let a = Double(h.alpha), b = Double(h.beta)
    switch h.kind {
    case .softmax:
        let m = x.max() ?? 0
        let e = x.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    case .linear: return x
    case .sigmoid: return x.map { 1 / (1 + Foundation.exp(-$0)) }
    case .tanh: return x.map { Foundation.tanh($0) }
    case .expGA: return x.map { a * Foundation.exp($0) }
    case .pow3GA: return x.map { a * $0 * $0 * $0 + b }
    }
}

/// The loss each head implies (Head.swift's table), written independently.
public func referenceHeadLoss(_ h: OutputHead, _ x: [Double], _ y: [Double], _ t: [Double]) -> Double {
    let a = Double(h.alpha), b = Double(h.beta)
    var s = 0.0
    switch h.kind {
    case .softmax:
        // −Σ t·ln softmax(x)
        for j in x.indices { s -= t[j] * Foundation.log(y[j]) }
    case .linear:
        for j in x.indices { s += 0.5 * (y[j] - t[j]) * (y[j] - t[j]) }
    case .sigmoid:
        for j in x.indices { s -= t[j] * Foundation.log(y[j]) + (1 - t[j]) * Foundation.log(1 - y[j]) }
    case .tanh:
        for j in x.indices { s += Foundation.log(Foundation.cosh(x[j])) - t[j] * x[j] }
    case .expGA:
        // Sparse cross-entropy (Th. 4.6): ‖y‖₁ − Σ t·ln y.
        for j in x.indices { s += abs(y[j]) - t[j] * Foundation.log(y[j]) }
    case .pow3GA:
        // Negative correlation loss (Th. 4.8): ¼α x⁴ + β x − t x.
        for j in x.indices { s += 0.25 * a * x[j] * x[j] * x[j] * x[j] + b * x[j] - t[j] * x[j] }
    }
    return s
}
