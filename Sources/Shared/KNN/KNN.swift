import Foundation

// Exact k-nearest neighbours (squared Euclidean) by blocked GEMM:
//   ‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r,
// the inner products of a block of queries against a block of references from
// one sgemm, so memory is bounded by the tile (never an m×m matrix). Each row
// keeps its k best (distance, index) pairs; a sample never counts as its own
// neighbour (excluded by index, so duplicates of it still count); ties go to the
// lower index. This is what FAISS's IndexFlatL2 computes, in the same float32
// arithmetic.
//
// Shapes: X [n, d] · queries [bq, d] · references [br, d] · tile [bq, br]
//         neighbours [n, k] (indices into X), distances [n, k]

public struct Neighbours: Equatable {
    public let k: Int
    /// Row i's neighbours at i*k ..< (i+1)*k, nearest first.
    public var indices: [Int32]
    public var distances: [Float]

    public func of(_ i: Int) -> ArraySlice<Int32> { indices[(i * k)..<((i + 1) * k)] }
}

public struct KNNSettings: Sendable {
    /// Queries per tile.
    public var queryBlock = 1024
    /// References per tile.
    public var referenceBlock = 4096
    /// Threads for the selection (BLAS threads are set separately).
    public var threads = 1
    public init() {}
}

/// The k nearest neighbours of every row of X among the other rows of X.
public func nearestNeighbours(_ X: Matrix, k: Int, settings: KNNSettings = KNNSettings(),
                              progress: ((Int) -> Void)? = nil) throws -> Neighbours {
    try X.checkMatrix("X")
    let (n, d) = (X.rows, X.cols)
    guard k >= 1 else { throw DLError.usage("k must be at least 1") }
    guard k < n else {
        throw DLError.input("k = \(k) needs more than \(k) rows, but there are \(n)", hint: "use a smaller k or a larger batch")
    }
    let bq = max(1, min(settings.queryBlock, n)), br = max(1, min(settings.referenceBlock, n))
    let norms = try rowSquaredNorms(X)
    var indices = [Int32](repeating: -1, count: n * k)
    var distances = [Float](repeating: .infinity, count: n * k)
    let tile = UnsafeMutablePointer<Float>.allocate(capacity: bq * br)
    defer { tile.deallocate() }
    let threads = max(1, settings.threads)
    try X.storage.withUnsafeBufferPointer { xp in
        try indices.withUnsafeMutableBufferPointer { ip in
            try distances.withUnsafeMutableBufferPointer { dp in
                let x = xp.baseAddress!, I = ip.baseAddress!, D = dp.baseAddress!
                for q0 in stride(from: 0, to: n, by: bq) {
                    let nq = min(bq, n - q0)
                    for r0 in stride(from: 0, to: n, by: br) {
                        let nr = min(br, n - r0)
                        guard nq <= Int(Int32.max), d <= Int(Int32.max) else { throw DLError.input("X is too large for BLAS") }
                        // tile[a, b] = q_a · r_b
                        Float.gemm(false, true, nq, nr, d, 1, x + q0 * d, d, x + r0 * d, d, 0, tile, nr)
                        // Selection, rows split over threads (each row is touched by one thread).
                        let per = (nq + threads - 1) / threads
                        let body = { (t: Int) in
                            let lo = t * per, hi = min(nq, lo + per)
                            if lo >= hi { return }
                            for a in lo..<hi {
                                selectRow(query: q0 + a, norms: norms, tileRow: tile + a * nr, r0: r0, nr: nr,
                                          k: k, I: I + (q0 + a) * k, D: D + (q0 + a) * k)
                            }
                        }
                        if threads == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: body) }
                    }
                    progress?(q0 + nq)
                }
            }
        }
    }
    return Neighbours(k: k, indices: indices, distances: distances)
}

/// Merges the candidates r0 ..< r0+nr into query `query`'s sorted top-k list.
/// Candidates arrive in increasing index order, so an equal distance never
/// displaces an earlier (lower-index) neighbour.
@inline(__always)
func selectRow(query: Int, norms: [Float], tileRow: UnsafePointer<Float>, r0: Int, nr: Int, k: Int,
               I: UnsafeMutablePointer<Int32>, D: UnsafeMutablePointer<Float>) {
    let qn = norms[query]
    var worst = D[k - 1]
    norms.withUnsafeBufferPointer { np in
        for b in 0..<nr {
            let j = r0 + b
            let dist = qn + np[j] - 2 * tileRow[b]
            if dist < worst && j != query {
                // Insert after every entry with distance ≤ dist (stable for ties).
                var pos = k - 1
                while pos > 0 && D[pos - 1] > dist {
                    D[pos] = D[pos - 1]
                    I[pos] = I[pos - 1]
                    pos -= 1
                }
                D[pos] = dist
                I[pos] = Int32(j)
                worst = D[k - 1]
            }
        }
    }
}

/// Plain-loop reference: every pair's distance computed directly in float64,
/// sorted by (distance, index). For tests.
public func referenceNeighbours(_ X: Matrix, k: Int) -> [[Int]] {
    let (n, d) = (X.rows, X.cols)
    return (0..<n).map { i in
        var c: [(Double, Int)] = []
        for j in 0..<n where j != i {
            var s = 0.0
            for q in 0..<d { let t = Double(X[i, q]) - Double(X[j, q]); s += t * t }
            c.append((s, j))
        }
        c.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return c.prefix(k).map { $0.1 }
    }
}
