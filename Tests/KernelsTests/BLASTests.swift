// BLAS wrappers against naive loops: sgemm for all transposes and odd shapes, level 1/2 calls.

import Kernels
import SelfTest
import XCTest

final class BLASTests: XCTestCase {
  func testSgemmMatchesReferenceForAllTransposesAndOddShapes() {
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        for shape in GEMMChecks.shapes + [(m: 2, n: 257, k: 3), (m: 129, n: 1, k: 64)] {
          for (alpha, beta) in [(Float(1), Float(0)), (Float(0.75), Float(-1)), (Float(0), Float(2))] {
            if let problem = GEMMChecks.compare(
              transposeA: transposeA, transposeB: transposeB, m: shape.m, n: shape.n, k: shape.k,
              alpha: alpha, beta: beta)
            {
              XCTFail("\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") \(shape): \(problem)")
            }
          }
        }
      }
    }
  }

  func testSgemmWithTwoThreadsMatchesOneThread() {
    let saved = BLAS.threadCount
    defer { BLAS.threadCount = saved }
    BLAS.threadCount = 2
    XCTAssertNil(GEMMChecks.compare(transposeA: false, transposeB: true, m: 300, n: 200, k: 150, alpha: 1, beta: 0))
    BLAS.threadCount = 1
    XCTAssertEqual(BLAS.threadCount, 1)
    XCTAssertFalse(BLAS.coreName.isEmpty)
  }

  func testSgemvMatchesLoops() {
    let m = 5
    let n = 7
    let a = (0..<(m * n)).map { Float($0 % 11) - 5 }
    let x = (0..<n).map { Float($0) * 0.5 }
    var y = [Float](repeating: 1, count: m)
    BLAS.sgemv(transpose: false, m: m, n: n, alpha: 2, a: a, lda: n, x: x, beta: 3, y: &y)
    for i in 0..<m {
      let expected = 2 * (0..<n).reduce(Float(0)) { $0 + a[i * n + $1] * x[$1] } + 3
      XCTAssertEqual(y[i], expected, accuracy: 1e-5)
    }
    let xt = (0..<m).map { Float($0) - 2 }
    var yt = [Float](repeating: 0, count: n)
    BLAS.sgemv(transpose: true, m: m, n: n, alpha: 1, a: a, lda: n, x: xt, beta: 0, y: &yt)
    for j in 0..<n {
      let expected = (0..<m).reduce(Float(0)) { $0 + a[$1 * n + j] * xt[$1] }
      XCTAssertEqual(yt[j], expected, accuracy: 1e-5)
    }
  }

  func testLevelOneCalls() {
    let x: [Float] = [3, -4, 12, 0.5]
    var y: [Float] = [1, 1, 1, 1]
    BLAS.saxpy(count: 4, alpha: 2, x: x, y: &y)
    XCTAssertEqual(y, [7, -7, 25, 2])
    XCTAssertEqual(BLAS.sdot(count: 4, x: x, y: y), 21 + 28 + 300 + 1)
    XCTAssertEqual(BLAS.snrm2(count: 3, x: x), 13, accuracy: 1e-5)
    BLAS.sscal(count: 4, alpha: -0.5, x: &y)
    XCTAssertEqual(y, [-3.5, 3.5, -12.5, -1])
    var z = [Float](repeating: 0, count: 4)
    BLAS.scopy(count: 4, x: x, y: &z)
    XCTAssertEqual(z, x)
  }
}
