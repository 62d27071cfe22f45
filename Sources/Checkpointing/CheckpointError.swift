// Errors for checkpoint and model files, naming the file and the tensor or field.

/// A checkpoint or model file that cannot be used.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
  public var path: String
  /// The tensor or field involved.
  public var item: String?
  public var message: String

  public init(path: String, item: String? = nil, _ message: String) {
    self.path = path
    self.item = item
    self.message = message
  }

  public var description: String {
    item.map { "\(path): \($0): \(message)" } ?? "\(path): \(message)"
  }
}
