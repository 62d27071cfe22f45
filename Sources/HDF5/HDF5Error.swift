// The error every failed HDF5 call turns into, carrying HDF5's own error-stack text.

import CHDF5

/// A failed HDF5 operation: which call, on which file and object, and what HDF5's error stack
/// said (automatic error printing is off; the text travels in the error instead).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
  /// The HDF5 function or layer operation that failed, for example "H5Fopen".
  public var operation: String
  /// The file the operation was working on.
  public var path: String
  /// The object (group, dataset or attribute name) inside the file, if any.
  public var object: String?
  /// HDF5's error stack, innermost cause last, or the layer's own explanation.
  public var stack: String

  public init(operation: String, path: String, object: String?, stack: String) {
    self.operation = operation
    self.path = path
    self.object = object
    self.stack = stack
  }

  public var description: String {
    let target = object.map { "\(path): \($0)" } ?? path
    return "HDF5 \(operation) failed for \(target): \(stack)"
  }

  /// Reads and clears the current thread's HDF5 error stack.
  static func capture(_ operation: String, path: String, object: String?) -> HDF5Error {
    final class Lines { var items: [String] = [] }
    let lines = Lines()
    let walker: H5E_walk2_t = { _, entry, clientData in
      guard let entry, let clientData else { return 0 }
      let lines = Unmanaged<Lines>.fromOpaque(clientData).takeUnretainedValue()
      let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
      // One line: the file driver's detail embeds a ctime() date that ends in a newline.
      let detail = (entry.pointee.desc.map { String(cString: $0) } ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
      var minor = [CChar](repeating: 0, count: 256)
      H5Eget_msg(entry.pointee.min_num, nil, &minor, minor.count)
      let minorText = HDF5Strings.decode(minor)
      lines.items.append("\(function)(): \(detail)" + (minorText.isEmpty ? "" : " (\(minorText))"))
      return 0
    }
    H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, walker, Unmanaged.passUnretained(lines).toOpaque())
    H5Eclear2(chdf5_e_default())
    var text = lines.items.isEmpty ? "HDF5 reported no error detail" : lines.items.joined(separator: "; ")
    // The operating system's reason (disk full, permission denied), when the file driver gave
    // one, goes first: it is what the user has to fix.
    if let start = text.firstRange(of: "error message = '"), let end = text[start.upperBound...].firstIndex(of: "'") {
      text = String(text[start.upperBound..<end]) + "; HDF5 stack: " + text
    }
    return HDF5Error(operation: operation, path: path, object: object, stack: text)
  }

  /// An error the Swift layer detects itself (wrong type, wrong size, missing file).
  static func invalid(_ operation: String, path: String, object: String?, _ message: String)
    -> HDF5Error
  {
    HDF5Error(operation: operation, path: path, object: object, stack: message)
  }
}

/// Checks an HDF5 return value: a negative `hid_t`/`herr_t` means failure.
@inline(__always)
func checked<T: BinaryInteger>(
  _ value: T, _ operation: String, path: String, object: String?
) throws -> T {
  if value < 0 { throw HDF5Error.capture(operation, path: path, object: object) }
  return value
}
