// GEMM against the naive reference for all four transpose combinations and odd shapes.

import Kernels

/// BLAS self-checks.
public enum GEMMChecks {
  /// Deterministic values in [-1, 1).
  static func matrix(_ count: Int, seed: Int) -> [Float] {
    var state = UInt64(truncatingIfNeeded: seed) &* 6_364_136_223_846_793_005 &+ 1
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int(state >> 40) % 2000 - 1000) / 1000
    }
  }

  /// Compares `BLAS.sgemm` with `BLASReference.sgemm` for one case; nil when within tolerance.
  public static func compare(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
    padding: Int = 3
  ) -> String? {
    let lda = (transposeA ? m : k) + padding
    let ldb = (transposeB ? k : n) + padding
    let ldc = n + padding
    let a = matrix((transposeA ? k : m) * lda, seed: m * 31 + k)
    let b = matrix((transposeB ? n : k) * ldb, seed: n * 17 + k)
    var fast = matrix(m * ldc, seed: m + n)
    var slow = fast
    BLAS.sgemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &fast, ldc: ldc)
    BLASReference.sgemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &slow, ldc: ldc)
    // Each output sums k products of magnitude ≤ 1: float32 rounding stays below k·2⁻²³ per
    // unit of |alpha|, so 4·k·2⁻²⁴·(|alpha|+|beta|) bounds the error with margin.
    let tolerance = Float(4 * max(k, 1)) * 6e-8 * (abs(alpha) + abs(beta)) + 1e-7
    for i in 0..<m {
      for j in 0..<n where abs(fast[i * ldc + j] - slow[i * ldc + j]) > tolerance {
        return "C[\(i),\(j)] = \(fast[i * ldc + j]), reference \(slow[i * ldc + j]) (tolerance \(tolerance))"
      }
    }
    for i in 0..<m {
      for j in n..<ldc where fast[i * ldc + j] != slow[i * ldc + j] {
        return "padding C[\(i),\(j)] was written"
      }
    }
    return nil
  }

  /// The shapes the self-test and unit tests cover.
  public static let shapes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (3, 5, 7), (17, 13, 29), (64, 48, 33), (101, 67, 95), (5, 130, 1),
  ]

  public static func runAll(_ runner: CheckRunner) {
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let label = "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N")"
        runner.check("sgemm \(label) vs naive reference, odd shapes, alpha/beta") {
          for shape in shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (Float(-0.5), Float(1.25))] {
              if let problem = compare(
                transposeA: transposeA, transposeB: transposeB, m: shape.m, n: shape.n,
                k: shape.k, alpha: alpha, beta: beta)
              {
                return "\(shape) alpha \(alpha) beta \(beta): \(problem)"
              }
            }
          }
          return nil
        }
      }
    }
  }
}
