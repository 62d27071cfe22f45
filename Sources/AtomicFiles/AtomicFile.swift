// Writing small files (JSON records, text) so that a reader never sees a partial one.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A failed atomic write: the file it meant to write and the OS's reason.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
  /// The file that was to be written.
  public var path: String
  /// The OS's reason (`strerror`), e.g. "No space left on device".
  public var reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "\(path): cannot write: \(reason)" }
}

/// Whole-file writes through `path.tmp`, fsync and rename.
public enum AtomicFile {
  /// Writes `data` to `path.tmp`, syncs it to disk and renames it to `path`. On any failure
  /// (a full disk, a missing folder, no permission) the temporary file is removed, `path` keeps
  /// what it held before, and the error names `path` with the OS's reason.
  public static func write(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw AtomicFileError(path: path, reason: lastReason()) }
    var failure: String?
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
      var offset = 0
      while offset < bytes.count {
        let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          failure = lastReason()
          return
        }
        offset += written
      }
    }
    if failure == nil, fsync(descriptor) != 0 { failure = lastReason() }
    if close(descriptor) != 0, failure == nil { failure = lastReason() }
    if failure == nil, rename(temporary, path) != 0 { failure = lastReason() }
    if let failure {
      unlink(temporary)
      throw AtomicFileError(path: path, reason: failure)
    }
  }

  /// Writes `text` as UTF-8, as `write(_:to:)`.
  public static func write(_ text: String, to path: String) throws {
    try write(Data(text.utf8), to: path)
  }

  private static func lastReason() -> String { String(cString: strerror(errno)) }
}
