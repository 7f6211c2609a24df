import Foundation

// The plain twin of LayerwiseRun: Th. Algorithm 3 written out in float64 over
// the engine's own twin (referenceTrain), one hidden layer at a time, with the
// features forwarded by a plain loop. No dropout, no k-filtering, no robin; the
// tests compare the engine's run against it.

/// The parameters of `net` after bottom-up layer-wise training (subnet size 1)
/// on X [m, d_0] with targets T [m, K], as `settings` asks.
public func referenceLayerwise(_ net: MLP, X: [Double], T: [Double], rows m: Int, settings s: LayerwiseSettings) throws -> [Double] {
    let k = net.layers, K = net.widths[k]
    var out = net.parameters.map(Double.init)
    var Z = X
    for i in 1..<k {
        let j = i - 1
        // Layer i under a decision layer (block) drawn for segment j, or under ψ_k for the last.
        var sub = try net.slice(i...k)
        if i < k - 1 {
            let widths = [net.widths[i]] + s.decision + [K]
            let hidden = net.activation(i)
            var block = try MLP(widths: widths, activations: Array(repeating: hidden, count: widths.count - 2) + [.linear], head: net.head)
            for l in 1...block.layers {
                var rng = RNG(seed: s.training.seed, stream: .decisionWeights(segment: j), index: UInt64(l))
                block.initializeLayer(l, s.decisionInit ?? hidden.defaultInit, rng: &rng)
            }
            sub = try net.slice(i...i).stacked(with: block)
        }
        var t = s.training
        t.epochs = s.epochs.count == 1 ? s.epochs[0] : s.epochs[j]
        var seed = RNG(seed: s.training.seed, stream: .segmentRun(segment: j))
        t.seed = seed.next()
        t.learningRate = s.training.learningRate * pow(s.lrDecay, Float(j))
        t.weightDecay = s.training.weightDecay * pow(s.wdGrowth, Float(j))
        t.layers = []
        let w = referenceTrain(sub, X: Z, T: T, rows: m, settings: t)
        // Keep layer i (with ψ_k from the last subnet); Z_i = σ_i(Z_{i−1} W_i + b_i).
        let kept = i < k - 1 ? sub.endOffset(1) : sub.endOffset(sub.layers)
        out.replaceSubrange(net.weightOffset(i)..<(net.weightOffset(i) + kept), with: w[0..<kept])
        let (din, dout) = (net.widths[i - 1], net.widths[i])
        var next = [Double](repeating: 0, count: m * dout)
        for r in 0..<m {
            for c in 0..<dout {
                var a = w[din * dout + c]
                for q in 0..<din { a += Z[r * din + q] * w[q * dout + c] }
                next[r * dout + c] = referenceActivation(net.activation(i), a)
            }
        }
        Z = next
    }
    return out
}
