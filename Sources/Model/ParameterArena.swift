// One flat Float allocation holding every parameter tensor, with named views.

import Kernels

/// A flat, zero-initialized Float buffer laid out by a `ParameterLayout` (used for
/// parameters, gradients and optimizer moments alike, so each is one contiguous buffer: the
/// optimizer is one loop and the gradient all-reduce is one call).
public final class ParameterArena {
  public let layout: ParameterLayout
  /// The whole buffer.
  public let storage: UnsafeMutableBufferPointer<Float>

  public init(layout: ParameterLayout) {
    self.layout = layout
    storage = .allocate(capacity: layout.totalCount)
    storage.initialize(repeating: 0)
  }

  deinit { storage.deallocate() }

  /// Start of a tensor.
  public func pointer(_ tensor: ParameterTensor) -> UnsafeMutablePointer<Float> {
    storage.baseAddress! + layout.offset(tensor)
  }

  /// Start of layer `layer`'s slice of a per-layer tensor.
  public func pointer(_ tensor: ParameterTensor, layer: Int) -> UnsafeMutablePointer<Float> {
    pointer(tensor) + layer * layout.perLayerCount(tensor)
  }

  /// A tensor's elements as a buffer.
  public func buffer(_ tensor: ParameterTensor) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer(tensor), count: layout.count(tensor))
  }

  /// Sets every element to zero.
  public func zero() {
    let base = storage.baseAddress!
    Parallel.forChunks(storage.count, minimumPerThread: 1 << 18) { range, _ in
      (base + range.lowerBound).update(repeating: 0, count: range.count)
    }
  }

  /// Copies every element from another arena of the same layout.
  public func copy(from other: ParameterArena) {
    precondition(other.layout.totalCount == layout.totalCount, "arena layouts differ")
    storage.baseAddress!.update(from: other.storage.baseAddress!, count: storage.count)
  }
}
