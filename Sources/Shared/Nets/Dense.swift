import CBLAS

// Dense layer forward/backward as free functions over BLAS (llm.c manner:
// outputs first, then inputs, then weights, then sizes).
//   inp: [B, din]   W: [din, dout]   b: [dout]   out: [B, dout]

/// out = inp · W + b.
@inline(__always)
public func denseForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                         _ W: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                         _ B: Int, _ din: Int, _ dout: Int) {
    for r in 0..<B { (out + r * dout).update(from: b, count: dout) }
    Float.gemm(false, false, B, dout, din, 1, inp, din, W, dout, 1, out, dout)
}

/// dinp = dout · Wᵀ (the delta one layer down, before σ').
@inline(__always)
public func denseBackwardInput(_ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                               _ W: UnsafePointer<Float>, _ B: Int, _ din: Int, _ doutW: Int) {
    Float.gemm(false, true, B, din, doutW, 1, dout, doutW, W, doutW, 0, dinp, din)
}

/// Rows `rows` of dW = β·dW + inpᵀ · dout over all B rows: one GEMM with K = B, so
/// each entry is one dot product over the batch (no partial sums to add), and
/// disjoint row blocks can be computed by different threads.
///   dW: [din, dout] (the whole matrix; only `rows` are written)
@inline(__always)
public func denseWeightGradient(_ dW: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ dout: UnsafePointer<Float>,
                                _ rows: Range<Int>, _ B: Int, _ din: Int, _ doutW: Int, beta: Float) {
    guard !rows.isEmpty else { return }
    Float.gemm(true, false, rows.count, doutW, B, 1, inp + rows.lowerBound, din, dout, doutW, beta,
               dW + rows.lowerBound * doutW, doutW)
}

/// Entries `cols` of db = β·db + doutᵀ · 1 over all B rows (ones: [B]).
@inline(__always)
public func denseBiasGradient(_ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ ones: UnsafePointer<Float>,
                              _ cols: Range<Int>, _ B: Int, _ doutW: Int, beta: Float) {
    guard !cols.isEmpty else { return }
    cblas_sgemv(CblasRowMajor, CblasTrans, blasint(B), blasint(cols.count), 1, dout + cols.lowerBound, blasint(doutW),
                ones, 1, beta, db + cols.lowerBound, 1)
}
