// An HDF5 file handle that closes itself.

import CHDF5

#if canImport(Glibc)
  import Glibc
#endif

/// An open HDF5 file. Closing happens in `deinit`, or explicitly (and checked) with `close()`.
/// HDF5 here is the serial build: use a file from one thread at a time.
public final class HDF5File: HDF5Object {
  /// How to open an existing file.
  public enum Access: Sendable { case readOnly, readWrite }

  public private(set) var id: hid_t
  public let path: String
  public var name: String { "/" }

  private init(id: hid_t, path: String) {
    self.id = id
    self.path = path
  }

  /// Creates a new file at `path`, replacing an existing one when `overwrite` is true.
  /// - Throws: `HDF5Error` naming the path when the file cannot be created.
  public static func create(_ path: String, overwrite: Bool = true) throws -> HDF5File {
    HDF5Library.ensureStarted()
    let flags = overwrite ? chdf5_f_acc_trunc() : chdf5_f_acc_excl()
    let id = try checked(
      H5Fcreate(path, flags, chdf5_p_default(), chdf5_p_default()), "H5Fcreate", path: path,
      object: nil)
    return HDF5File(id: id, path: path)
  }

  /// Opens an existing file.
  /// - Throws: `HDF5Error` naming the path when it is missing, truncated or not HDF5.
  public static func open(_ path: String, access: Access = .readOnly) throws -> HDF5File {
    HDF5Library.ensureStarted()
    guard access_file(path) else {
      throw HDF5Error.invalid("H5Fopen", path: path, object: nil, "no such file")
    }
    let flags = access == .readOnly ? chdf5_f_acc_rdonly() : chdf5_f_acc_rdwr()
    let id = try checked(
      H5Fopen(path, flags, chdf5_p_default()), "H5Fopen", path: path, object: nil)
    return HDF5File(id: id, path: path)
  }

  /// True when `path` exists and is an HDF5 file (by its signature).
  public static func isHDF5(_ path: String) -> Bool {
    HDF5Library.ensureStarted()
    guard access_file(path) else { return false }
    let result = H5Fis_hdf5(path)
    H5Eclear2(chdf5_e_default())
    return result > 0
  }

  /// Creates `path` by writing `path.tmp` with `body`, flushing and closing it, then renaming
  /// it into place: readers never see a partial file under the final name, and a crash leaves
  /// an existing file untouched.
  public static func writeAtomically(_ path: String, _ body: (HDF5Group) throws -> Void) throws {
    let temporary = path + ".tmp"
    do {
      let file = try create(temporary)
      try body(try file.root())
      try file.flush()
      try file.close()
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      throw HDF5Error.invalid("rename", path: path, object: nil, "cannot move \(temporary) into place")
    }
  }

  /// The root group "/".
  public func root() throws -> HDF5Group {
    try HDF5Group.open(in: self, relativeName: "/", absoluteName: "/")
  }

  /// Writes every buffer of the file to disk.
  public func flush() throws {
    _ = try checked(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush", path: path, object: nil)
  }

  /// Closes the file now and reports failure (the file stays open while groups or datasets
  /// from it are alive).
  public func close() throws {
    guard id >= 0 else { return }
    let status = H5Fclose(id)
    id = -1
    _ = try checked(status, "H5Fclose", path: path, object: nil)
  }

  deinit {
    if id >= 0 { H5Fclose(id) }
  }
}

private func access_file(_ path: String) -> Bool {
  access(path, F_OK) == 0
}
