import ArgumentParser

/// How Th. Algorithm 1 sizes and codes each tensor: the flags dl-compress's
/// subcommands share (and quantized training will).
public struct CompressionOptions: ParsableArguments {
    @Option(name: [.customShort("F"), .long], help: ArgumentHelp("Fraction of the weights the entropy estimate samples.", valueName: "f"))
    public var sampleFraction = 0.03
    @Option(name: [.customShort("M"), .long], help: ArgumentHelp("Bits M of the quantization the weight entropy H is measured at.", valueName: "m"))
    public var previewBits = 4
    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("The floor added to H: N = ⌈H + c⌉ (Th. 3.8: 5; 3.9: 6).", valueName: "c"))
    public var floor = 5.0
    @Option(help: ArgumentHelp("The most bits a weight may get.", valueName: "n")) public var maxBits = 16
    @Option(help: ArgumentHelp("Quantize every tensor to N bits instead (Th. Figure 3.1).", valueName: "n")) public var fixed: Int?
    @Flag(help: "Store the N-bit symbols as they are, without a Huffman code.") public var noHuffman = false

    public init() {}

    public func validate() throws {
        do { try settings(seed: 0).validate() } catch let e as DLError { throw ValidationError(e.description) }
    }

    /// The library's settings, with `seed` for the entropy samples.
    public func settings(seed: UInt64) -> CompressionSettings {
        var s = CompressionSettings()
        s.sampleFraction = sampleFraction
        s.previewBits = previewBits
        s.floor = floor
        s.maxBits = maxBits
        s.fixedBits = fixed
        s.huffman = !noHuffman
        s.seed = seed
        return s
    }
}
