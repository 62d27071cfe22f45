// The BLAS layer: row-major OpenBLAS calls used by the kernels, and OpenBLAS thread control.

import CBLAS

/// Thin, typed wrappers over OpenBLAS (row-major throughout). Shapes are checked with
/// preconditions: a wrong leading dimension is a programming error, not bad input.
public enum BLAS {
  /// Number of threads OpenBLAS uses for one call. Set 1 when several ranks share the cores.
  public static var threadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set {
      precondition(newValue >= 1, "OpenBLAS thread count must be ≥ 1")
      openblas_set_num_threads(Int32(newValue))
    }
  }

  /// Runs `body` with OpenBLAS on one thread, restoring the count afterwards. Used around loops
  /// that call BLAS from several of our own threads at once (nested threading oversubscribes
  /// the cores and serializes on OpenBLAS's internal locks).
  public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
    let saved = threadCount
    if saved == 1 { return try body() }
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(Int32(saved)) }
    return try body()
  }

  /// The CPU kernel set OpenBLAS picked at start-up (for example "Zen"); log it.
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }

  /// The OpenBLAS build configuration string.
  public static var configuration: String {
    guard let text = openblas_get_config() else { return "unknown" }
    return String(cString: text)
  }

  private static func order() -> CBLAS_ORDER { CblasRowMajor }
  private static func op(_ transpose: Bool) -> CBLAS_TRANSPOSE {
    transpose ? CblasTrans : CblasNoTrans
  }

  /// C = alpha · op(A) · op(B) + beta · C, row-major.
  ///
  /// - op(A): (m, k); A is stored (m, k) with `lda ≥ k`, or (k, m) with `lda ≥ m` when transposed.
  /// - op(B): (k, n); B is stored (k, n) with `ldb ≥ n`, or (n, k) with `ldb ≥ k` when transposed.
  /// - C: (m, n) with `ldc ≥ n`.
  public static func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size")
    precondition(lda >= max(1, transposeA ? m : k), "sgemm: lda \(lda) too small")
    precondition(ldb >= max(1, transposeB ? k : n), "sgemm: ldb \(ldb) too small")
    precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
      order(), op(transposeA), op(transposeB), Int32(m), Int32(n), Int32(k),
      alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y = alpha · op(A) · x + beta · y, row-major; A is stored (m, n) with `lda ≥ n`.
  /// x has n elements (m when transposed); y has m (n when transposed).
  public static func sgemv(
    transpose: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
  ) {
    precondition(m >= 0 && n >= 0 && lda >= max(1, n), "sgemv: bad shape")
    guard m > 0, n > 0 else { return }
    cblas_sgemv(
      order(), op(transpose), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
  }

  /// y += alpha · x over `count` elements.
  public static func saxpy(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
  }

  /// x *= alpha over `count` elements.
  public static func sscal(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
    guard count > 0 else { return }
    cblas_sscal(Int32(count), alpha, x, 1)
  }

  /// Σ x·y over `count` elements.
  public static func sdot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
    guard count > 0 else { return 0 }
    return cblas_sdot(Int32(count), x, 1, y, 1)
  }

  /// Euclidean norm of `count` elements.
  public static func snrm2(count: Int, x: UnsafePointer<Float>) -> Float {
    guard count > 0 else { return 0 }
    return cblas_snrm2(Int32(count), x, 1)
  }

  /// y = x over `count` elements.
  public static func scopy(count: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    guard count > 0 else { return }
    cblas_scopy(Int32(count), x, 1, y, 1)
  }
}
