// Attributes on files, groups and datasets: strings and numbers (scalars or 1-D arrays).

import CHDF5

extension HDF5Object {
  /// True when the object has an attribute called `attribute`.
  /// - Throws: `HDF5Error` when HDF5 cannot tell (a corrupt object header), so a damaged
  ///   file is never mistaken for one without the attribute.
  public func hasAttribute(_ attribute: String) throws -> Bool {
    let exists = H5Aexists(id, attribute)
    if exists < 0 { throw HDF5Error.capture("H5Aexists", path: path, object: name + "@" + attribute) }
    return exists > 0
  }

  /// Names of all attributes on the object, in name order.
  public func attributeNames() throws -> [String] {
    var info = H5O_info_t()
    _ = try checked(
      H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)), "H5Oget_info2", path: path,
      object: name)
    var names: [String] = []
    for index in 0..<info.num_attrs {
      let length = try checked(
        H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default()),
        "H5Aget_name_by_idx", path: path, object: name)
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      _ = try checked(
        H5Aget_name_by_idx(
          id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, chdf5_p_default()),
        "H5Aget_name_by_idx", path: path, object: name)
      names.append(HDF5Strings.decode(buffer))
    }
    return names
  }

  private func attributeLabel(_ attribute: String) -> String { "\(name)@\(attribute)" }

  /// Creates (replacing any existing) attribute with `type` and `shape`; the caller closes it.
  private func createAttribute(_ attribute: String, type: hid_t, shape: [Int]) throws -> hid_t {
    let label = attributeLabel(attribute)
    if try hasAttribute(attribute) {
      _ = try checked(H5Adelete(id, attribute), "H5Adelete", path: path, object: label)
    }
    let space = try HDF5Dataspace.create(shape, path: path, object: label)
    defer { H5Sclose(space) }
    return try checked(
      H5Acreate2(id, attribute, type, space, chdf5_p_default(), chdf5_p_default()), "H5Acreate2",
      path: path, object: label)
  }

  private func openAttribute(_ attribute: String) throws -> hid_t {
    let label = attributeLabel(attribute)
    guard try hasAttribute(attribute) else {
      throw HDF5Error.invalid("H5Aopen", path: path, object: label, "no such attribute")
    }
    return try checked(
      H5Aopen(id, attribute, chdf5_p_default()), "H5Aopen", path: path, object: label)
  }

  /// Sets a UTF-8 string attribute (fixed length, sized to the text; h5py reads it as bytes).
  public func setAttribute(_ attribute: String, string: String) throws {
    let label = attributeLabel(attribute)
    let type = try HDF5Strings.makeFixedType(for: string, path: path, object: label)
    defer { H5Tclose(type) }
    let handle = try createAttribute(attribute, type: type, shape: [])
    defer { H5Aclose(handle) }
    try HDF5Strings.write(
      string, path: path, object: label, { H5Awrite(handle, $0, $1) }, operation: "H5Awrite")
  }

  /// Reads a string attribute (variable or fixed length).
  public func stringAttribute(_ attribute: String) throws -> String {
    let label = attributeLabel(attribute)
    let handle = try openAttribute(attribute)
    defer { H5Aclose(handle) }
    let storedType = try checked(H5Aget_type(handle), "H5Aget_type", path: path, object: label)
    defer { H5Tclose(storedType) }
    return try HDF5Strings.read(
      storedType: storedType, path: path, object: label, { H5Aread(handle, $0, $1) },
      operation: "H5Aread")
  }

  /// Sets a numeric attribute: one value (scalar) or several (1-D).
  public func setAttribute<T: HDF5Scalar>(_ attribute: String, values: [T], scalar: Bool = false)
    throws
  {
    let label = attributeLabel(attribute)
    precondition(!scalar || values.count == 1, "a scalar attribute takes exactly one value")
    let type = T.hdf5ElementType.nativeTypeID
    let handle = try createAttribute(attribute, type: type, shape: scalar ? [] : [values.count])
    defer { H5Aclose(handle) }
    _ = try checked(
      values.withUnsafeBytes { H5Awrite(handle, type, $0.baseAddress) }, "H5Awrite", path: path,
      object: label)
  }

  /// Sets a scalar numeric attribute.
  public func setAttribute<T: HDF5Scalar>(_ attribute: String, value: T) throws {
    try setAttribute(attribute, values: [value], scalar: true)
  }

  /// Reads a numeric attribute (scalar or 1-D) stored with element type `T`.
  public func numericAttribute<T: HDF5Scalar>(_ attribute: String, as type: T.Type) throws -> [T]
  {
    let label = attributeLabel(attribute)
    let handle = try openAttribute(attribute)
    defer { H5Aclose(handle) }
    let storedType = try checked(H5Aget_type(handle), "H5Aget_type", path: path, object: label)
    defer { H5Tclose(storedType) }
    let stored = HDF5ElementType(storedType: storedType)
    guard stored == T.hdf5ElementType else {
      throw HDF5Error.invalid(
        "H5Aread", path: path, object: label,
        "attribute holds \(stored?.rawValue ?? "a non-numeric type"), asked for \(T.hdf5ElementType.rawValue)")
    }
    let space = try checked(H5Aget_space(handle), "H5Aget_space", path: path, object: label)
    defer { H5Sclose(space) }
    let count = HDF5Dataspace.elementCount(
      try HDF5Dataspace.shape(of: space, path: path, object: label))
    var values = [T](repeating: T.hdf5Zero, count: count)
    _ = try checked(
      values.withUnsafeMutableBytes {
        H5Aread(handle, T.hdf5ElementType.nativeTypeID, $0.baseAddress)
      }, "H5Aread", path: path, object: label)
    return values
  }

  /// Reads a scalar numeric attribute.
  public func scalarAttribute<T: HDF5Scalar>(_ attribute: String, as type: T.Type) throws -> T {
    let values = try numericAttribute(attribute, as: T.self)
    guard values.count == 1 else {
      throw HDF5Error.invalid(
        "H5Aread", path: path, object: attributeLabel(attribute),
        "expected one value, found \(values.count)")
    }
    return values[0]
  }
}
