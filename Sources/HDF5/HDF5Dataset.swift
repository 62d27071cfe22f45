// HDF5 datasets: typed whole-array reads and writes with shape and type checks.

import CHDF5

/// An open dataset that closes itself.
public final class HDF5Dataset: HDF5Object {
  public let id: hid_t
  public let path: String
  public let name: String
  let file: HDF5File

  init(id: hid_t, file: HDF5File, name: String) {
    self.id = id
    self.file = file
    self.path = file.path
    self.name = name
  }

  deinit { H5Dclose(id) }

  /// The dataset's shape (`[]` for a scalar dataset).
  public var shape: [Int] {
    get throws {
      let space = try checked(H5Dget_space(id), "H5Dget_space", path: path, object: name)
      defer { H5Sclose(space) }
      return try HDF5Dataspace.shape(of: space, path: path, object: name)
    }
  }

  /// Number of elements.
  public var elementCount: Int {
    get throws { HDF5Dataspace.elementCount(try shape) }
  }

  /// The stored element type, or nil for types this layer does not read (strings…).
  public var elementType: HDF5ElementType? {
    get throws {
      let type = try checked(H5Dget_type(id), "H5Dget_type", path: path, object: name)
      defer { H5Tclose(type) }
      return HDF5ElementType(storedType: type)
    }
  }

  private func requireType<T: HDF5Scalar>(_: T.Type, operation: String) throws {
    let stored = try elementType
    guard stored == T.hdf5ElementType else {
      throw HDF5Error.invalid(
        operation, path: path, object: name,
        "dataset holds \(stored?.rawValue ?? "a non-numeric type"), asked for \(T.hdf5ElementType.rawValue)")
    }
  }

  private func requireCount(_ count: Int, operation: String) throws {
    let expected = try elementCount
    guard count == expected else {
      throw HDF5Error.invalid(
        operation, path: path, object: name,
        "dataset of shape \(try shape) has \(expected) elements, buffer has \(count)")
    }
  }

  /// Writes the whole dataset from `values` (same element type and count).
  public func write<T: HDF5Scalar>(_ values: UnsafeBufferPointer<T>) throws {
    try requireType(T.self, operation: "H5Dwrite")
    try requireCount(values.count, operation: "H5Dwrite")
    if values.count > 0 {
      _ = try checked(
        H5Dwrite(
          id, T.hdf5ElementType.nativeTypeID, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
          values.baseAddress), "H5Dwrite", path: path, object: name)
    }
    if file.checksums { try recordChecksum(CRC32.checksum(UnsafeRawBufferPointer(values))) }
  }

  /// Reads the whole dataset into `buffer` (same element type and count).
  public func read<T: HDF5Scalar>(into buffer: UnsafeMutableBufferPointer<T>) throws {
    try requireType(T.self, operation: "H5Dread")
    try requireCount(buffer.count, operation: "H5Dread")
    if buffer.count > 0 {
      _ = try checked(
        H5Dread(
          id, T.hdf5ElementType.nativeTypeID, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
          buffer.baseAddress), "H5Dread", path: path, object: name)
    }
    if file.checksums { try verifyChecksum(CRC32.checksum(UnsafeRawBufferPointer(buffer))) }
  }

  /// The attribute that holds a dataset's CRC-32 in a checksummed file.
  static let checksumAttribute = "crc32"

  /// Stores the CRC-32 of the data just written.
  func recordChecksum(_ crc: UInt32) throws {
    try setAttribute(Self.checksumAttribute, value: Int64(crc))
  }

  /// Compares the CRC-32 of the data just read with the stored one.
  /// - Throws: `HDF5Error` naming the dataset when the checksum is missing or differs.
  func verifyChecksum(_ crc: UInt32) throws {
    guard try hasAttribute(Self.checksumAttribute) else {
      throw HDF5Error.invalid(
        "checksum", path: path, object: name, "has no \(Self.checksumAttribute) attribute, though the file records one for every dataset")
    }
    let stored = try scalarAttribute(Self.checksumAttribute, as: Int64.self)
    guard stored == Int64(crc) else {
      throw HDF5Error.invalid(
        "checksum", path: path, object: name,
        "is corrupt: its data has CRC-32 \(String(crc, radix: 16)), the file recorded \(String(UInt64(bitPattern: stored), radix: 16))")
    }
  }

  /// Reads the whole dataset as a flat row-major array.
  public func read<T: HDF5Scalar>(as type: T.Type) throws -> [T] {
    var values = [T](repeating: T.hdf5Zero, count: try elementCount)
    try values.withUnsafeMutableBufferPointer { try read(into: $0) }
    return values
  }
}
