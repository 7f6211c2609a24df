import ArgumentParser

// Choice options: an unknown value lists the valid ones.
extension Activation: ExpressibleByArgument {}
extension HeadKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}

/// "5,10,20" → [5, 10, 20], each within `range`: the one parser of the
/// suite's integer-list options (dl-measure -k and --layers, theorem1's grids).
public func parseIntegerList(_ s: String, option: String, range: ClosedRange<Int>) throws -> [Int] {
    let parts = s.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, values.count == parts.count else {
        throw ValidationError("\(option) takes comma-separated integers, e.g. 5,10,20 (got '\(s)')")
    }
    if let bad = values.first(where: { !range.contains($0) }) {
        throw ValidationError("\(option): \(bad) is outside \(range.lowerBound)…\(range.upperBound)")
    }
    return values
}
