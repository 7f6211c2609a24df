import XCTest
import Foundation
import Shared

/// Plain-loop reference for op(A)·op(B) (the llm.c way: the naive version beside the fast one).
func referenceMatmul<T: LinalgScalar>(_ a: Tensor<T>, _ b: Tensor<T>, transA: Bool, transB: Bool) -> [T] {
    let m = transA ? a.shape[1] : a.shape[0]
    let k = transA ? a.shape[0] : a.shape[1]
    let n = transB ? b.shape[0] : b.shape[1]
    var c = [T](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s: T = 0
            for p in 0..<k {
                let av = transA ? a[p, i] : a[i, p]
                let bv = transB ? b[j, p] : b[p, j]
                s += av * bv
            }
            c[i * n + j] = s
        }
    }
    return c
}

func randomMatrix<T: LinalgScalar>(_ rows: Int, _ cols: Int, seed: UInt64, as _: T.Type = T.self) -> Tensor<T> {
    var rng = RNG(seed: seed)
    return try! Tensor(shape: [rows, cols], storage: (0..<(rows * cols)).map { _ in T(rng.normal()) })
}

func maxAbsDiff<T: LinalgScalar>(_ a: [T], _ b: [T]) -> T {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

final class LinalgTests: XCTestCase {
    func testGemmMatchesPlainLoopsForAllTransposes() throws {
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let (m, k, n) = (7, 5, 3)
            let a: Matrix = randomMatrix(transA ? k : m, transA ? m : k, seed: 1)
            let b: Matrix = randomMatrix(transB ? n : k, transB ? k : n, seed: 2)
            let c = try matmul(a, b, transA: transA, transB: transB)
            XCTAssertEqual(c.shape, [m, n])
            let diff = maxAbsDiff(c.storage, referenceMatmul(a, b, transA: transA, transB: transB))
            XCTAssertLessThan(diff, 1e-5, "transA=\(transA) transB=\(transB) max diff \(diff)")
        }
    }

    func testGemmDoubleAlphaBeta() throws {
        let a: Matrix64 = randomMatrix(4, 6, seed: 3)
        let b: Matrix64 = randomMatrix(6, 2, seed: 4)
        var c: Matrix64 = randomMatrix(4, 2, seed: 5)
        let c0 = c.storage
        try gemm(&c, a, b, alpha: 2, beta: 0.5)
        let ref = referenceMatmul(a, b, transA: false, transB: false)
        for i in 0..<c.count { XCTAssertEqual(c.storage[i], 2 * ref[i] + 0.5 * c0[i], accuracy: 1e-12) }
    }

    func testShapeMismatchThrows() {
        let a = Matrix(zeros: [3, 4])
        let b = Matrix(zeros: [5, 2])
        XCTAssertThrowsError(try matmul(a, b))
        var y = Matrix(zeros: [3, 4])
        XCTAssertThrowsError(try axpy(&y, 1, b))
        XCTAssertThrowsError(try Tensor<Float>(shape: [2, 2], storage: [1, 2, 3]))
    }

    func testAxpyScaleNorms() throws {
        var y = try Matrix(rows: [[1, 2], [3, 4]])
        let x = try Matrix(rows: [[1, 1], [1, 1]])
        try axpy(&y, 2, x)
        XCTAssertEqual(y.storage, [3, 4, 5, 6])
        try scale(&y, 0.5)
        XCTAssertEqual(y.storage, [1.5, 2, 2.5, 3])
        let r = try rowNorms(try Matrix(rows: [[3, 4], [0, 0], [1, 0]]))
        XCTAssertEqual(r, [5, 0, 1])
        XCTAssertEqual(try rowSquaredNorms(try Matrix(rows: [[3, 4]])), [25])
    }

    func testSolve() throws {
        let a = try Matrix64(rows: [[4, 1], [2, 3]])
        let b = try Matrix64(rows: [[1], [2]])
        let x = try solve(a, b)
        let back = try matmul(a, x)
        XCTAssertEqual(back.storage[0], 1, accuracy: 1e-12)
        XCTAssertEqual(back.storage[1], 2, accuracy: 1e-12)
        XCTAssertThrowsError(try solve(try Matrix64(rows: [[1, 2], [2, 4]]), b))
    }

    func testLeastSquaresMatchesNormalEquations() throws {
        // Well-conditioned tall system: gelsd must agree with (AᵀA)⁻¹Aᵀb.
        let a: Matrix64 = randomMatrix(50, 4, seed: 7)
        let b: Matrix64 = randomMatrix(50, 2, seed: 8)
        let (x, rank) = try leastSquares(a, b)
        XCTAssertEqual(rank, 4)
        let ata = try matmul(a, a, transA: true)
        let atb = try matmul(a, b, transA: true)
        let xRef = try solve(ata, atb)
        XCTAssertLessThan(maxAbsDiff(x.storage, xRef.storage), 1e-10)
        // float32 path agrees loosely.
        let (x32, _) = try leastSquares(a.toFloat(), b.toFloat())
        XCTAssertLessThan(maxAbsDiff(x32.storage.map(Double.init), xRef.storage), 1e-4)
    }

    func testLeastSquaresRankDeficientAndWide() throws {
        // Duplicate column: rank 2 of 3; the residual still vanishes for b in the span.
        let a = try Matrix64(rows: [[1, 1, 0], [0, 0, 1], [1, 1, 1], [2, 2, 0]])
        let b = try Matrix64(rows: [[2], [1], [3], [4]])
        let (x, rank) = try leastSquares(a, b)
        XCTAssertEqual(rank, 2)
        let back = try matmul(a, x)
        XCTAssertLessThan(maxAbsDiff(back.storage, b.storage), 1e-10)
        // Minimum norm: the duplicated columns share the weight equally.
        XCTAssertEqual(x.storage[0], x.storage[1], accuracy: 1e-10)
        // Under-determined (wide) system.
        let w = try Matrix64(rows: [[1, 2, 3]])
        let (xw, _) = try leastSquares(w, try Matrix64(rows: [[6]]))
        XCTAssertEqual(xw.shape, [3, 1])
        XCTAssertEqual(try matmul(w, xw).storage[0], 6, accuracy: 1e-10)
    }

    func testSVDReconstructsAndPseudoinverseProperties() throws {
        let a: Matrix64 = randomMatrix(6, 4, seed: 9)
        let (u, s, vt) = try svd(a)
        XCTAssertEqual(u.shape, [6, 4]); XCTAssertEqual(vt.shape, [4, 4]); XCTAssertEqual(s.count, 4)
        var us = u
        for i in 0..<6 { for j in 0..<4 { us[i, j] *= s[j] } }
        XCTAssertLessThan(maxAbsDiff(try matmul(us, vt).storage, a.storage), 1e-12)
        XCTAssertTrue(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 })

        // Penrose conditions A A⁺ A = A and A⁺ A A⁺ = A⁺, also for a rank-deficient float32 matrix.
        let p = try pseudoinverse(a)
        XCTAssertEqual(p.shape, [4, 6])
        XCTAssertLessThan(maxAbsDiff(try matmul(try matmul(a, p), a).storage, a.storage), 1e-12)
        var r: Matrix = randomMatrix(5, 3, seed: 10)
        for i in 0..<5 { r[i, 2] = r[i, 0] + r[i, 1] }
        let rp = try pseudoinverse(r)
        XCTAssertLessThan(maxAbsDiff(try matmul(try matmul(r, rp), r).storage, r.storage), 1e-4)
        XCTAssertLessThan(maxAbsDiff(try matmul(try matmul(rp, r), rp).storage, rp.storage), 1e-4)
    }

    func testSVDRejectsNaN() {
        XCTAssertThrowsError(try svd(try Matrix(rows: [[1, .nan], [0, 1]])))
    }

    func testQRPseudoinverseSolvesAsThePseudoinverse() throws {
        // Full column rank, and rank-deficient (column 2 = column 0 + column 1): A⁺B either way.
        let a: Matrix64 = randomMatrix(40, 6, seed: 21)
        var d: Matrix64 = randomMatrix(40, 3, seed: 22)
        for i in 0..<40 { d[i, 2] = d[i, 0] + d[i, 1] }
        let b: Matrix64 = randomMatrix(40, 5, seed: 23)
        for m in [a, d] {
            let x = try QRPseudoinverse(m).solve(b)
            XCTAssertEqual(x.shape, [m.cols, 5])
            XCTAssertLessThan(maxAbsDiff(x.storage, try matmul(try pseudoinverse(m), b).storage), 1e-10)
        }
        // The cut: rcond above every singular value ratio but the first keeps one direction.
        let one = try QRPseudoinverse(a, rcond: 0.999_999).solve(b)
        let (u, s, vt) = try svd(a)
        var first = Tensor<Double>(zeros: [6, 40])
        for j in 0..<6 { for i in 0..<40 { first[j, i] = vt[0, j] * u[i, 0] / s[0] } }
        XCTAssertLessThan(maxAbsDiff(one.storage, try matmul(first, b).storage), 1e-10)
        // Float32, and the errors: a wide matrix, NaN, a B of the wrong height.
        let f: Matrix = randomMatrix(30, 4, seed: 24), g: Matrix = randomMatrix(30, 2, seed: 25)
        XCTAssertLessThan(maxAbsDiff(try QRPseudoinverse(f).solve(g).storage, try matmul(try pseudoinverse(f), g).storage), 1e-4)
        XCTAssertThrowsError(try QRPseudoinverse(try Matrix(rows: [[1, 2, 3]])))
        XCTAssertThrowsError(try QRPseudoinverse(try Matrix(rows: [[1, .nan], [0, 1], [1, 1]])))
        XCTAssertThrowsError(try QRPseudoinverse(f).solve(try Matrix(rows: [[1]])))
    }

    func testVectorMathMatchesLibm() {
        // Every variant this CPU runs, against libm: within 4 ulp (libmvec's bound),
        // NaN stays NaN, and CELU is x for x ≥ 0 exactly.
        var xs: [Double] = [0, -0.0, 1e-300, -1e-12, 1e-8, 0.5, -0.5, 1, -3, 7.5, -19, 20, 40, -700, 709, -750, .infinity, -.infinity, .nan]
        var rng = RNG(seed: 3)
        for _ in 0..<997 { xs.append(rng.normal() * 6) }  // an odd count: the tails run
        let reference: [VectorMath.Function: (Double) -> Double] = [
            .tanh: { Foundation.tanh($0) }, .expm1: { Foundation.expm1($0) }, .exp: { Foundation.exp($0) },
            .celu: { $0 < 0 ? Foundation.expm1($0) : $0 },
        ]
        XCTAssertGreaterThanOrEqual(VectorMath.level, 0)
        for level in Int32(0)...VectorMath.level {
            for f in VectorMath.Function.allCases {
                var y = xs
                y.withUnsafeMutableBufferPointer { VectorMath.apply(f, $0.baseAddress!, $0.count, level: level) }
                for (x, v) in zip(xs, y) {
                    let want = reference[f]!(x)
                    if want.isNaN { XCTAssertTrue(v.isNaN, "\(f) level \(level) at \(x)"); continue }
                    if level == 0 || (f == .celu && !(x < 0)) || want.isInfinite { XCTAssertEqual(v.bitPattern, want.bitPattern, "\(f) level \(level) at \(x)"); continue }
                    XCTAssertLessThanOrEqual(abs(v - want), 4 * want.ulp, "\(f) level \(level) at \(x): \(v) vs \(want)")
                }
            }
        }
    }

    func testLargeArraysAndTheHeapPolicy() {
        // glibc takes the policy; a large array (huge-page advised) holds what fill wrote.
        #if os(Linux)
        XCTAssertTrue(keepFreedMemory())
        #endif
        let n = hugePageMinimumBytes / MemoryLayout<Float>.stride + 3
        let a: [Float] = largeArray(n) { b in for i in 0..<b.count { b[i] = Float(i % 7) } }
        XCTAssertEqual(a.count, n)
        XCTAssertEqual(a[n - 1], Float((n - 1) % 7))
        XCTAssertEqual(largeArray(repeating: 2.5, count: 3), [2.5, 2.5, 2.5])
        XCTAssertEqual(Tensor<Double>(zeros: [1 << 20]).storage.allSatisfy { $0 == 0 }, true)
    }
}
