// The forward pass in float64, for a model whose weights a float64 fit made
// (MLP.parameters64: dl-fit project --precision 64). A closed-form fit can rely
// on large weights whose products cancel; rounded to float32 such a net is a
// different one (on the two spirals, chance accuracy), so evaluation, features
// and measures of these models run here. Shapes as in Forward.swift.

/// Calls `body` with Z_i (float64) for i = 1 … `last`: σ_i(Z_{i-1} W_i + b_i),
/// Z_0 = X; under a head, Z_k is the logits x. With `preActivations`, body's
/// third argument is A_i (else nil). The model must have parameters64.
func exactForward(_ model: MLP, _ X: Matrix, upTo last: Int, preActivations: Bool = false,
                  _ body: (Int, Matrix64, Matrix64?) throws -> Void) throws {
    guard let p = model.parameters64 else { throw DLError.input("the model has no float64 weights") }
    let m = X.rows
    var Z = Matrix64(unchecked: X.shape, X.storage.map { Double($0) })
    for i in 1...last {
        let (din, dout) = (model.widths[i - 1], model.widths[i])
        let wo = model.weightOffset(i), bo = model.biasOffset(i)
        let W = Matrix64(unchecked: [din, dout], Array(p[wo..<(wo + din * dout)]))
        var A = Matrix64(zeros: [m, dout])
        for r in 0..<m { for j in 0..<dout { A.storage[r * dout + j] = p[bo + j] } }
        try gemm(&A, Z, W, beta: 1)
        let pre = preActivations ? A : nil
        A.storage.withUnsafeMutableBufferPointer { model.activation(i).forward($0.baseAddress!, m * dout) }
        Z = A
        try body(i, Z, pre)
    }
}

extension Evaluator {
    /// Loss and accuracy from float64 logits (the head and its loss as in the
    /// float32 engine, on the logits rounded to float32 — they are the net's
    /// outputs, of the targets' size, not its large weights).
    func exactEvaluation(_ task: LearningTask, targets: (Float, Float)) throws -> Evaluation {
        let head = model.head!
        let K = model.widths.last!, m = task.rows
        var logits = [Float](repeating: 0, count: m * K)
        try exactForward(model, task.X, upTo: model.layers) { i, Z, _ in
            if i == model.layers { logits = Z.storage.map { Float($0) } }
        }
        var y = [Float](repeating: 0, count: m * K)
        var t = [Float](repeating: targets.0, count: m * K)
        if let labels = task.labels {
            for (r, l) in labels.enumerated() { t[r * K + Int(l)] = targets.1 }
        } else if let Y = task.Y {
            t = Y.storage
        }
        var loss = 0.0, correct = 0
        logits.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                t.withUnsafeBufferPointer { tp in
                    head.forward(yp.baseAddress!, xp.baseAddress!, rows: m, cols: K)
                    loss = head.loss(x: xp.baseAddress!, y: UnsafePointer(yp.baseAddress!), t: tp.baseAddress!, rows: m, cols: K)
                }
            }
        }
        if let labels = task.labels { correct = argmaxMatches(y, cols: K, labels: labels) }
        let n = Double(max(m, 1))
        return Evaluation(loss: loss / n, accuracy: task.isClassification ? Double(correct) / n : nil)
    }
}

/// Rows of `v` ([labels.count, cols], row-major) whose largest entry (the first
/// of ties) is at the label's column.
func argmaxMatches<T: Comparable>(_ v: [T], cols K: Int, labels: [Int32]) -> Int {
    var correct = 0
    v.withUnsafeBufferPointer { p in
        for (r, l) in labels.enumerated() {
            let row = p.baseAddress! + r * K
            var best = 0
            for j in 1..<max(K, 1) where row[j] > row[best] { best = j }
            if best == Int(l) { correct += 1 }
        }
    }
    return correct
}
