import Foundation

// Output heads (Th. 4). Every head's error delta at its input x is the canonical
// y − t (Th. 4.3); what differs is y = f(x), and with it the loss that the delta
// implicitly minimizes, which is what we report:
//
//   head      y = f(x)        implied loss per output (d/dx = y − t)
//   softmax   eˣ / Σ eˣ        cross-entropy        Σt·lse(x) − t·x
//   linear    x                squared error        ½(x − t)²
//   sigmoid   1 / (1 + e⁻ˣ)    binary cross-entropy softplus(x) − t·x
//   tanh      tanh x           ln cosh x − t·x
//   exp-GA    α·eˣ             sparse cross-entropy y − t·ln y            (Th. 4.5–4.6)
//   pow3-GA   α·x³ + β         negative correlation ¼αx⁴ + βx − t·x       (Th. 4.7–4.8)

public enum HeadKind: String, CaseIterable, Sendable {
    case softmax, linear, sigmoid, tanh
    case expGA = "exp-ga"
    case pow3GA = "pow3-ga"
}

public struct OutputHead: Equatable, Sendable {
    public var kind: HeadKind
    /// α of exp-GA (default 0.1, Th. 4.5) and pow3-GA (default 0.001, Th. 4.7).
    public var alpha: Float
    /// β of pow3-GA (default 0.4, Th. 4.7).
    public var beta: Float

    public init(_ kind: HeadKind, alpha: Float? = nil, beta: Float? = nil) {
        self.kind = kind
        self.alpha = alpha ?? (kind == .pow3GA ? 0.001 : 0.1)
        self.beta = beta ?? (kind == .pow3GA ? 0.4 : 0)
    }

    /// y[B, K] = f(x[B, K]).
    public func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int) {
        let n = rows * cols
        switch kind {
        case .softmax:
            for r in 0..<rows {
                let xr = x + r * cols, yr = y + r * cols
                var mx = -Float.infinity
                for j in 0..<cols { mx = max(mx, xr[j]) }
                var s: Float = 0
                for j in 0..<cols { yr[j] = Foundation.exp(xr[j] - mx); s += yr[j] }
                let inv = 1 / s
                for j in 0..<cols { yr[j] *= inv }
            }
        case .linear: y.update(from: x, count: n)
        case .sigmoid: for i in 0..<n { y[i] = logistic(x[i]) }
        case .tanh: for i in 0..<n { y[i] = Foundation.tanh(x[i]) }
        // eˣ overflows Float past x ≈ 88; cap x so a diverging run reports huge
        // numbers instead of Inf/NaN.
        case .expGA: for i in 0..<n { y[i] = alpha * Foundation.exp(min(x[i], 80)) }
        case .pow3GA: for i in 0..<n { y[i] = alpha * x[i] * x[i] * x[i] + beta }
        }
    }

    /// Sum over the rows of the implied loss (table above), in Double.
    public func loss(x: UnsafePointer<Float>, y: UnsafePointer<Float>, t: UnsafePointer<Float>, rows: Int, cols: Int) -> Double {
        var total = 0.0
        switch kind {
        case .softmax:
            for r in 0..<rows {
                let xr = x + r * cols, tr = t + r * cols
                var mx = -Double.infinity
                for j in 0..<cols { mx = max(mx, Double(xr[j])) }
                var s = 0.0, tsum = 0.0, tx = 0.0
                for j in 0..<cols {
                    s += Foundation.exp(Double(xr[j]) - mx)
                    tsum += Double(tr[j])
                    tx += Double(tr[j]) * Double(xr[j])
                }
                total += tsum * (mx + Foundation.log(s)) - tx
            }
        default:
            for i in 0..<(rows * cols) {
                total += pointLoss(Double(x[i]), Double(y[i]), Double(t[i]))
            }
        }
        return total
    }

    @inline(__always)
    func pointLoss(_ x: Double, _ y: Double, _ t: Double) -> Double {
        switch kind {
        case .softmax: return 0  // handled per row
        case .linear: return 0.5 * (x - t) * (x - t)
        case .sigmoid: return softplus(x) - t * x
        case .tanh: return abs(x) + Foundation.log1p(Foundation.exp(-2 * abs(x))) - M_LN2 - t * x
        case .expGA: return y - t * (Foundation.log(Double(alpha)) + min(x, 80))
        case .pow3GA: return 0.25 * Double(alpha) * x * x * x * x + Double(beta) * x - t * x
        }
    }
}

@inline(__always) func softplus(_ x: Double) -> Double {
    x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
}
