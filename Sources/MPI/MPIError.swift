// The error every failed MPI call turns into: which operation, on which rank, and MPI's text.

/// An MPI call that returned an error code (MPI_ERRORS_RETURN is set on every communicator),
/// or a call the wrapper refused because its arguments could not match across ranks.
public struct MPIError: Error, CustomStringConvertible, Sendable {
  /// The MPI function or wrapper operation that failed, for example "MPI_Bcast".
  public var operation: String
  /// This process's rank in MPI_COMM_WORLD.
  public var worldRank: Int
  /// MPI's error code (MPI_SUCCESS is never stored here).
  public var code: Int32
  /// MPI's error class name, for example "MPI_ERR_ROOT".
  public var errorClass: String
  /// MPI's error string for `code`, or the wrapper's explanation.
  public var message: String

  public init(operation: String, worldRank: Int, code: Int32, errorClass: String, message: String)
  {
    self.operation = operation
    self.worldRank = worldRank
    self.code = code
    self.errorClass = errorClass
    self.message = message
  }

  public var description: String {
    "\(operation) failed on rank \(worldRank): \(errorClass): \(message)"
  }
}
