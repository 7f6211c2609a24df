import Foundation

// The memory a training run holds, counted the way Th. Table 6.3 reports it:
// "relative memory use" is what training a subnet (with its feednet) takes
// against training the whole architecture by backprop at the same batch size.
//
// For a net of layers 1…k under training with batch B, lowest trainable layer L,
// optimizer state s floats per trainable parameter (SGD with momentum 1, AdamW 3:
// two moments and the gradient):
//   parameters   4·P_train                          W_i, b_i of the trainable layers
//   optimizer    4·s·P_train
//   activations  4·B·(Σ_{i ≥ L−1} d_i + Σ_{i ≥ L} d_i + 2K) + dropout buffers
//                (Z_{L−1} … Z_k for the gradients, Δ_L … Δ_k, the head's Y and T;
//                2·B·d_{i−1} per layer with input dropout)
//   feednet      4·P_frozen + 4·B·Σ_{i < L−1} d_i    frozen layers and their outputs
// These are exactly the buffers the engine touches (Trainer, Workspace: zeroed
// pages nothing writes, such as frozen layers' momentum, are never made
// resident), so peak RSS can check them.

public struct TrainingMemory: Equatable, Sendable {
    public var parameters = 0
    public var optimizerState = 0
    public var activations = 0
    public var feednet = 0

    public init() {}

    public var total: Int { parameters + optimizerState + activations + feednet }

    public init(model: MLP, plans: [LayerPlan], batch: Int, optimizer: OptimizerKind) {
        let f = MemoryLayout<Float>.stride, k = model.layers, w = model.widths
        let plan = { (i: Int) in plans.isEmpty ? LayerPlan() : plans[i - 1] }
        let lowest = (1...k).first { plan($0).trainable } ?? k + 1
        for i in 1...k {
            let p = w[i - 1] * w[i] + w[i]
            if plan(i).trainable { parameters += f * p } else { feednet += f * p }
        }
        optimizerState = (optimizer == .sgd ? 1 : 3) * parameters
        guard lowest <= k else { return }
        for i in 0...k {
            let z = f * batch * w[i]
            if i >= lowest - 1 { activations += z } else { feednet += z }
            if i >= lowest { activations += z }
            if i >= 1, plan(i).inputDropout > 0 { activations += 2 * f * batch * w[i - 1] }
        }
        activations += 2 * f * batch * w[k]
    }

    /// Full backprop of `model`: every layer trainable, no dropout.
    public static func fullBackprop(_ model: MLP, batch: Int, optimizer: OptimizerKind) -> TrainingMemory {
        TrainingMemory(model: model, plans: [], batch: batch, optimizer: optimizer)
    }
}

/// The process's peak resident set so far, in bytes (getrusage; Linux reports KiB).
public func peakResidentBytes() -> Int {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Int(u.ru_maxrss) * 1024
}
