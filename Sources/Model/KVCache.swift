// Keys and values of every layer for the tokens decoded so far.

import Kernels

/// Per-layer keys and values for B sequences, up to `capacity` positions, stored per head
/// (L, B, NH, capacity, hs) so that a decode step reads each head's keys contiguously.
public final class KVCache {
  public let B: Int
  public let capacity: Int
  let C: Int
  let NH: Int
  let headSize: Int
  let keys: FloatStorage  // (L, B, NH, capacity, hs)
  let values: FloatStorage  // (L, B, NH, capacity, hs)
  /// Positions filled so far (the same for every sequence).
  public internal(set) var length = 0

  init(config: GPTConfig, B: Int, capacity: Int) {
    self.B = B
    self.capacity = capacity
    C = config.dModel
    NH = config.nHead
    headSize = config.headSize
    keys = FloatStorage(config.nLayer * B * capacity * C, zero: 0)
    values = FloatStorage(config.nLayer * B * capacity * C, zero: 0)
  }

  func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys.pointer + layer * B * capacity * C }
  func values(layer: Int) -> UnsafeMutablePointer<Float> {
    values.pointer + layer * B * capacity * C
  }

  /// The attention layout for `T` new queries (from a (B, T, 3C) qkv buffer) against the
  /// cached positions 0 ..< `length + T` (after `append` stored the new tokens).
  func attentionLayout(T: Int) -> AttentionLayout {
    AttentionLayout(
      B: B, Tq: T, Tk: length + T, NH: NH, headSize: headSize, qRowStride: 3 * C,
      qBatchStride: T * 3 * C, kvRowStride: headSize, kvBatchStride: NH * capacity * headSize,
      kvHeadStride: capacity * headSize, outRowStride: C, outBatchStride: T * C)
  }

  /// Copies the keys and values of `T` new tokens from a (B, T, 3C) qkv buffer into positions
  /// `length ..< length + T` of `layer`.
  func append(layer: Int, qkv: UnsafePointer<Float>, T: Int) {
    let keyBase = keys(layer: layer)
    let valueBase = values(layer: layer)
    for b in 0..<B {
      for t in 0..<T {
        let source = qkv + (b * T + t) * 3 * C
        for h in 0..<NH {
          let row = ((b * NH + h) * capacity + length + t) * headSize
          (keyBase + row).update(from: source + C + h * headSize, count: headSize)
          (valueBase + row).update(from: source + 2 * C + h * headSize, count: headSize)
        }
      }
    }
  }
}
