// Slow, obvious reference versions of the BLAS calls, for tests and self-checks.

/// Naive loops with Double accumulation; same argument conventions as `BLAS`.
public enum BLASReference {
  /// C = alpha · op(A) · op(B) + beta · C, row-major, accumulated in Double.
  public static func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k {
          let aValue = transposeA ? a[p * lda + i] : a[i * lda + p]
          let bValue = transposeB ? b[j * ldb + p] : b[p * ldb + j]
          sum += Double(aValue) * Double(bValue)
        }
        let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
        c[i * ldc + j] = Float(Double(alpha) * sum + old)
      }
    }
  }
}
