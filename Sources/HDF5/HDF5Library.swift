// One-time HDF5 library set-up: open the library and silence its automatic error printing.

import CHDF5

public enum HDF5Library {
  /// Evaluated once per process, on first use of any HDF5 handle.
  private static let started: Bool = {
    H5open()
    return chdf5_silence_errors() >= 0
  }()

  static func ensureStarted() {
    _ = started
  }

  /// The linked HDF5 library version, for example "1.10.8".
  public static var version: String {
    var major: UInt32 = 0
    var minor: UInt32 = 0
    var release: UInt32 = 0
    H5get_libversion(&major, &minor, &release)
    return "\(major).\(minor).\(release)"
  }
}
