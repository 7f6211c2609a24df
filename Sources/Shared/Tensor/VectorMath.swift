import CVecMath

// tanh, expm1, exp and CELU over float64 arrays by glibc's libmvec (CVecMath's
// shim): 4 values a call with AVX2+FMA, 2 with SSE, libm's scalar calls where
// libmvec is absent. libmvec is within 4 ulp of the exact value, as libm is
// within 1; a CPU tier always takes the same variant, so the same machine gives
// the same bits. Float64 activations (Platonic Projections' float64 fits) spend
// most of a narrow net's time here: libm's tanh costs 20 ns, AVX2's 2.

public enum VectorMath {
    public enum Function: Int32, CaseIterable, Sendable { case tanh = 0, expm1 = 1, exp = 2, celu = 3 }

    /// The variant this CPU runs: 2 = AVX2+FMA, 1 = SSE, 0 = scalar libm.
    public static let level: Int32 = {
        guard dl_vec_available() != 0 else { return 0 }
        let f = CPUIdentity.current().features
        return f.avx2 && f.fma && f.osYMM ? 2 : 1
    }()

    /// x[0..<n] = f(x) in place, at `level` (tests compare the variants).
    public static func apply(_ f: Function, _ x: UnsafeMutablePointer<Double>, _ n: Int, level: Int32 = level) {
        if n > 0 { dl_vec_apply(f.rawValue, level, x, n) }
    }
}
