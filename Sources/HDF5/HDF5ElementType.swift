// Element types stored in datasets and attributes, and their HDF5 native types.

import CHDF5

/// The numeric element types the HDF5 layer reads and writes.
public enum HDF5ElementType: String, Sendable, CaseIterable {
  case float32, float64, int32, int64, uint8

  /// HDF5's native in-memory type for this element type.
  var nativeTypeID: hid_t {
    switch self {
    case .float32: return chdf5_native_float()
    case .float64: return chdf5_native_double()
    case .int32: return chdf5_native_int32()
    case .int64: return chdf5_native_int64()
    case .uint8: return chdf5_native_uint8()
    }
  }

  /// Classifies a stored HDF5 datatype, or nil when it is none of ours (strings, compounds…).
  init?(storedType type: hid_t) {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_FLOAT:
      switch size {
      case 4: self = .float32
      case 8: self = .float64
      default: return nil
      }
    case H5T_INTEGER:
      let signed = H5Tget_sign(type) == H5T_SGN_2
      switch (size, signed) {
      case (4, true): self = .int32
      case (8, true): self = .int64
      case (1, false): self = .uint8
      default: return nil
      }
    default: return nil
    }
  }
}

/// A Swift element type with an HDF5 counterpart.
public protocol HDF5Scalar: BitwiseCopyable, Sendable {
  static var hdf5ElementType: HDF5ElementType { get }
  /// The value used to fill freshly allocated read buffers.
  static var hdf5Zero: Self { get }
}

extension Float: HDF5Scalar {
  public static var hdf5ElementType: HDF5ElementType { .float32 }
  public static var hdf5Zero: Float { 0 }
}
extension Double: HDF5Scalar {
  public static var hdf5ElementType: HDF5ElementType { .float64 }
  public static var hdf5Zero: Double { 0 }
}
extension Int32: HDF5Scalar {
  public static var hdf5ElementType: HDF5ElementType { .int32 }
  public static var hdf5Zero: Int32 { 0 }
}
extension Int64: HDF5Scalar {
  public static var hdf5ElementType: HDF5ElementType { .int64 }
  public static var hdf5Zero: Int64 { 0 }
}
extension UInt8: HDF5Scalar {
  public static var hdf5ElementType: HDF5ElementType { .uint8 }
  public static var hdf5Zero: UInt8 { 0 }
}
