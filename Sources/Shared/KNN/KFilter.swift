// k-filtering and k-redundancy (Th. 5.4): a sample is redundant when all of its
// k nearest neighbours (itself excluded) share its class; k-filtering drops the
// redundant samples, and the k-redundancy is the fraction dropped (Def. 8).

public struct KFilterSettings: Sendable {
    public var k = 10
    /// Filter within consecutive mini-batches of this many rows (nil: the whole set at once).
    public var batch: Int? = nil
    /// Batches of random rows instead of consecutive ones (seeded).
    public var randomBatches = false
    public var seed: UInt64 = 0
    /// Remove at most this fraction of the rows (Th. 6.8.2 caps it at 60%).
    public var maxFraction: Double? = nil
    public var knn = KNNSettings()
    public init() {}
}

/// Which samples are redundant for each k in `ks`, from one kNN search with the
/// largest k. Batches are formed as in `settings`.
public func redundancyMasks(X: Matrix, labels: [Int32], ks: [Int], settings: KFilterSettings,
                            progress: Progress? = nil) throws -> [Int: [Bool]] {
    let n = X.rows
    guard let kmax = ks.max(), ks.allSatisfy({ $0 >= 1 }) else { throw DLError.usage("k must be at least 1") }
    guard labels.count == n else { throw DLError.input("\(labels.count) labels for \(n) rows") }
    var order = Array(0..<n)
    if settings.randomBatches {
        var rng = RNG(seed: settings.seed, stream: .kNNBatches)
        order = rng.permutation(n)
    }
    let batch = settings.batch ?? n
    guard batch >= 1 else { throw DLError.usage("--batch must be at least 1") }
    // Checked before any work: the last batch is the smallest.
    let batches = (n + batch - 1) / batch
    let smallest = n - (batches - 1) * batch
    guard kmax < smallest else {
        if settings.batch == nil || batches == 1 {
            throw DLError.input("k = \(kmax) needs more than \(kmax) rows, but there are \(n)", hint: "use a smaller k")
        }
        if kmax >= batch {
            throw DLError.input("k = \(kmax) needs more than \(kmax) rows in every batch, but --batch is \(batch)",
                                hint: "use a smaller k or a larger --batch")
        }
        throw DLError.input("k = \(kmax) needs more than \(kmax) rows in every batch, but the last of \(n) rows in batches of \(batch) has \(smallest)",
                            hint: "use a smaller k, or a --batch that leaves more than \(kmax) rows at the end")
    }
    var masks = [Int: [Bool]]()
    for k in ks { masks[k] = [Bool](repeating: false, count: n) }
    var done = 0
    for start in stride(from: 0, to: n, by: batch) {
        let rows = Array(order[start..<min(n, start + batch)])  // more than kmax rows: checked above
        // Consecutive batches are row ranges: a slice, not a gather.
        let Xb = settings.randomBatches ? X.gatherRows(rows) : (rows.count == n ? X : X.sliceRows(start..<(start + rows.count)))
        let nb = try nearestNeighbours(Xb, k: kmax, settings: settings.knn) { q in
            progress?.update(done + q)
        }
        for (a, i) in rows.enumerated() {
            let own = labels[i]
            let neigh = nb.of(a)
            for k in ks {
                if neigh.prefix(k).allSatisfy({ labels[rows[Int($0)]] == own }) { masks[k]![i] = true }
            }
        }
        done += rows.count
    }
    return masks
}

/// The keep-mask of k-filtering: true for samples kept. With `maxFraction`, at
/// most that fraction of all rows is removed; which redundant samples stay is a
/// seeded random choice.
public func kFilterKeepMask(X: Matrix, labels: [Int32], settings: KFilterSettings, progress: Progress? = nil) throws -> [Bool] {
    let redundant = try redundancyMasks(X: X, labels: labels, ks: [settings.k], settings: settings, progress: progress)[settings.k]!
    var keep = redundant.map { !$0 }
    if let f = settings.maxFraction {
        let cap = Int((Double(X.rows) * f).rounded(.down))
        var dropped = (0..<X.rows).filter { redundant[$0] }
        if dropped.count > cap {
            var rng = RNG(seed: settings.seed, stream: .kFilterCap)
            let p = rng.permutation(dropped.count)
            dropped = p.prefix(dropped.count - cap).map { dropped[$0] }
            for i in dropped { keep[i] = true }
        }
    }
    return keep
}

/// Warns about classes with a single sample in a split: no k-neighbourhood can
/// make them redundant. Lists at most 10 of them.
public func warnSingleSampleClasses(_ labels: [Int32], split: String) {
    var counts = [Int32: Int]()
    for l in labels { counts[l, default: 0] += 1 }
    let singles = counts.filter { $0.value == 1 }.keys.sorted()
    guard !singles.isEmpty else { return }
    if singles.count == 1 {
        Log.warning("/\(split): class \(singles[0]) has a single sample, which can never be redundant")
        return
    }
    let shown = singles.prefix(10).map(String.init).joined(separator: ", ")
    let more = singles.count > 10 ? ", and \(singles.count - 10) more" : ""
    Log.warning("/\(split): \(singles.count) classes (\(shown)\(more)) have a single sample each, which can never be redundant")
}
