// Element types that collectives move, and the reductions they apply.

/// The element kinds every collective supports.
public enum ScalarKind: String, Sendable, CaseIterable {
  case float32, float64, int32, int64, uint8
}

/// A fixed-size numeric element that collectives can reduce and move without copies.
public protocol CollectiveScalar: Numeric, Comparable, BitwiseCopyable, Sendable {
  /// The wire kind of this element type.
  static var scalarKind: ScalarKind { get }
}

extension Float: CollectiveScalar { public static var scalarKind: ScalarKind { .float32 } }
extension Double: CollectiveScalar { public static var scalarKind: ScalarKind { .float64 } }
extension Int32: CollectiveScalar { public static var scalarKind: ScalarKind { .int32 } }
extension Int64: CollectiveScalar { public static var scalarKind: ScalarKind { .int64 } }
extension UInt8: CollectiveScalar { public static var scalarKind: ScalarKind { .uint8 } }

/// An element-wise reduction across ranks.
public enum ReduceOp: String, Sendable, CaseIterable {
  case sum, max, min

  /// Combines two values the way the reduction does (used by single-process code and tests).
  public func combine<T: CollectiveScalar>(_ a: T, _ b: T) -> T {
    switch self {
    case .sum: return a + b
    case .max: return Swift.max(a, b)
    case .min: return Swift.min(a, b)
    }
  }
}
