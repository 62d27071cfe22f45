// Shared test helpers: deterministic random tensors, central finite differences, and array
// comparison that reports the worst element.

import Randomness

/// Deterministic values uniform in [-scale, scale).
public func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
  var generator = SeededGenerator(seed: seed)
  return (0..<count).map { _ in (generator.nextUniformFloat() * 2 - 1) * scale }
}

/// The worst disagreement between two arrays under |a − e| ≤ atol + rtol·|e|.
public struct Comparison: CustomStringConvertible {
  public var passed: Bool
  public var worstIndex: Int
  public var actual: Float
  public var expected: Float
  public var maxAbsoluteError: Float

  public var description: String {
    "worst at \(worstIndex): \(actual) vs \(expected) (max abs error \(maxAbsoluteError))"
  }
}

public func compare(_ actual: [Float], _ expected: [Float], rtol: Float, atol: Float) -> Comparison {
  precondition(actual.count == expected.count, "compare: \(actual.count) vs \(expected.count)")
  var worst = 0
  var worstRatio: Float = -1
  var maxAbs: Float = 0
  var passed = true
  for i in actual.indices {
    let error = abs(actual[i] - expected[i])
    let allowed = atol + rtol * abs(expected[i])
    maxAbs = max(maxAbs, error)
    let ratio = error / allowed
    if !(error <= allowed) { passed = false }
    if ratio > worstRatio || ratio.isNaN {
      worstRatio = ratio.isNaN ? .infinity : ratio
      worst = i
    }
  }
  return Comparison(
    passed: passed, worstIndex: worst, actual: actual.isEmpty ? 0 : actual[worst],
    expected: expected.isEmpty ? 0 : expected[worst], maxAbsoluteError: maxAbs)
}

/// Central finite differences of `loss` with respect to the chosen entries of `values`:
/// (loss(x + h) − loss(x − h)) / 2h, restoring each entry afterwards.
public func centralDifferences(
  _ values: UnsafeMutablePointer<Float>, indices: [Int], step h: Float, loss: () -> Double
) -> [Float] {
  indices.map { i in
    let saved = values[i]
    values[i] = saved + h
    let plus = loss()
    values[i] = saved - h
    let minus = loss()
    values[i] = saved
    return Float((plus - minus) / Double(2 * h))
  }
}

/// Up to `limit` indices spread over `0..<count` (all of them when count ≤ limit).
public func sampleIndices(_ count: Int, limit: Int, seed: UInt64) -> [Int] {
  guard count > limit else { return Array(0..<count) }
  var generator = SeededGenerator(seed: seed)
  return (0..<limit).map { _ in Int(generator.next() % UInt64(count)) }
}

/// Σ weights[i]·values[i] in Double: a scalar "loss" whose gradient w.r.t. values is weights.
public func weightedSum(_ values: UnsafePointer<Float>, _ weights: [Float]) -> Double {
  var sum = 0.0
  for i in weights.indices { sum += Double(values[i]) * Double(weights[i]) }
  return sum
}

/// A heap Float buffer for tests: closures can capture it and hand out its pointer while
/// another pointer to it is in use (which Swift's exclusivity rules forbid for arrays).
public final class Tensor {
  public let p: UnsafeMutablePointer<Float>
  public let count: Int

  public init(_ values: [Float]) {
    count = values.count
    p = .allocate(capacity: max(1, count))
    p.initialize(from: values, count: count)
  }

  public convenience init(zeros count: Int) { self.init([Float](repeating: 0, count: count)) }

  deinit { p.deallocate() }

  public var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}
