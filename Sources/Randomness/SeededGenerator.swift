// A small, fast, seedable random generator whose whole state can be saved and restored.

/// xoshiro256** (Blackman & Vigna): 256 bits of state, period 2²⁵⁶−1. Seeded through
/// SplitMix64 so that nearby seeds give unrelated streams. The state is a plain value: copy it
/// to fork a stream, store `state` in a checkpoint to resume the exact sequence.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
  /// The four state words (never all zero).
  public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

  /// Seeds the generator; equal seeds give equal streams.
  public init(seed: UInt64) {
    var mixer = seed
    func splitMix() -> UInt64 {
      mixer &+= 0x9E37_79B9_7F4A_7C15
      var z = mixer
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// Restores a generator from saved state words.
  public init(state: [UInt64]) {
    precondition(state.count == 4 && state.contains { $0 != 0 }, "invalid generator state")
    self.state = (state[0], state[1], state[2], state[3])
  }

  /// The state as an array (for checkpoints).
  public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

  public mutating func next() -> UInt64 {
    let result = rotateLeft(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotateLeft(state.3, 45)
    return result
  }

  @inline(__always)
  private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// A uniform Float in [0, 1) with 24 random bits.
  public mutating func nextUniformFloat() -> Float {
    Float(next() >> 40) * (1 / Float(1 << 24))
  }

  /// A uniform Double in [0, 1) with 53 random bits.
  public mutating func nextUniformDouble() -> Double {
    Double(next() >> 11) * (1 / Double(UInt64(1) << 53))
  }

  /// A standard normal sample (Box–Muller, computed in Double).
  public mutating func nextNormal() -> Double {
    let u1 = max(nextUniformDouble(), Double.leastNormalMagnitude)
    let u2 = nextUniformDouble()
    return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
  }

  public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool {
    a.stateWords == b.stateWords
  }
}

#if canImport(Glibc)
  import Glibc
  @inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
  @inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
  import Darwin
  @inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
  @inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
