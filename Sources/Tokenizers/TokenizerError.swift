// Errors from loading, saving and using tokenizers, naming the file and field.

/// A tokenizer file that cannot be used, or text that cannot be decoded.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
  /// The file involved, when there is one.
  public var path: String?
  /// The JSON field or token involved.
  public var field: String?
  public var message: String

  public init(path: String? = nil, field: String? = nil, _ message: String) {
    self.path = path
    self.field = field
    self.message = message
  }

  public var description: String {
    var where_ = ""
    if let path { where_ += path }
    if let field { where_ += where_.isEmpty ? field : ": \(field)" }
    return where_.isEmpty ? "tokenizer: \(message)" : "tokenizer \(where_): \(message)"
  }
}
