// The errors the test utilities throw, with enough context to act on.

/// A failure of a test helper: a missing build product, a process that did
/// not come up, a tool that failed. The description is meant to be read in a
/// test report as is.
public struct TestUtilityError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the log tail or the command output if any.
    public var description: String

    /// Creates an error with a description.
    public init(_ description: String) {
        self.description = description
    }
}
