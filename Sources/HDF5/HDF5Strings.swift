// UTF-8 strings, shared by string attributes and string datasets. Written fixed-length
// (NUL-padded, sized to the text), read in either form: a fixed-length string lives in its
// object header or its dataset's own storage, which a checksummed file verifies, while a
// variable-length one lives in HDF5's global heap, whose lengths nothing checks (a corrupt
// heap entry makes libhdf5 read out of bounds).

import CHDF5

enum HDF5Strings {
  /// Decodes a NUL-terminated C character buffer as UTF-8.
  static func decode(_ buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.count
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// A variable-length UTF-8 string type; the caller closes it.
  static func makeType(path: String, object: String?) throws -> hid_t {
    let type = try checked(H5Tcopy(chdf5_c_s1()), "H5Tcopy", path: path, object: object)
    _ = try checked(H5Tset_size(type, chdf5_variable()), "H5Tset_size", path: path, object: object)
    _ = try checked(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset", path: path, object: object)
    return type
  }

  /// A fixed-length, NUL-padded UTF-8 string type that holds `text` exactly; the caller
  /// closes it.
  static func makeFixedType(for text: String, path: String, object: String?) throws -> hid_t {
    let type = try checked(H5Tcopy(chdf5_c_s1()), "H5Tcopy", path: path, object: object)
    _ = try checked(H5Tset_size(type, max(1, text.utf8.count)), "H5Tset_size", path: path, object: object)
    _ = try checked(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad", path: path, object: object)
    _ = try checked(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset", path: path, object: object)
    return type
  }

  /// Writes one string of type `makeFixedType(for: text)` through `write(memoryType, buffer)`
  /// (H5Awrite or H5Dwrite).
  static func write(
    _ text: String, path: String, object: String?,
    _ write: (hid_t, UnsafeRawPointer) -> herr_t, operation: String
  ) throws {
    let type = try makeFixedType(for: text, path: path, object: object)
    defer { H5Tclose(type) }
    var bytes = Array(text.utf8)
    if bytes.isEmpty { bytes = [0] }
    _ = try checked(bytes.withUnsafeBytes { write(type, $0.baseAddress!) }, operation, path: path, object: object)
  }

  /// Reads one string stored with `storedType` (variable or fixed length) through
  /// `read(memoryType, buffer)` (H5Aread or H5Dread).
  static func read(
    storedType: hid_t, path: String, object: String?,
    _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t, operation: String
  ) throws -> String {
    guard H5Tget_class(storedType) == H5T_STRING else {
      throw HDF5Error.invalid(operation, path: path, object: object, "holds numbers, not a string")
    }
    if H5Tis_variable_str(storedType) > 0 {
      let type = try makeType(path: path, object: object)
      defer { H5Tclose(type) }
      var pointer: UnsafeMutablePointer<CChar>? = nil
      _ = try checked(
        withUnsafeMutablePointer(to: &pointer) { read(type, UnsafeMutableRawPointer($0)) },
        operation, path: path, object: object)
      guard let pointer else { return "" }
      defer { H5free_memory(pointer) }
      return String(cString: pointer)
    }
    let size = H5Tget_size(storedType)
    let type = try checked(H5Tcopy(storedType), "H5Tcopy", path: path, object: object)
    defer { H5Tclose(type) }
    var bytes = [UInt8](repeating: 0, count: size + 1)
    _ = try checked(
      bytes.withUnsafeMutableBytes { read(type, $0.baseAddress!) }, operation, path: path,
      object: object)
    let end = bytes.firstIndex(of: 0) ?? size
    return String(decoding: bytes[..<end], as: UTF8.self)
  }
}
