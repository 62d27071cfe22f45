// Keys and values of every layer for the tokens decoded so far.

/// Per-layer key and value rows for B sequences, up to `capacity` positions.
public final class KVCache {
  public let B: Int
  public let capacity: Int
  let C: Int
  let keys: FloatStorage  // (L, B, capacity, C)
  let values: FloatStorage  // (L, B, capacity, C)
  /// Positions filled so far (the same for every sequence).
  public internal(set) var length = 0

  init(config: GPTConfig, B: Int, capacity: Int) {
    self.B = B
    self.capacity = capacity
    C = config.dModel
    keys = FloatStorage(config.nLayer * B * capacity * C, zero: 0)
    values = FloatStorage(config.nLayer * B * capacity * C, zero: 0)
  }

  func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys.pointer + layer * B * capacity * C }
  func values(layer: Int) -> UnsafeMutablePointer<Float> {
    values.pointer + layer * B * capacity * C
  }

  /// Copies the keys and values of `T` new tokens from a (B, T, 3C) qkv buffer into positions
  /// `length ..< length + T` of `layer`.
  func append(layer: Int, qkv: UnsafePointer<Float>, T: Int) {
    let keyBase = keys(layer: layer)
    let valueBase = values(layer: layer)
    for b in 0..<B {
      for t in 0..<T {
        let source = qkv + (b * T + t) * 3 * C
        let row = (b * capacity + length + t) * C
        (keyBase + row).update(from: source + C, count: C)
        (valueBase + row).update(from: source + 2 * C, count: C)
      }
    }
  }
}
