// Errors for data files: which file, which line, which field, and what was wrong.

/// Bad input in a data file or cache.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
  public var path: String
  /// 1-based line number, when the problem is on one line.
  public var line: Int?
  public var field: String?
  public var message: String

  public init(path: String, line: Int? = nil, field: String? = nil, _ message: String) {
    self.path = path
    self.line = line
    self.field = field
    self.message = message
  }

  public var description: String {
    var location = path
    if let line { location += ":\(line)" }
    if let field { location += " field \"\(field)\"" }
    return "\(location): \(message)"
  }
}
