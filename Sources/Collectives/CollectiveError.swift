// The error a single-process collective throws for arguments no group could accept.

/// A collective call whose arguments were invalid.
public struct CollectiveError: Error, CustomStringConvertible, Sendable {
  /// The operation that was called (for example "allReduce").
  public var operation: String
  /// What was wrong.
  public var message: String

  public init(operation: String, message: String) {
    self.operation = operation
    self.message = message
  }

  public var description: String { "\(operation) failed: \(message)" }
}
