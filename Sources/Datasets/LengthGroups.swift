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
    let order = lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
    let n = order.count
    guard n > 1 else { return n == 0 ? [] : [order] }
    let sorted = order.map { lengths[$0] }
    let groups = min(maximumGroups, n)
    // cost[k][j]: least cost of the first j sorted items in k groups; cut[k][j]: start of the last group.
    let unreachable = Int.max / 4
    var cost = [[Int]](repeating: [Int](repeating: unreachable, count: n + 1), count: groups + 1)
    var cut = [[Int]](repeating: [Int](repeating: 0, count: n + 1), count: groups + 1)
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
    var best = 1
    for k in 1...groups where cost[k][n] < cost[best][n] { best = k }
    var result: [[Int]] = []
    var end = n
    for k in stride(from: best, through: 1, by: -1) {
      let start = cut[k][end]
      result.append(Array(order[start..<end]))
      end = start
    }
    return result.reversed()
  }
}
