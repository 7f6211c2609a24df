import Foundation

// The optimizer update rules, on one contiguous range of parameters at a time
// (a block of a layer's W or b, as phase 2 of a step hands them out).
//   w [n] parameters, v / m / s [n] optimizer state, g [n] gradients
// Their float64 twins are in Reference.swift (referenceTrain); the tests compare them.

/// SGD with momentum and L2 weight decay, PyTorch's rule, with the gradient
/// already folded into the momentum (v = μv + g, by phase 2's GEMM):
/// v += λw; w −= lr·v. One pass over n parameters; v is written back only when
/// λ ≠ 0 (otherwise it is unchanged).
func sgdUpdate(_ w: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ n: Int, lr: Float, weightDecay wd: Float) {
    // One rule, compiled twice: with `decays` a constant, each copy loses the branch.
    if wd == 0 { sgdRule(w, v, n, lr: lr, weightDecay: 0, decays: false) } else { sgdRule(w, v, n, lr: lr, weightDecay: wd, decays: true) }
}

@inline(__always)
private func sgdRule(_ w: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ n: Int, lr: Float, weightDecay wd: Float,
                     decays: Bool) {
    typealias V = SIMD8<Float>
    let wr = UnsafeMutableRawPointer(w), vr = UnsafeMutableRawPointer(v)
    let lrv = V(repeating: lr), wdv = V(repeating: wd)
    var i = 0
    while i + 8 <= n {
        let o = i * 4
        let wi = wr.loadUnaligned(fromByteOffset: o, as: V.self)
        var vi = vr.loadUnaligned(fromByteOffset: o, as: V.self)
        if decays {
            vi += wdv * wi
            vr.storeBytes(of: vi, toByteOffset: o, as: V.self)
        }
        wr.storeBytes(of: wi - lrv * vi, toByteOffset: o, as: V.self)
        i += 8
    }
    while i < n {
        if decays { v[i] += wd * w[i] }
        w[i] -= lr * v[i]
        i += 1
    }
}

/// AdamW (decoupled weight decay) at step t (1-based) from the gradients g:
/// m = β₁m + (1−β₁)g; s = β₂s + (1−β₂)g²; w = w(1 − lr·λ) − lr·m̂/(√ŝ + ε),
/// with m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ).
func adamUpdate(_ w: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>,
                _ g: UnsafePointer<Float>, _ n: Int, step t: Int, lr: Float, weightDecay wd: Float,
                beta1 b1: Float, beta2 b2: Float, epsilon eps: Float) {
    let c1 = 1 - Float(pow(Double(b1), Double(t)))
    let c2 = 1 - Float(pow(Double(b2), Double(t)))
    let decay = 1 - lr * wd
    for j in 0..<n {
        let gj = g[j]
        m[j] = b1 * m[j] + (1 - b1) * gj
        s[j] = b2 * s[j] + (1 - b2) * gj * gj
        w[j] = w[j] * decay - lr * (m[j] / c1) / ((s[j] / c2).squareRoot() + eps)
    }
}
