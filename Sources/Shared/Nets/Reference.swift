import Foundation

// The plain-loop reference of the training engine, in float64 (llm.c manner: the
// naive version beside the fast one; tests compare them and check it against
// finite differences). Same layout as MLP.parameters.

/// Mean implied loss over the rows of X and its gradient with respect to every
/// parameter. X: [B, d_0] row-major, T: [B, K] targets.
public func referenceLossAndGradients(_ model: MLP, parameters p: [Double], X: [Double], T: [Double], rows B: Int) -> (loss: Double, gradients: [Double]) {
    let widths = model.widths, k = model.layers
    var Z: [[Double]] = [X]                  // Z_0 … Z_k (Z_k = logits)
    for i in 1...k {
        let (din, dout) = (widths[i - 1], widths[i])
        let wo = model.weightOffset(i), bo = model.biasOffset(i)
        var a = [Double](repeating: 0, count: B * dout)
        for r in 0..<B {
            for j in 0..<dout {
                var s = p[bo + j]
                for q in 0..<din { s += Z[i - 1][r * din + q] * p[wo + q * dout + j] }
                a[r * dout + j] = i < k ? referenceActivation(model.hidden, s) : s
            }
        }
        Z.append(a)
    }
    let K = widths[k]
    let x = Z[k]
    var y = [Double](repeating: 0, count: B * K)
    var loss = 0.0
    for r in 0..<B {
        let xr = Array(x[(r * K)..<((r + 1) * K)]), tr = Array(T[(r * K)..<((r + 1) * K)])
        let yr = referenceHead(model.head, xr)
        for j in 0..<K { y[r * K + j] = yr[j] }
        loss += referenceHeadLoss(model.head, xr, yr, tr)
    }
    loss /= Double(B)
    // Backward: delta_k = (Y − T)/B, then the chain rule through each layer.
    var delta = (0..<(B * K)).map { (y[$0] - T[$0]) / Double(B) }
    var grads = [Double](repeating: 0, count: p.count)
    for i in stride(from: k, through: 1, by: -1) {
        let (din, dout) = (widths[i - 1], widths[i])
        let wo = model.weightOffset(i), bo = model.biasOffset(i)
        for r in 0..<B {
            for j in 0..<dout {
                let dl = delta[r * dout + j]
                grads[bo + j] += dl
                for q in 0..<din { grads[wo + q * dout + j] += Z[i - 1][r * din + q] * dl }
            }
        }
        if i > 1 {
            var prev = [Double](repeating: 0, count: B * din)
            for r in 0..<B {
                for q in 0..<din {
                    var s = 0.0
                    for j in 0..<dout { s += delta[r * dout + j] * p[wo + q * dout + j] }
                    prev[r * din + q] = s * referenceActivationDerivative(model.hidden, Z[i - 1][r * din + q])
                }
            }
            delta = prev
        }
    }
    return (loss, grads)
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
