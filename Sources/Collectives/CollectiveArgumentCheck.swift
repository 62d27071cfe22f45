// Local size and rank checks shared by every Collective implementation.

/// Validates what a rank can check on its own before a collective runs; each returns a
/// description of the problem, or nil when the arguments are consistent.
public enum CollectiveArgumentCheck {
  /// `rank` must name a member of a group of `size`.
  public static func rank(_ rank: Int, role: String, size: Int) -> String? {
    (0..<size).contains(rank) ? nil : "\(role) \(rank) is not a rank of this group (size \(size))"
  }

  /// Two buffers that must hold the same number of elements.
  public static func sameCount(input: Int, output: Int) -> String? {
    input == output ? nil : "input has \(input) elements but output has \(output)"
  }

  /// `whole` must be `size` blocks of `block` elements.
  public static func blocks(whole: Int, block: Int, size: Int, wholeName: String) -> String? {
    whole == block * size
      ? nil : "\(wholeName) has \(whole) elements; expected \(size) ranks × \(block) = \(block * size)"
  }

  /// Per-rank counts for a variable-count gather: one per rank, non-negative, this rank's
  /// equal to its input, and summing to the output's count.
  public static func variableCounts(
    _ counts: [Int], rank: Int, size: Int, input: Int, output: Int
  ) -> String? {
    if counts.count != size { return "counts has \(counts.count) entries for \(size) ranks" }
    if let bad = counts.firstIndex(where: { $0 < 0 }) {
      return "counts[\(bad)] is negative (\(counts[bad]))"
    }
    if counts[rank] != input {
      return "counts[\(rank)] is \(counts[rank]) but this rank's input has \(input) elements"
    }
    let total = counts.reduce(0, +)
    return total == output ? nil : "counts sum to \(total) but output has \(output) elements"
  }

  /// A split color must be non-negative.
  public static func color(_ color: Int) -> String? {
    color >= 0 ? nil : "split color must be ≥ 0, got \(color)"
  }
}
