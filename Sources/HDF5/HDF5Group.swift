// HDF5 groups: create and open children, list members, and read/write whole datasets.

import CHDF5

/// Options for a new dataset.
public struct HDF5DatasetOptions: Sendable {
  /// Chunk shape; nil means contiguous storage unless compression needs chunks.
  public var chunkShape: [Int]?
  /// gzip (deflate) level 1–9; nil means uncompressed.
  public var deflateLevel: Int?

  public init(chunkShape: [Int]? = nil, deflateLevel: Int? = nil) {
    self.chunkShape = chunkShape
    self.deflateLevel = deflateLevel
  }
}

/// An open HDF5 group that closes itself.
public final class HDF5Group: HDF5Object {
  public let id: hid_t
  public let path: String
  public let name: String
  /// Keeps the file object alive as long as the group is.
  private let file: HDF5File

  private init(id: hid_t, file: HDF5File, name: String) {
    self.id = id
    self.file = file
    self.path = file.path
    self.name = name
  }

  static func open(in file: HDF5File, relativeName: String, absoluteName: String) throws
    -> HDF5Group
  {
    let id = try checked(
      H5Gopen2(file.id, relativeName, chdf5_p_default()), "H5Gopen2", path: file.path,
      object: absoluteName)
    return HDF5Group(id: id, file: file, name: absoluteName)
  }

  deinit { H5Gclose(id) }

  /// True when a link called `child` (a relative path, possibly nested) exists.
  /// - Throws: `HDF5Error` when HDF5 cannot tell (a corrupt group), so a damaged file is
  ///   never mistaken for one without the link.
  public func contains(_ child: String) throws -> Bool {
    var prefix = ""
    for part in child.split(separator: "/") {
      prefix += prefix.isEmpty ? String(part) : "/" + part
      let exists = H5Lexists(id, prefix, chdf5_p_default())
      if exists < 0 { throw HDF5Error.capture("H5Lexists", path: path, object: childName(prefix)) }
      if exists == 0 { return false }
    }
    return !prefix.isEmpty
  }

  /// Removes the link `child` (a dataset or group) from this group.
  public func remove(_ child: String) throws {
    _ = try checked(H5Ldelete(id, child, chdf5_p_default()), "H5Ldelete", path: path, object: childName(child))
  }

  /// Creates a child group.
  public func createGroup(_ child: String) throws -> HDF5Group {
    let newID = try checked(
      H5Gcreate2(id, child, chdf5_p_default(), chdf5_p_default(), chdf5_p_default()),
      "H5Gcreate2", path: path, object: childName(child))
    return HDF5Group(id: newID, file: file, name: childName(child))
  }

  /// Opens an existing child group.
  public func openGroup(_ child: String) throws -> HDF5Group {
    guard try contains(child) else {
      throw HDF5Error.invalid("H5Gopen2", path: path, object: childName(child), "no such group")
    }
    let newID = try checked(
      H5Gopen2(id, child, chdf5_p_default()), "H5Gopen2", path: path, object: childName(child))
    return HDF5Group(id: newID, file: file, name: childName(child))
  }

  /// Names of the group's direct members, in name order.
  public func memberNames() throws -> [String] {
    var info = H5G_info_t()
    _ = try checked(H5Gget_info(id, &info), "H5Gget_info", path: path, object: name)
    var names: [String] = []
    for index in 0..<info.nlinks {
      let length = try checked(
        H5Lget_name_by_idx(
          id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default()),
        "H5Lget_name_by_idx", path: path, object: name)
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      _ = try checked(
        H5Lget_name_by_idx(
          id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, chdf5_p_default()),
        "H5Lget_name_by_idx", path: path, object: name)
      names.append(HDF5Strings.decode(buffer))
    }
    return names
  }

  /// Creates an uninitialized dataset of element type `T` and `shape`.
  public func createDataset<T: HDF5Scalar>(
    _ child: String, of type: T.Type, shape: [Int], options: HDF5DatasetOptions = .init()
  ) throws -> HDF5Dataset {
    let object = childName(child)
    let space = try HDF5Dataspace.create(shape, path: path, object: object)
    defer { H5Sclose(space) }
    let properties = try HDF5DatasetCreation.properties(
      shape: shape, options: options, path: path, object: object)
    defer { H5Pclose(properties) }
    let newID = try checked(
      H5Dcreate2(
        id, child, T.hdf5ElementType.nativeTypeID, space, chdf5_p_default(), properties,
        chdf5_p_default()), "H5Dcreate2", path: path, object: object)
    return HDF5Dataset(id: newID, file: file, name: object)
  }

  /// Opens an existing dataset.
  public func openDataset(_ child: String) throws -> HDF5Dataset {
    guard try contains(child) else {
      throw HDF5Error.invalid("H5Dopen2", path: path, object: childName(child), "no such dataset")
    }
    let newID = try checked(
      H5Dopen2(id, child, chdf5_p_default()), "H5Dopen2", path: path, object: childName(child))
    return HDF5Dataset(id: newID, file: file, name: childName(child))
  }

  /// Creates a dataset and writes `values` (row-major, `shape.product` elements) into it.
  @discardableResult
  public func write<T: HDF5Scalar>(
    _ child: String, values: UnsafeBufferPointer<T>, shape: [Int],
    options: HDF5DatasetOptions = .init()
  ) throws -> HDF5Dataset {
    let expected = HDF5Dataspace.elementCount(shape)
    guard values.count == expected else {
      throw HDF5Error.invalid(
        "write", path: path, object: childName(child),
        "shape \(shape) needs \(expected) elements, got \(values.count)")
    }
    let dataset = try createDataset(child, of: T.self, shape: shape, options: options)
    try dataset.write(values)
    return dataset
  }

  /// Array form of `write(_:values:shape:options:)`.
  @discardableResult
  public func write<T: HDF5Scalar>(
    _ child: String, array: [T], shape: [Int], options: HDF5DatasetOptions = .init()
  ) throws -> HDF5Dataset {
    try array.withUnsafeBufferPointer {
      try write(child, values: $0, shape: shape, options: options)
    }
  }

  /// Reads a whole dataset of element type `T` with its shape.
  public func read<T: HDF5Scalar>(_ child: String, as type: T.Type) throws -> (
    values: [T], shape: [Int]
  ) {
    let dataset = try openDataset(child)
    return (try dataset.read(as: T.self), try dataset.shape)
  }

  /// Writes a UTF-8 string as a scalar fixed-length string dataset (for large text such
  /// as JSON configs and tokenizer files, which exceed attribute size limits).
  public func writeString(_ child: String, _ text: String) throws {
    let object = childName(child)
    let space = try HDF5Dataspace.create([], path: path, object: object)
    defer { H5Sclose(space) }
    let type = try HDF5Strings.makeFixedType(for: text, path: path, object: object)
    defer { H5Tclose(type) }
    let dataset = HDF5Dataset(
      id: try checked(
        H5Dcreate2(id, child, type, space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default()),
        "H5Dcreate2", path: path, object: object), file: file, name: object)
    try HDF5Strings.write(
      text, path: path, object: object,
      { memoryType, buffer in
        H5Dwrite(dataset.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
      }, operation: "H5Dwrite")
    if file.checksums { try dataset.recordChecksum(CRC32.checksum(text)) }
  }

  /// Reads a scalar string dataset written by `writeString` (or by h5py).
  public func readString(_ child: String) throws -> String {
    let dataset = try openDataset(child)
    let storedType = try checked(
      H5Dget_type(dataset.id), "H5Dget_type", path: path, object: dataset.name)
    defer { H5Tclose(storedType) }
    let text = try HDF5Strings.read(
      storedType: storedType, path: path, object: dataset.name,
      { memoryType, buffer in
        H5Dread(dataset.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
      }, operation: "H5Dread")
    if file.checksums { try dataset.verifyChecksum(CRC32.checksum(text)) }
    return text
  }
}

/// Dataset-creation property lists (chunking and compression).
enum HDF5DatasetCreation {
  static func properties(
    shape: [Int], options: HDF5DatasetOptions, path: String, object: String
  ) throws -> hid_t {
    let list = try checked(
      H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate", path: path, object: object)
    let wantsChunks = options.chunkShape != nil || options.deflateLevel != nil
    guard wantsChunks, !shape.isEmpty, !shape.contains(0) else { return list }
    let chunk = options.chunkShape ?? shape
    guard chunk.count == shape.count, chunk.allSatisfy({ $0 > 0 }) else {
      H5Pclose(list)
      throw HDF5Error.invalid(
        "H5Pset_chunk", path: path, object: object,
        "chunk shape \(chunk) does not fit dataset shape \(shape)")
    }
    let dims = chunk.map { hsize_t($0) }
    do {
      _ = try checked(
        H5Pset_chunk(list, Int32(dims.count), dims), "H5Pset_chunk", path: path, object: object)
      if let level = options.deflateLevel {
        guard (1...9).contains(level) else {
          throw HDF5Error.invalid(
            "H5Pset_deflate", path: path, object: object, "deflate level \(level) is not 1–9")
        }
        _ = try checked(
          H5Pset_deflate(list, UInt32(level)), "H5Pset_deflate", path: path, object: object)
      }
    } catch {
      H5Pclose(list)
      throw error
    }
    return list
  }
}
