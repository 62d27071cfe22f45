// An HDF5 file handle that closes itself.

import CHDF5

#if canImport(Glibc)
  import Glibc
#endif

/// An open HDF5 file. Closing happens in `deinit`, or explicitly (and checked) with `close()`.
/// HDF5 here is the serial build: use a file from one thread at a time.
///
/// A *checksummed* file (created with `checksums: true`) carries the root attribute
/// `checksums = "crc32"`; every dataset written through this layer then gets a `crc32`
/// attribute (CRC-32 of its raw little-endian bytes, or of a string's UTF-8 bytes), and every
/// read from such a file verifies it. Its metadata (superblock, object headers, attributes) is
/// in the HDF5 1.8 format, which the library checksums itself.
public final class HDF5File: HDF5Object {
  /// The root attribute that marks a checksummed file, and its value.
  public static let checksumMarker = (attribute: "checksums", value: "crc32")

  /// True when datasets carry `crc32` attributes that reads verify.
  public private(set) var checksums: Bool = false

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
  /// With `checksums`, the file is checksummed (see the type's documentation).
  public static func create(_ path: String, overwrite: Bool = true, checksums: Bool = false) throws -> HDF5File {
    HDF5Library.ensureStarted()
    let flags = overwrite ? chdf5_f_acc_trunc() : chdf5_f_acc_excl()
    let access = checksums
      ? try checked(chdf5_fapl_checksummed_metadata(), "H5Pset_libver_bounds", path: path, object: nil)
      : chdf5_p_default()
    defer { if checksums { H5Pclose(access) } }
    let id = try checked(H5Fcreate(path, flags, chdf5_p_default(), access), "H5Fcreate", path: path, object: nil)
    let file = HDF5File(id: id, path: path)
    if checksums {
      try file.setAttribute(checksumMarker.attribute, string: checksumMarker.value)
      file.checksums = true
    }
    return file
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
    let file = HDF5File(id: id, path: path)
    if try file.hasAttribute(checksumMarker.attribute) {
      let kind = try file.stringAttribute(checksumMarker.attribute)
      guard kind == checksumMarker.value else {
        throw HDF5Error.invalid(
          "H5Fopen", path: path, object: "/", "attribute \(checksumMarker.attribute) is \"\(kind)\"; this build verifies \"\(checksumMarker.value)\"")
      }
      file.checksums = true
    }
    return file
  }

  /// True when `path` exists and is an HDF5 file (by its signature).
  public static func isHDF5(_ path: String) -> Bool {
    HDF5Library.ensureStarted()
    guard access_file(path) else { return false }
    let result = H5Fis_hdf5(path)
    H5Eclear2(chdf5_e_default())
    return result > 0
  }

  /// Creates `path` by writing `path.tmp` with `body`, flushing, closing and fsyncing it,
  /// then renaming it into place and fsyncing the folder: readers never see a partial file
  /// under the final name, and neither a crash of the process nor one of the host leaves a
  /// partial file there or touches an existing one. `checksums` as in `create`.
  public static func writeAtomically(
    _ path: String, checksums: Bool = false, _ body: (HDF5Group) throws -> Void
  ) throws {
    let temporary = path + ".tmp"
    do {
      let file = try create(temporary, checksums: checksums)
      try body(try file.root())
      try file.flush()
      try file.close()
      try synchronize(temporary, what: "the file")
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw HDF5Error.invalid("rename", path: path, object: nil, "cannot move \(temporary) into place: \(reason)")
    }
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    try synchronize(folder, what: "its folder")
  }

  /// fsync of a file or folder by path, with the OS's reason on failure.
  private static func synchronize(_ path: String, what: String) throws {
    let descriptor = Glibc.open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw HDF5Error.invalid("fsync", path: path, object: nil, "cannot open \(what) to sync it: \(String(cString: strerror(errno)))")
    }
    defer { Glibc.close(descriptor) }
    guard fsync(descriptor) == 0 else {
      throw HDF5Error.invalid("fsync", path: path, object: nil, "cannot sync \(what) to disk: \(String(cString: strerror(errno)))")
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
