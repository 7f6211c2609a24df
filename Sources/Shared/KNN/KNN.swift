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
    // The helpers sleep between tiles: OpenBLAS's own threads need the cores for the GEMMs.
    let team = try ThreadTeam(size: max(1, settings.threads), spinSeconds: 0)
    // Runs body(lo, hi) over parts of 0..<count, split over the team in multiples of 8.
    func parallelParts(_ count: Int, _ body: @escaping (Int, Int) -> Void) {
        if team.size == 1 || count < 64 { body(0, count); return }
        let per = ((count + team.size - 1) / team.size + 7) / 8 * 8
        team.run { t in
            let a = t * per, b = min(count, a + per)
            if a < b { body(a, b) }
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
                            parallelParts(na) { lo, hi in
                                for i in lo..<hi {
                                    selectRow(query: a0 + i, norms: N, tile: tile + i * nb, r0: b0, count: nb,
                                              k: k, I: I + (a0 + i) * k, D: D + (a0 + i) * k)
                                }
                            }
                            if b0 != a0 {
                                parallelParts(nb) { lo, hi in
                                    selectColumns(queries: (b0 + lo)..<(b0 + hi), norms: N, tile: tile + lo, ld: nb,
                                                  r0: a0, count: na, k: k, I: I, D: D)
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

/// Merges candidates r0 ..< r0+count (their inner products with the query in
/// tile[0..<count]) into the query's sorted top-k list. Candidates arrive in
/// increasing index order, so an equal distance never displaces an earlier
/// (lower-index) neighbour. Eight distances at a time are checked against the
/// current k-th first: most candidates are farther, and skip the scalar merge.
@inline(__always)
func selectRow(query: Int, norms: UnsafePointer<Float>, tile: UnsafePointer<Float>, r0: Int, count: Int, k: Int,
               I: UnsafeMutablePointer<Int32>, D: UnsafeMutablePointer<Float>) {
    let qn = norms[query]
    let qv = Float8(repeating: qn), two = Float8(repeating: 2)
    let tr = UnsafeRawPointer(tile), nr = UnsafeRawPointer(norms + r0)
    var worst = D[k - 1]
    var b = 0
    while b + 8 <= count {
        // The scalar expression's operations in its order, so the bits agree.
        let dv = (qv + nr.loadUnaligned(fromByteOffset: b * 4, as: Float8.self))
            - two * tr.loadUnaligned(fromByteOffset: b * 4, as: Float8.self)
        if any(dv .< Float8(repeating: worst)) {
            for l in 0..<8 { merge(dv[l], r0 + b + l, query, k, I, D, &worst) }
        }
        b += 8
    }
    while b < count {
        merge(qn + norms[r0 + b] - 2 * tile[b], r0 + b, query, k, I, D, &worst)
        b += 1
    }
}

/// The same for the queries `queries` whose inner products with candidates
/// r0 ..< r0+count are the columns tile[0..<queries.count] of rows 0..<count
/// (row stride `ld`): eight queries at a time, walking the tile by rows so every
/// read is contiguous, and each query still sees its candidates in index order.
@inline(__always)
func selectColumns(queries: Range<Int>, norms: UnsafePointer<Float>, tile: UnsafePointer<Float>, ld: Int,
                   r0: Int, count: Int, k: Int, I: UnsafeMutablePointer<Int32>, D: UnsafeMutablePointer<Float>) {
    let two = Float8(repeating: 2)
    var q0 = queries.lowerBound
    while q0 + 8 <= queries.upperBound {
        let qv = UnsafeRawPointer(norms + q0).loadUnaligned(as: Float8.self)
        var worst = Float8(repeating: 0)
        for l in 0..<8 { worst[l] = D[(q0 + l) * k + k - 1] }
        let col = UnsafeRawPointer(tile + (q0 - queries.lowerBound))
        for b in 0..<count {
            let dv = (qv + Float8(repeating: norms[r0 + b])) - two * col.loadUnaligned(fromByteOffset: b * ld * 4, as: Float8.self)
            let closer = dv .< worst
            if any(closer) {
                for l in 0..<8 where closer[l] {
                    var w = worst[l]
                    merge(dv[l], r0 + b, q0 + l, k, I + (q0 + l) * k, D + (q0 + l) * k, &w)
                    worst[l] = w
                }
            }
        }
        q0 += 8
    }
    for q in q0..<queries.upperBound {
        let c = tile + (q - queries.lowerBound)
        let Iq = I + q * k, Dq = D + q * k
        var worst = Dq[k - 1]
        for b in 0..<count { merge(norms[q] + norms[r0 + b] - 2 * c[b * ld], r0 + b, q, k, Iq, Dq, &worst) }
    }
}

/// Puts candidate j at distance `dist` into a query's sorted top-k list when it
/// is closer than the k-th (after every entry at distance ≤ dist: stable for
/// ties); a sample is never its own neighbour.
@inline(__always)
func merge(_ dist: Float, _ j: Int, _ query: Int, _ k: Int, _ I: UnsafeMutablePointer<Int32>,
           _ D: UnsafeMutablePointer<Float>, _ worst: inout Float) {
    guard dist < worst && j != query else { return }
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
