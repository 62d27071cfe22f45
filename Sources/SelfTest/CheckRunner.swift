// Runs named checks on every rank, agrees on the outcome across ranks, and reports one line each.

import Collectives

/// The outcome of one named check, as agreed by every rank.
public struct CheckResult: Sendable {
  public var name: String
  public var passed: Bool
  /// Why it failed on this rank (empty when it passed here).
  public var detail: String
}

/// Runs checks, all-reducing each pass/fail flag over `group` so every rank agrees; rank 0
/// prints one line per check and every failing rank prints its own reason to stderr.
public final class CheckRunner {
  public let group: any Collective
  public private(set) var results: [CheckResult] = []
  private let printLines: Bool

  /// - Parameters:
  ///   - group: the ranks that run the same checks in the same order.
  ///   - printLines: print one line per check (rank 0 only).
  public init(group: any Collective, printLines: Bool = true) {
    self.group = group
    self.printLines = printLines
  }

  /// Runs `body`, which returns nil on success or a description of what was wrong. A thrown
  /// error is a failure. Every rank must call `check` for the same names in the same order.
  public func check(_ name: String, _ body: () throws -> String?) {
    var localDetail: String
    do {
      localDetail = try body() ?? ""
    } catch {
      localDetail = "threw \(error)"
    }
    let failingRanks =
      (try? group.allReduce(Int32(localDetail.isEmpty ? 0 : 1), op: .sum)).map(Int.init) ?? -1
    let passed = failingRanks == 0
    if !localDetail.isEmpty {
      StandardError.writeLine("selftest: rank \(group.rank): \(name): \(localDetail)")
    }
    results.append(CheckResult(name: name, passed: passed, detail: localDetail))
    if printLines && group.rank == 0 {
      let status = passed ? "ok  " : "FAIL"
      let suffix = passed ? "" : " (failed on \(failingRanks < 0 ? "unknown" : "\(failingRanks)") rank(s))"
      print("\(status) [\(group.size) rank\(group.size == 1 ? "" : "s")] \(name)\(suffix)")
    }
  }

  /// Expects `body` to throw an error whose text contains one of `keywords`.
  public func expectError(_ name: String, keywords: [String], _ body: () throws -> Void) {
    check(name) {
      do {
        try body()
        return "expected an error, none was thrown"
      } catch {
        let text = String(describing: error)
        return keywords.contains(where: { text.contains($0) })
          ? nil : "error text does not mention \(keywords): \(text)"
      }
    }
  }

  public var passedCount: Int { results.filter(\.passed).count }
  public var failedCount: Int { results.count - passedCount }
}

/// Describes the first mismatch between two arrays, or nil when they are equal.
public func firstMismatch<T: Equatable>(_ actual: [T], _ expected: [T], label: String = "")
  -> String?
{
  guard actual.count == expected.count else {
    return "\(label)count \(actual.count) != expected \(expected.count)"
  }
  guard let index = actual.indices.first(where: { actual[$0] != expected[$0] }) else { return nil }
  return "\(label)element \(index): \(actual[index]) != expected \(expected[index])"
}
