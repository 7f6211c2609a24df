// Feature files: "features are data" (SPEC §3). A net's representation Z_i of a
// data file is written as a data file whose X is Z_i, with the same splits,
// labels, targets, indices and class names, so every tool that reads data reads
// features: k-filter them, measure them, fit a net on them (dl-layerwise's
// checkpoints, Th. 6.2.2). The root records what made them:
//   feature_layer   int      i (0: the data's own X)
//   feature_model   string   the architecture of the net, e.g. "784-392-50-10"
// and each split's sample_shape is [d_i].

/// `data` with each split's X replaced by `features[split]` ([rows, d_i], same rows).
public func featureDataFile(_ data: DataFile, features: [String: Matrix], layer: Int, architecture: String) throws -> DataFile {
    var out = data
    for (n, s) in data.splits.enumerated() {
        guard let Z = features[s.name] else { throw DLError.input("no features for /\(s.name)") }
        guard Z.rank == 2, Z.rows == s.rows else {
            throw DLError.input("the features of /\(s.name) have shape \(Z.shape), not \(s.rows) rows")
        }
        out.splits[n].X = Z
        out.splits[n].sampleShape = [Z.cols]
    }
    out.attributes["feature_layer"] = .integer(Int64(layer))
    out.attributes["feature_model"] = .string(architecture)
    return out
}
