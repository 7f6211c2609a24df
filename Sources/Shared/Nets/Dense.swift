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

/// dW = inpᵀ · dout and db = Σ_rows dout (both overwritten: no zeroing pass);
/// dinp = dout · Wᵀ when wanted (the first layer needs none).
@inline(__always)
public func denseBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dW: UnsafeMutablePointer<Float>,
                          _ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                          _ inp: UnsafePointer<Float>, _ W: UnsafePointer<Float>, _ ones: UnsafePointer<Float>,
                          _ B: Int, _ din: Int, _ doutW: Int) {
    Float.gemm(true, false, din, doutW, B, 1, inp, din, dout, doutW, 0, dW, doutW)
    // db = doutᵀ · 1 (ones: [B]).
    cblas_sgemv(CblasRowMajor, CblasTrans, blasint(B), blasint(doutW), 1, dout, blasint(doutW), ones, 1, 0, db, 1)
    if let dinp {
        Float.gemm(false, true, B, din, doutW, 1, dout, doutW, W, doutW, 0, dinp, din)
    }
}
