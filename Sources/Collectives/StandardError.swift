// Unbuffered writes to standard error, safe to call from any thread right before exiting.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes diagnostics straight to file descriptor 2 (no buffering, so nothing is lost when the
/// process is killed right after, as MPI_Abort does).
public enum StandardError {
  /// Writes `text` followed by a newline.
  public static func writeLine(_ text: String) {
    var line = text
    line.append("\n")
    line.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
        if written <= 0 { return }
        offset += written
      }
    }
  }
}
