// Splitting a batch into micro-batches of similar length, so that padding to each
// micro-batch's longest sequence wastes little compute. The loss and the summed gradient are
// the same as for the whole batch (only the order of floating-point sums changes).

/// Micro-batches of a batch's examples, grouped by length.
public enum LengthGroups {
  /// Indices of `lengths`, sorted by length (ties: the earlier index first) and cut into
  /// contiguous groups that minimize Σ_g (|g| · longest(g) + `overheadPerGroup`): the padded
  /// positions computed plus a per-call cost in positions. One group when the lengths are
  /// alike; at most `maximumGroups` groups. Deterministic: the same lengths give the same groups.
  public static func split(lengths: [Int], overheadPerGroup: Int, maximumGroups: Int = 4) -> [[Int]] {
    precondition(maximumGroups >= 1 && overheadPerGroup >= 0, "need at least one group and a non-negative overhead")
    guard lengths.count > 1 else { return lengths.isEmpty ? [] : [[0]] }
    let table = Table(lengths: lengths, groups: min(maximumGroups, lengths.count), overheadPerGroup: overheadPerGroup)
    var best = 1
    for k in 1...table.groups where table.cost[k][lengths.count] < table.cost[best][lengths.count] { best = k }
    return table.groups(best)
  }

  /// The same sorted cut into exactly `count` groups (1 ≤ count ≤ the number of lengths) of least
  /// padded positions: for callers whose ranks must run the same number of micro-batches
  /// (a collective per micro-batch).
  public static func split(lengths: [Int], exactly count: Int) -> [[Int]] {
    precondition(count >= 1 && count <= lengths.count, "need 1 ≤ groups ≤ examples")
    guard lengths.count > 1 else { return [[0]] }
    return Table(lengths: lengths, groups: count, overheadPerGroup: 0).groups(count)
  }

  /// The dynamic programme over the sorted lengths: cost[k][j] is the least cost of the first
  /// j sorted items in k groups, cut[k][j] the start of the last of those groups.
  struct Table {
    let order: [Int]
    let groups: Int
    var cost: [[Int]]
    var cut: [[Int]]

    init(lengths: [Int], groups: Int, overheadPerGroup: Int) {
      order = lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
      self.groups = groups
      let n = order.count
      let sorted = order.map { lengths[$0] }
      let unreachable = Int.max / 4
      cost = [[Int]](repeating: [Int](repeating: unreachable, count: n + 1), count: groups + 1)
      cut = [[Int]](repeating: [Int](repeating: 0, count: n + 1), count: groups + 1)
      cost[0][0] = 0
      for k in 1...groups {
        for j in k...n {
          for i in (k - 1)..<j where cost[k - 1][i] < unreachable {
            let candidate = cost[k - 1][i] + (j - i) * sorted[j - 1] + overheadPerGroup
            if candidate < cost[k][j] {
              cost[k][j] = candidate
              cut[k][j] = i
            }
          }
        }
      }
    }

    /// The k groups of the least-cost cut of all items, shortest first.
    func groups(_ k: Int) -> [[Int]] {
      var result: [[Int]] = []
      var end = order.count
      for level in stride(from: k, through: 1, by: -1) {
        let start = cut[level][end]
        result.append(Array(order[start..<end]))
        end = start
      }
      return result.reversed()
    }
  }
}
