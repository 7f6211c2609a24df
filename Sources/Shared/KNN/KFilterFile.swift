// dl-kfilter's library call: k-filter /train of a data file (other splits untouched).

/// Filters /train; returns the new data and how many /train rows were kept.
public func kFilter(_ data: DataFile, file: String, settings: KFilterSettings, maskOnly: Bool) throws -> (data: DataFile, kept: Int) {
    guard let train = data.train else { throw DLError.input("\(file) has no /train split") }
    guard let labels = train.y else {
        throw DLError.input("\(file): /train has no class labels y", hint: "k-filtering needs labelled (classification) data")
    }
    try train.checkValues(file: file)
    let m = train.rows
    warnSingleSampleClasses(labels, split: "train")
    guard m > 0 else { throw DLError.input("\(file): /train has no rows", hint: "there is nothing to filter") }
    let progress = Progress("kNN k=\(settings.k)", total: m, unit: "rows")
    let keep: [Bool]
    do {
        keep = try kFilterKeepMask(X: train.X, labels: labels, settings: settings, progress: progress)
    } catch let e as DLError where e.kind == .input {
        throw e.within("\(file): /train")
    }
    let kept = (0..<m).filter { keep[$0] }
    if kept.isEmpty {
        Log.warning("every row of /train is redundant at k = \(settings.k)\(maskOnly ? "" : ": the output's /train is empty")")
    }
    let fraction = m > 0 ? Double(kept.count) / Double(m) : 1
    var out = data
    var split: Split
    if maskOnly {
        split = train
        split.keep = keep.map { $0 ? 1 : 0 }
    } else {
        var withIndex = train
        // Composes with an earlier filter's indices, so rows always point at the original data.
        if withIndex.index == nil { withIndex.index = (0..<m).map { Int64($0) } }
        split = withIndex.selecting(kept)
    }
    split.attributes["kfilter_k"] = .integer(Int64(settings.k))
    split.attributes["kfilter_batch"] = .integer(Int64(settings.batch ?? m))
    // The attribute keeps the name of the flag that first set it (now --random-batches).
    split.attributes["kfilter_shuffle"] = .integer(settings.randomBatches ? 1 : 0)
    if let f = settings.maxFraction { split.attributes["kfilter_max_fraction"] = .float(f) }
    split.attributes["kept_fraction"] = .float(fraction)
    split.attributes["k_redundancy"] = .float(1 - fraction)
    out["train"] = split
    return (out, kept.count)
}
