// The synthetic problems of the thesis, all seeded. Each returns one split,
// named "train", of `rows` samples drawn from `rng`; dl-data draws a /test split
// the same way from a stream of its own (RandomStream.syntheticTest).

/// Two spirals (Th. 7.6; Lang & Witbrock 1988): two interleaved arms, classes 0
/// and 1, equal counts. Arm c at parameter t ∈ [0, 1]: radius t, angle
/// 2π·turns·t + π·c; t is drawn as √u so points are uniform along the arms'
/// area, not bunched at the centre. `noise` adds Gaussian jitter (σ).
public func twoSpirals(rows: Int, turns: Double = 2, noise: Double = 0, rng: inout RNG) -> Split {
    var x = [Float](repeating: 0, count: rows * 2)
    var y = [Int32](repeating: 0, count: rows)
    for i in 0..<rows {
        let c = i % 2
        let t = rng.uniform().squareRoot()
        let angle = 2 * Double.pi * turns * t + Double.pi * Double(c)
        var px = t * cosDeterministic(angle)
        var py = t * sinDeterministic(angle)
        if noise > 0 {
            px += noise * rng.normal()
            py += noise * rng.normal()
        }
        x[2 * i] = Float(px)
        x[2 * i + 1] = Float(py)
        y[i] = Int32(c)
    }
    return Split(name: "train", X: Matrix(unchecked: [rows, 2], x), y: y, classes: 2, sampleShape: [2])
}

/// Checkerboard (Th. 5.4.2): points uniform on [-0.5, 0.5]², class = colour of
/// the square of a `squares`×`squares` board (0 for the square at the lower left).
public func checkerboard(rows: Int, squares: Int = 8, rng: inout RNG) -> Split {
    var x = [Float](repeating: 0, count: rows * 2)
    var y = [Int32](repeating: 0, count: rows)
    for i in 0..<rows {
        let px = rng.uniform() - 0.5
        let py = rng.uniform() - 0.5
        let col = min(squares - 1, Int((px + 0.5) * Double(squares)))
        let row = min(squares - 1, Int((py + 0.5) * Double(squares)))
        x[2 * i] = Float(px)
        x[2 * i + 1] = Float(py)
        y[i] = Int32((col + row) % 2)
    }
    return Split(name: "train", X: Matrix(unchecked: [rows, 2], x), y: y, classes: 2, sampleShape: [2])
}

/// Sinusoid (Th. 7.5): `periods` periods of sin normalised to x ∈ (-1, 1),
/// y = sin(π·periods·x); x uniform. A regression problem: targets in Y [m, 1].
public func sinusoid(rows: Int, periods: Double = 2, noise: Double = 0, rng: inout RNG) -> Split {
    var x = [Float](repeating: 0, count: rows)
    var t = [Float](repeating: 0, count: rows)
    for i in 0..<rows {
        // (-1, 1): reject the one endpoint uniform() can produce.
        var u = 0.0
        repeat { u = rng.uniform() } while u == 0
        let px = 2 * u - 1
        var py = sinDeterministic(Double.pi * periods * px)
        if noise > 0 { py += noise * rng.normal() }
        x[i] = Float(px)
        t[i] = Float(py)
    }
    return Split(name: "train", X: Matrix(unchecked: [rows, 1], x), Y: Matrix(unchecked: [rows, 1], t), sampleShape: [1])
}

// sin and cos from +, *, / only, so synthetic data is the same bits on every
// machine whatever its libm: reduce to [-π, π], then a Taylor series to 1e-18.
@inline(__always)
public func sinDeterministic(_ x: Double) -> Double {
    let twoPi = 2 * Double.pi
    var r = x - twoPi * (x / twoPi).rounded()
    // Reflect into [-π/2, π/2], where the series converges fast.
    if r > Double.pi / 2 { r = Double.pi - r } else if r < -Double.pi / 2 { r = -Double.pi - r }
    let r2 = r * r
    var term = r
    var sum = r
    var n = 1.0
    // 30 terms reach 1e-18 on [-π/2, π/2]; the cap also stops a non-finite input.
    for _ in 0..<30 where abs(term) > 1e-18 {
        term *= -r2 / ((n + 1) * (n + 2))
        sum += term
        n += 2
    }
    return sum
}

@inline(__always)
public func cosDeterministic(_ x: Double) -> Double { sinDeterministic(x + Double.pi / 2) }
