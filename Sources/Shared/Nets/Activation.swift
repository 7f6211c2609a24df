import Foundation

// Hidden activations σ (Th. 2): Z = σ(A). Each derivative is computed from the
// output Z alone, so backward needs no copy of A.

public enum Activation: String, CaseIterable, Sendable {
    case relu, tanh, sigmoid, celu, linear

    /// z[0..<n] = σ(z) in place.
    public func forward(_ z: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .relu: reluForward(z, n)
        case .tanh: for i in 0..<n { z[i] = Foundation.tanh(z[i]) }
        case .sigmoid: for i in 0..<n { z[i] = logistic(z[i]) }
        case .celu: for i in 0..<n where z[i] < 0 { z[i] = expm1(z[i]) }  // CELU, α = 1
        case .linear: break
        }
    }

    /// z[0..<n] = σ(z) in place, in float64 (a float64 fit, Projections/), by
    /// libmvec's vector calls (Tensor/VectorMath.swift).
    public func forward(_ z: UnsafeMutablePointer<Double>, _ n: Int) {
        switch self {
        case .relu: for i in 0..<n where !(z[i] >= 0) { z[i] = z[i].isNaN ? z[i] : 0 }
        case .tanh: VectorMath.apply(.tanh, z, n)
        case .sigmoid:
            for i in 0..<n { z[i] = -z[i] }
            VectorMath.apply(.exp, z, n)
            for i in 0..<n { z[i] = 1 / (1 + z[i]) }
        case .celu: VectorMath.apply(.celu, z, n)
        case .linear: break
        }
    }

    /// d[i] *= σ'(a_i), where σ'(a) is written in terms of z = σ(a).
    public func backward(_ d: UnsafeMutablePointer<Float>, _ z: UnsafePointer<Float>, _ n: Int) {
        switch self {
        case .relu: reluBackward(d, z, n)
        case .tanh: for i in 0..<n { d[i] *= 1 - z[i] * z[i] }
        case .sigmoid: for i in 0..<n { d[i] *= z[i] * (1 - z[i]) }
        case .celu: for i in 0..<n where z[i] < 0 { d[i] *= z[i] + 1 }  // e^a = z + 1
        case .linear: break
        }
    }

    /// He initialization for rectifiers, Glorot for the rest.
    public var defaultInit: Initialization { self == .relu || self == .celu ? .he : .glorot }
}

// ReLU in explicit 8-wide vectors (Float8, Tensor.swift): the scalar loops
// compiled to a compare and a branch per element (d and z may alias, so LLVM
// left them scalar).

/// z = max(z, 0); NaN stays NaN.
func reluForward(_ z: UnsafeMutablePointer<Float>, _ n: Int) {
    let p = UnsafeMutableRawPointer(z), zero = Float8(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let v = p.loadUnaligned(fromByteOffset: i * 4, as: Float8.self)
        p.storeBytes(of: v.replacing(with: zero, where: v .< zero), toByteOffset: i * 4, as: Float8.self)
        i += 8
    }
    while i < n { z[i] = max(z[i], 0); i += 1 }
}

/// d = z > 0 ? d : 0.
func reluBackward(_ d: UnsafeMutablePointer<Float>, _ z: UnsafePointer<Float>, _ n: Int) {
    let dp = UnsafeMutableRawPointer(d), zp = UnsafeRawPointer(z), zero = Float8(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let dv = dp.loadUnaligned(fromByteOffset: i * 4, as: Float8.self)
        let zv = zp.loadUnaligned(fromByteOffset: i * 4, as: Float8.self)
        dp.storeBytes(of: dv.replacing(with: zero, where: .!(zv .> zero)), toByteOffset: i * 4, as: Float8.self)
        i += 8
    }
    while i < n { d[i] = z[i] > 0 ? d[i] : 0; i += 1 }
}

@inline(__always) func logistic(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

public enum Initialization: String, CaseIterable, Sendable {
    /// W ~ N(0, 2 / d_in) (He et al. 2015).
    case he
    /// W ~ U(±√(6 / (d_in + d_out))) (Glorot & Bengio 2010).
    case glorot
}
