// dl-fit project's library call and its files (Th. 7): a data file in, the
// closed-form fit out; the model file (dl-fit's format, with the fit's settings
// on /model and a row per layer in /model/log) and the per-layer log line.

/// A data file through Platonic Projections: the checks every fit makes
/// (`learningTasks`: widths against the data, classes, finite values), then every
/// layer in closed form, reporting each to `onLayer`.
public func fitProjection(_ data: DataFile, file: String, _ settings: ProjectionSettings,
                          onLayer: (ProjectionLayerRecord) -> Void = { _ in })
    throws -> (result: ProjectionResult, train: LearningTask, test: LearningTask?, classes: Int?) {
    let shape = try MLP(widths: settings.widths, hidden: settings.hidden, head: OutputHead(.linear))
    let tasks = try learningTasks(data, model: shape, file: file)
    let result = try fitPlatonicProjections(settings, train: tasks.train, test: tasks.eval, onLayer: onLayer)
    return (result, tasks.train, tasks.eval, tasks.classes)
}

extension ProjectionSettings {
    /// What /model records of the fit, as attributes.
    var attributes: [(String, H5AttributeValue)] {
        var a: [(String, H5AttributeValue)] = [
            ("fit", .string("platonic-projections")), ("projection", .string(method.rawValue)),
            ("sorted_pca", .integer(sortedPCA ? 1 : 0)), ("tries", .integer(Int64(tries))),
            ("projection_alpha", .float(alpha)), ("projection_beta", .float(beta)),
            ("solver", .string(solver.rawValue)), ("precision", .integer(Int64(precision))), ("seed", .integer(Int64(bitPattern: seed))),
        ]
        if solver == .lstsq { a.append(("lstsq_driver", .string(driver.rawValue))) }
        if solver == .ridge { a.append(("ridge", .float(ridge))) }
        if let rcond, solver != .ridge { a.append(("rcond", .float(rcond))) }
        if let ema { a.append(("ema", .float(ema))) }
        return a
    }
}

/// Writes a closed-form fit as a model file (dl-fit's format; float64 weights for
/// a float64 fit) with its settings on /model and a row per layer in /model/log.
public func writeProjectionModel(_ result: ProjectionResult, _ settings: ProjectionSettings, task: LearningTask, classes: Int?,
                                 recordTime: Bool, to file: H5File, history: [String], command: String) throws {
    var meta = ModelMetadata()
    meta.task = task.isClassification ? .classification : .regression
    meta.classes = task.isClassification ? classes : nil
    meta.targets = settings.targets
    try writeModelFile(result.model, metadata: meta, to: file, history: history, command: command)
    let g = try file.root.openGroup("model")
    for (k, v) in settings.attributes { try g.setAttribute(k, v) }
    let log = try g.createGroup("log")
    let rows = result.log
    func column(_ name: String, _ f: (ProjectionLayerRecord) -> Double?) throws {
        let v = rows.map(f)
        if v.allSatisfy({ $0 == nil }) { return }
        try log.write(name, shape: [v.count], values: v.map { $0 ?? .nan })
    }
    try log.write("layer", shape: [rows.count], values: rows.map { Int32($0.layer) })
    try log.write("width", shape: [rows.count], values: rows.map { Int32($0.width) })
    try log.write("try", shape: [rows.count], values: rows.map { Int32($0.chosenTry) })
    try column("lsd") { $0.lsd }
    try column("mse") { $0.mse }
    try column("train_accuracy") { $0.trainAccuracy }
    try column("test_mse") { $0.testMSE }
    try column("test_accuracy") { $0.testAccuracy }
    if recordTime { try column("seconds") { $0.seconds } }
}

/// "layer 3/5 (32 wide): LSD 1.234e-03, try 4, train 97.12%, test 96.80%, 0.02 s".
public func projectionLayerLine(_ r: ProjectionLayerRecord, layers: Int) -> String {
    var line = "layer \(r.layer)/\(layers) (\(r.width) wide): LSD \(String(format: "%.4g", r.lsd))"
    if r.chosenTry > 0 { line += ", try \(r.chosenTry)" }
    if let a = r.trainAccuracy { line += String(format: ", train %.2f%%", 100 * a) }
    if let a = r.testAccuracy { line += String(format: ", test %.2f%%", 100 * a) }
    else if let e = r.testMSE { line += String(format: ", test MSE %.4g", e) }
    return line + String(format: ", %.3f s", r.seconds)
}
