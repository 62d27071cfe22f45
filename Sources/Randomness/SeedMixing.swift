// One rule for deriving independent random streams from a run's seed: per prompt, per step,
// per (epoch, position). Every place that needs "the stream of item i" calls this.

/// The seed of the stream keyed by `key` (and `subkey`) under the run's `seed`:
/// seed ⊕ key·φ ⊕ subkey·c, with φ = 2⁶⁴/golden ratio and c SplitMix64's first multiplier;
/// the generator's SplitMix seeding then decorrelates neighbouring keys.
/// Callers pass 1-based keys where 0 would collide with the plain seed.
@inlinable
public func mixedSeed(_ seed: UInt64, key: UInt64, subkey: UInt64 = 0) -> UInt64 {
  seed ^ (key &* 0x9E37_79B9_7F4A_7C15) ^ (subkey &* 0xBF58_476D_1CE4_E5B9)
}

extension SeededGenerator {
  /// The generator of the stream `mixedSeed(seed, key:, subkey:)`.
  public init(seed: UInt64, key: UInt64, subkey: UInt64 = 0) {
    self.init(seed: mixedSeed(seed, key: key, subkey: subkey))
  }
}
