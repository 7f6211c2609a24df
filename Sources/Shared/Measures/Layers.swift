import Foundation

// The representations a net makes of data (Th. eq. 5.1: X ↦ Z_1 ↦ … ↦ Z_k = Ŷ),
// one layer at a time so only two of them are in memory at once.

public struct LayerRepresentation {
    /// 0 for X itself; i for the output of layer i.
    public let layer: Int
    /// Z_i: [m, d_i]. Hidden layers: σ(A_i); the last layer: the head's output Ŷ.
    public let Z: Matrix
    /// What a feature's selection S₊ is read from, with its cut (selected: value > threshold).
    /// Layers i ≥ 1: the pre-activations A_i with 0 (a positive pre-activation: z > 0
    /// for a ReLU; the logits at the output), read before σ so that no rounding of
    /// σ near σ(0) moves a sample; X: X with 0.
    /// Only when asked for (`selections: true`): a copy of each layer's pre-activations.
    public let selection: Matrix?
    public let threshold: Float
}

/// Calls `body` with X (layer 0) and then each layer's representation of X under
/// `model`, for the layers in `layers` (all when nil). Forward passes run in fixed
/// blocks of rows shared over `threads` threads (single-threaded BLAS each), so
/// the values never depend on the thread count.
public func forEachRepresentation(of model: MLP?, on X: Matrix, layers: Set<Int>? = nil, threads: Int = 1,
                                  selections: Bool = false,
                                  _ body: (LayerRepresentation) throws -> Void) throws {
    func wanted(_ i: Int) -> Bool { layers?.contains(i) ?? true }
    if wanted(0) { try body(LayerRepresentation(layer: 0, Z: X, selection: selections ? X : nil, threshold: 0)) }
    guard let model else { return }
    try model.checkInput(X)
    let last = layers.map { $0.max() ?? 0 } ?? model.layers
    guard last >= 1 else { return }
    var Z = X
    let m = X.rows
    for i in 1...min(last, model.layers) {
        let din = model.widths[i - 1], dout = model.widths[i]
        var A = Matrix(zeros: [m, dout])
        let block = 1024, blocks = (m + block - 1) / block
        let workers = max(1, min(threads, blocks))
        if m > 0 {
            Z.storage.withUnsafeBufferPointer { zp in
                model.parameters.withUnsafeBufferPointer { wp in
                    A.storage.withUnsafeMutableBufferPointer { ap in
                        withBLASThreads(1) {
                            DispatchQueue.concurrentPerform(iterations: workers) { t in
                                for b in stride(from: t, to: blocks, by: workers) {
                                    let r0 = b * block, rows = min(block, m - r0)
                                    denseForward(ap.baseAddress! + r0 * dout, zp.baseAddress! + r0 * din,
                                                 wp.baseAddress! + model.weightOffset(i), wp.baseAddress! + model.biasOffset(i),
                                                 rows, din, dout)
                                }
                            }
                        }
                    }
                }
            }
        }
        if i < model.layers {
            let pre = selections && wanted(i) ? A : nil
            A.storage.withUnsafeMutableBufferPointer { model.hidden.forward($0.baseAddress!, $0.count) }
            Z = A
            if wanted(i) { try body(LayerRepresentation(layer: i, Z: Z, selection: pre, threshold: 0)) }
        } else {
            var Y = Matrix(zeros: [m, dout])
            if m > 0 {
                A.storage.withUnsafeBufferPointer { ap in
                    Y.storage.withUnsafeMutableBufferPointer { yp in
                        model.head.forward(yp.baseAddress!, ap.baseAddress!, rows: m, cols: dout)
                    }
                }
            }
            if wanted(i) { try body(LayerRepresentation(layer: i, Z: Y, selection: selections ? A : nil, threshold: 0)) }
        }
    }
}

extension MLP {
    /// Throws unless X has the model's input width.
    func checkInput(_ X: Matrix) throws {
        guard X.cols == widths[0] else {
            throw DLError.input("the model takes \(widths[0]) inputs but the data has \(X.cols) columns",
                                hint: "the architecture's first width must match the data")
        }
    }
}

/// The stable rank ‖W‖²_F / ‖W‖²₂ of a matrix (1 ≤ it ≤ rank W; 0 for W = 0).
public func stableRank(_ W: Matrix) throws -> Double {
    let Wd = W.toDouble()
    let fro = Wd.storage.reduce(0) { $0 + $1 * $1 }
    guard fro > 0 else { return 0 }
    let s = try svd(Wd).s
    guard let top = s.first, top > 0 else { return 0 }
    return fro / (top * top)
}
