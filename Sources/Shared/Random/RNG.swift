/// Seeded random numbers whose stream is the same on every run and machine:
/// xoshiro256** seeded through SplitMix64. Nothing here calls libm: normal
/// variates use the Marsaglia polar method over +, *, / and sqrt (exactly
/// rounded by IEEE 754) and a log built from the same operations.
public struct RNG: RandomNumberGenerator {
    var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitmix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// The named stream `stream` of this seed (Streams.swift), and within it the
    /// independent substream `index` (e.g. one per training row for dropout masks).
    public init(seed: UInt64, stream: RandomStream, index: UInt64 = 0) {
        let s = stream.number
        let base = seed ^ (s &* 0xD1B5_4A32_D192_ED03) &+ s
        self.init(seed: base ^ (index &* 0x9E6C_63D0_676A_9A99) &+ index)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [0, 1) as Float with 24 random bits.
    @inline(__always)
    public mutating func uniformFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// Uniform integer in [0, n), unbiased (Lemire's method).
    public mutating func below(_ n: Int) -> Int {
        if n <= 1 { return 0 }
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal variate (Marsaglia polar method).
    public mutating func normal() -> Double {
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * logDeterministic(s) / s).squareRoot()
            }
        }
    }

    /// Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            p.swapAt(i, below(i + 1))
        }
        return p
    }
}

/// Natural log computed from +,*,/ only (argument reduction by the binary
/// exponent, then an atanh series), so it gives the same bits everywhere.
@inline(__always)
public func logDeterministic(_ x: Double) -> Double {
    let e = Double(x.exponent)
    var m = x.significand            // [1, 2)
    var k = e
    if m > 1.4142135623730951 { m /= 2; k += 1 }
    let t = (m - 1) / (m + 1)
    let t2 = t * t
    var term = t
    var sum = 0.0
    var n = 1.0
    while true {
        let add = term / n
        if abs(add) < 1e-18 * abs(sum) || add == 0 { break }
        sum += add
        term *= t2
        n += 2
    }
    return 2 * sum + k * 0.6931471805599453
}
