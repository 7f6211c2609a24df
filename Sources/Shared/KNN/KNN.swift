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
    /// Rows per side of a (square) distance tile: memory is block² floats.
    public var queryBlock = 2048
    /// Threads for the selection (BLAS threads are set separately).
    public var threads = 1
    public init() {}
}

/// The k nearest neighbours of every row of X among the other rows of X.
///
/// Distances are symmetric, so only tiles (a, b) with b ≥ a are computed: one
/// sgemm serves the rows of block a (candidates from block b) and, read
/// transposed, the rows of block b (candidates from block a) — half the GEMM
/// work of a full search. With a ascending outside and b ascending inside, every
/// row still receives its candidates in increasing index order, which the tie
/// rule relies on.
public func nearestNeighbours(_ X: Matrix, k: Int, settings: KNNSettings = KNNSettings(),
                              progress: ((Int) -> Void)? = nil) throws -> Neighbours {
    try X.checkMatrix("X")
    let (n, d) = (X.rows, X.cols)
    guard k >= 1 else { throw DLError.usage("k must be at least 1") }
    guard k < n else {
        throw DLError.input("k = \(k) needs more than \(k) rows, but there are \(n)", hint: "use a smaller k or a larger batch")
    }
    guard n <= Int(Int32.max), d <= Int(Int32.max) else { throw DLError.input("X is too large for BLAS") }
    let bs = max(1, min(settings.queryBlock, n))
    // Distances are translation-invariant; centring keeps ‖a‖² + ‖b‖² − 2a·b from
    // cancelling away float32 precision when the rows share a large offset.
    let X = centredIfOffset(X)
    let norms = try rowSquaredNorms(X)
    // Each squared norm below max/4 keeps every distance finite.
    if let bad = norms.firstIndex(where: { !($0 < Float.greatestFiniteMagnitude / 4) }) {
        throw DLError.input("row \(bad) is too large for float32 distances (its squared norm overflows)",
                            hint: "scale the data, e.g. dl-data cat --standardize")
    }
    var indices = [Int32](repeating: -1, count: n * k)
    var distances = [Float](repeating: .infinity, count: n * k)
    let tile = UnsafeMutablePointer<Float>.allocate(capacity: bs * bs)
    defer { tile.deallocate() }
    let threads = max(1, settings.threads)
    // Runs body(row) for rows lo..<hi, split over the threads.
    func parallelRows(_ lo: Int, _ hi: Int, _ body: (Int) -> Void) {
        let count = hi - lo
        let per = (count + threads - 1) / threads
        if threads == 1 || count < 64 { for r in lo..<hi { body(r) }; return }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let a = lo + t * per, b = min(hi, a + per)
            if a < b { for r in a..<b { body(r) } }
        }
    }
    X.storage.withUnsafeBufferPointer { xp in
        indices.withUnsafeMutableBufferPointer { ip in
            distances.withUnsafeMutableBufferPointer { dp in
                norms.withUnsafeBufferPointer { np in
                    let x = xp.baseAddress!, I = ip.baseAddress!, D = dp.baseAddress!, N = np.baseAddress!
                    for a0 in stride(from: 0, to: n, by: bs) {
                        let na = min(bs, n - a0)
                        for b0 in stride(from: a0, to: n, by: bs) {
                            let nb = min(bs, n - b0)
                            // tile[i, j] = x_{a0+i} · x_{b0+j}
                            Float.gemm(false, true, na, nb, d, 1, x + a0 * d, d, x + b0 * d, d, 0, tile, nb)
                            parallelRows(0, na) { i in
                                selectRow(query: a0 + i, norms: N, tile: tile + i * nb, step: 1, r0: b0, count: nb,
                                          k: k, I: I + (a0 + i) * k, D: D + (a0 + i) * k)
                            }
                            if b0 != a0 {
                                parallelRows(0, nb) { j in
                                    selectRow(query: b0 + j, norms: N, tile: tile + j, step: nb, r0: a0, count: na,
                                              k: k, I: I + (b0 + j) * k, D: D + (b0 + j) * k)
                                }
                            }
                        }
                        progress?(a0 + na)
                    }
                }
            }
        }
    }
    return Neighbours(k: k, indices: indices, distances: distances)
}

/// X minus its column means when the rows share an offset that dominates their
/// spread (‖mean‖² > 16 · total variance: more than 4 bits of every distance
/// would cancel); X itself otherwise, so data on exact grids (pixels, integers)
/// keep their exact distances and ties.
func centredIfOffset(_ X: Matrix) -> Matrix {
    let (n, d) = (X.rows, X.cols)
    guard n > 1, d > 0 else { return X }
    var mean = [Double](repeating: 0, count: d)
    var C = X
    var centre = false
    X.storage.withUnsafeBufferPointer { xp in
        for i in 0..<n { for j in 0..<d { mean[j] += Double(xp[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var variance = 0.0
        for i in 0..<n { for j in 0..<d { let t = Double(xp[i * d + j]) - mean[j]; variance += t * t } }
        variance /= Double(n)
        let offset = mean.reduce(0) { $0 + $1 * $1 }
        centre = offset > 16 * variance
        if !centre { return }
        C.storage.withUnsafeMutableBufferPointer { cp in
            for i in 0..<n { for j in 0..<d { cp[i * d + j] = Float(Double(xp[i * d + j]) - mean[j]) } }
        }
    }
    return centre ? C : X
}

/// Merges candidates r0 ..< r0+count (their inner products with the query at
/// tile[0], tile[step], …) into the query's sorted top-k list. Candidates arrive
/// in increasing index order, so an equal distance never displaces an earlier
/// (lower-index) neighbour.
@inline(__always)
func selectRow(query: Int, norms: UnsafePointer<Float>, tile: UnsafePointer<Float>, step: Int, r0: Int, count: Int, k: Int,
               I: UnsafeMutablePointer<Int32>, D: UnsafeMutablePointer<Float>) {
    let qn = norms[query]
    var worst = D[k - 1]
    for b in 0..<count {
        let j = r0 + b
        let dist = qn + norms[j] - 2 * tile[b * step]
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
