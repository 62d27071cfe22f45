// Dataspace helpers: shapes to HDF5 dataspaces and back.

import CHDF5

enum HDF5Dataspace {
  /// Creates a simple dataspace for `shape` (a scalar one for `[]`); the caller closes it.
  static func create(_ shape: [Int], path: String, object: String?) throws -> hid_t {
    if shape.isEmpty {
      return try checked(H5Screate(H5S_SCALAR), "H5Screate", path: path, object: object)
    }
    if let bad = shape.first(where: { $0 < 0 }) {
      throw HDF5Error.invalid(
        "H5Screate_simple", path: path, object: object, "negative dimension \(bad) in \(shape)")
    }
    let dims = shape.map { hsize_t($0) }
    return try checked(
      H5Screate_simple(Int32(dims.count), dims, nil), "H5Screate_simple", path: path,
      object: object)
  }

  /// The shape of a dataspace (`[]` for a scalar).
  static func shape(of space: hid_t, path: String, object: String?) throws -> [Int] {
    let rank = try checked(
      H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", path: path, object: object)
    guard rank > 0 else { return [] }
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    _ = try checked(
      H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims", path: path,
      object: object)
    return dims.map { Int($0) }
  }

  /// Number of elements of a shape (1 for a scalar).
  static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }
}
