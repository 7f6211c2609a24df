import Foundation

// The forward pass, once: `layerForward` is what every caller runs — training and
// evaluation row by row through a batch's buffers (Backprop.swift), the measures
// and the features writer a layer at a time over all rows (`forEachRepresentation`).
//
// Shapes: Z_{i-1} [B, d_{i-1}]  W_i [d_{i-1}, d_i]  b_i [d_i]  A_i, Z_i [B, d_i];
// under a head, Z_k = A_k = the logits x [B, K] and Ŷ = f(x) [B, K].

/// Layer i on `rows` rows: z = σ_i(inp · W_i + b_i). `w` is the net's flat
/// parameter buffer; `preActivation`, when given, receives A_i before σ_i.
@inline(__always)
public func layerForward(_ z: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         _ model: MLP, layer i: Int, rows: Int, preActivation: UnsafeMutablePointer<Float>? = nil) {
    let (din, dout) = (model.widths[i - 1], model.widths[i])
    denseForward(z, inp, w + model.weightOffset(i), w + model.biasOffset(i), rows, din, dout)
    preActivation?.update(from: z, count: rows * dout)
    model.activation(i).forward(z, rows * dout)
}

public struct LayerRepresentation {
    /// 0 for X itself; i for the output of layer i.
    public let layer: Int
    /// Z_i: [m, d_i]. Hidden layers: σ(A_i); the last layer under a head: the head's output Ŷ.
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
/// `model`, for the layers in `layers` (all when nil), one layer at a time so only
/// two of them are in memory at once (Th. eq. 5.1: X ↦ Z_1 ↦ … ↦ Z_k = Ŷ).
/// Forward passes run in fixed blocks of rows shared over `threads` threads
/// (single-threaded BLAS each), so the values never depend on the thread count.
public func forEachRepresentation(of model: MLP?, on X: Matrix, layers: Set<Int>? = nil, threads: Int = 1,
                                  selections: Bool = false,
                                  _ body: (LayerRepresentation) throws -> Void) throws {
    func wanted(_ i: Int) -> Bool { layers?.contains(i) ?? true }
    if wanted(0) { try body(LayerRepresentation(layer: 0, Z: X, selection: selections ? X : nil, threshold: 0)) }
    guard let model else { return }
    try model.checkInput(X)
    let last = layers.map { $0.max() ?? 0 } ?? model.layers
    guard last >= 1 else { return }
    if model.parameters64 != nil {
        try exactForward(model, X, upTo: min(last, model.layers), preActivations: selections) { i, Z64, A64 in
            guard wanted(i) else { return }
            let Z = Matrix(unchecked: Z64.shape, Z64.storage.map { Float($0) })
            let A = A64.map { Matrix(unchecked: $0.shape, $0.storage.map { Float($0) }) }
            if i == model.layers, let head = model.head {
                var Y = Matrix(zeros: Z.shape)
                if Z.count > 0 {
                    Z.storage.withUnsafeBufferPointer { xp in
                        Y.storage.withUnsafeMutableBufferPointer { yp in head.forward(yp.baseAddress!, xp.baseAddress!, rows: Z.rows, cols: Z.cols) }
                    }
                }
                try body(LayerRepresentation(layer: i, Z: Y, selection: selections ? Z : nil, threshold: 0))
            } else {
                try body(LayerRepresentation(layer: i, Z: Z, selection: A, threshold: 0))
            }
        }
        return
    }
    var Z = X
    let m = X.rows
    for i in 1...min(last, model.layers) {
        let (din, dout) = (model.widths[i - 1], model.widths[i])
        let keepA = selections && wanted(i)
        var next = Matrix(zeros: [m, dout])
        var A = Matrix(zeros: keepA ? [m, dout] : [0, dout])
        let block = 1024, blocks = (m + block - 1) / block
        let workers = max(1, min(threads, blocks))
        if m > 0 {
            Z.storage.withUnsafeBufferPointer { zp in
                model.parameters.withUnsafeBufferPointer { wp in
                    next.storage.withUnsafeMutableBufferPointer { np in
                        A.storage.withUnsafeMutableBufferPointer { ap in
                            withBLASThreads(1) {
                                DispatchQueue.concurrentPerform(iterations: workers) { t in
                                    for b in stride(from: t, to: blocks, by: workers) {
                                        let r0 = b * block, rows = min(block, m - r0)
                                        layerForward(np.baseAddress! + r0 * dout, zp.baseAddress! + r0 * din, wp.baseAddress!,
                                                     model, layer: i, rows: rows,
                                                     preActivation: keepA ? ap.baseAddress! + r0 * dout : nil)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Z = next
        if !wanted(i) { continue }
        if i == model.layers, let head = model.head {
            // Z is the logits x: the head's output is the representation, x the selection.
            var Y = Matrix(zeros: [m, dout])
            if m > 0 {
                Z.storage.withUnsafeBufferPointer { xp in
                    Y.storage.withUnsafeMutableBufferPointer { yp in
                        head.forward(yp.baseAddress!, xp.baseAddress!, rows: m, cols: dout)
                    }
                }
            }
            try body(LayerRepresentation(layer: i, Z: Y, selection: selections ? Z : nil, threshold: 0))
        } else {
            try body(LayerRepresentation(layer: i, Z: Z, selection: keepA ? A : nil, threshold: 0))
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

    /// Z_i of every row of X (layer 0 is X itself; the last layer of a net with a
    /// head is the head's output Ŷ).
    public func representation(_ X: Matrix, layer i: Int, threads: Int = 1) throws -> Matrix {
        guard (0...layers).contains(i) else {
            throw DLError.usage("there is no layer \(i): layers run from 0 (the input) to \(layers)")
        }
        var out: Matrix?
        try forEachRepresentation(of: self, on: X, layers: [i], threads: threads) { out = $0.Z }
        return out!
    }
}

/// The feature file of `data` at layer i of `model` (Schema/Features.swift): every
/// split's X replaced by its Z_i.
public func featureData(_ data: DataFile, model: MLP, layer i: Int, file: String, threads: Int = 1) throws -> DataFile {
    var Z: [String: Matrix] = [:]
    for s in data.splits {
        guard s.features == model.widths[0] else {
            throw DLError.input("the model takes \(model.widths[0]) inputs but \(file): /\(s.name)/X has \(s.features) columns",
                                hint: "the architecture's first width must match the data")
        }
        try s.checkValues(file: file)
        Z[s.name] = try model.representation(s.X, layer: i, threads: threads)
    }
    return try featureDataFile(data, features: Z, layer: i, architecture: model.architecture)
}
