import ArgumentParser
import Foundation

/// How each layer-wise subnet trains (Th. 6.3–6.6, Table 6.3): the flags
/// `dl-layerwise train` and `dl-layerwise step` share, beside TrainingOptions.
public struct LayerwiseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hidden widths of a decision block on each subnet but the last, e.g. 128 or 256-128 (default: one decision layer).",
                               valueName: "widths"))
    public var decision: String?
    @Option(help: ArgumentHelp("Segment j's learning rate is --lr × this^j (Th. Table 6.3: 0.8).", valueName: "f"))
    public var lrDecay: Float = 0.8
    @Option(help: ArgumentHelp("Segment j's weight decay is --wd × this^j (Th. Table 6.3: 1.15).", valueName: "f"))
    public var wdGrowth: Float = 1.15
    @Option(help: ArgumentHelp("Forward dropout on the segment's input at its first epoch (Th. 6.6.3).", valueName: "p"))
    public var inputDropout: Float = 0
    @Option(help: ArgumentHelp("The input dropout is multiplied by this after every epoch.", valueName: "f"))
    public var inputDropoutDecay: Float = 0.95
    @Option(help: ArgumentHelp("Backward dropout on the gradient entering the trained layers from the decision layer (fixed).", valueName: "p"))
    public var gradDropout: Float = 0
    @Option(help: ArgumentHelp("Online k-filtering of the features under every layer above the first (Th. 6.8.2), e.g. k=10,batch=6148,max-fraction=0.6.",
                               valueName: "spec"))
    public var kfilter: String?

    public init() {}

    public func validate() throws {
        do {
            _ = try decisionWidths()
            if let kfilter { _ = try parseKFilterSpec(kfilter) }
            var s = LayerwiseSettings()
            apply(to: &s)
            try s.validate(segments: 1)
        } catch let e as DLError {
            throw ValidationError(e.description)
        }
    }

    func decisionWidths() throws -> [Int] {
        guard let decision else { return [] }
        let parts = decision.split(separator: "-", omittingEmptySubsequences: false)
        let v = parts.compactMap { Int($0) }
        guard v.count == parts.count, !v.isEmpty, v.allSatisfy({ (1...(1 << 24)).contains($0) }) else {
            throw DLError.usage("bad --decision '\(decision)'", hint: "hidden widths joined by '-', e.g. 128 or 256-128")
        }
        return v
    }

    func apply(to s: inout LayerwiseSettings) {
        s.lrDecay = lrDecay
        s.wdGrowth = wdGrowth
        s.inputDropout = inputDropout
        s.inputDropoutDecay = inputDropoutDecay
        s.gradientDropout = gradDropout
    }

    /// The library's settings: these flags over the training run `fit` describes.
    public func settings(_ fit: FitOptions, epochs: [Int], common: CommonOptions) throws -> LayerwiseSettings {
        var s = LayerwiseSettings()
        s.training = fit.settings
        s.epochs = epochs
        apply(to: &s)
        s.decision = try decisionWidths()
        s.decisionInit = fit.initialization
        if let kfilter {
            var f = try parseKFilterSpec(kfilter)
            f.seed = common.seed
            f.knn.threads = common.threadCount
            s.kfilter = f
        }
        return s
    }
}

extension FeedMode: ExpressibleByArgument {}
extension RobinOrder: ExpressibleByArgument {}
