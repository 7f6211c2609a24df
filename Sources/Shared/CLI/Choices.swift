import ArgumentParser

// Choice options: an unknown value lists the valid ones.
extension Activation: ExpressibleByArgument {}
extension HeadKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
