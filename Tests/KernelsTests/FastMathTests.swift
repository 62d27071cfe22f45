// fastExp and fastTanh against libm over their whole useful range, and their edge cases.

import Kernels
import Randomness
import XCTest

final class FastMathTests: XCTestCase {
  func testFastExpRelativeErrorBelow3e7() {
    var worst = 0.0
    var x: Float = -87
    while x < 88.7 {
      let exact = exp(Double(x))
      worst = max(worst, abs(Double(fastExp(x)) - exact) / exact)
      x += 0.0137
    }
    XCTAssertLessThan(worst, 3e-7)  // about 2.5 units in the last place of a Float
    XCTAssertEqual(fastExp(0), 1)
    XCTAssertEqual(fastExp(-100), 0)
    XCTAssertEqual(fastExp(-.infinity), 0)
    XCTAssertEqual(fastExp(100), .infinity)
    XCTAssertTrue(fastExp(.nan).isNaN)
  }

  func testFastTanhAbsoluteErrorBelow2e7() {
    var worst = 0.0
    var x: Float = -20
    while x < 20 {
      worst = max(worst, abs(Double(fastTanh(x)) - tanh(Double(x))))
      x += 0.00731
    }
    XCTAssertLessThan(worst, 2e-7)
    XCTAssertEqual(fastTanh(0), 0)
    XCTAssertEqual(fastTanh(50), 1)
    XCTAssertEqual(fastTanh(-50), -1)
  }

  func testRowReductions() {
    let values: [Float] = (0..<37).map { Float(($0 * 17) % 23) - 11 }
    XCTAssertEqual(rowMaximum(values, 37), values.max())
    XCTAssertEqual(rowSum(values, 37), values.reduce(0, +))
    XCTAssertEqual(rowMaximum(values, 0), -.infinity)
  }
  /// The C GELU kernels (AVX2 loops) reproduce the Swift formulas bit for bit, over the whole
  /// range: the cap at |u| = 9, tiny and huge inputs, both signs, counts that leave a tail.
  func testGELUKernelsMatchTheSwiftReferenceExactly() {
    var inputs: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-3, 9, -9, 30, -30, 1e6, -1e6]
    var random = SeededGenerator(seed: 5)
    for _ in 0..<4093 { inputs.append(Float(random.nextNormal()) * 4) }
    let count = inputs.count
    var out = [Float](repeating: .nan, count: count)
    geluForward(out: &out, inp: inputs, count: count)
    let dout = (0..<count).map { Float($0 % 7) - 3 }
    var dinp = [Float](repeating: 0.25, count: count)
    geluBackward(dinp: &dinp, inp: inputs, dout: dout, count: count)
    for i in 0..<count {
      let x = inputs[i]
      XCTAssertEqual(out[i].bitPattern, geluReference(x).bitPattern, "gelu(\(x))")
      XCTAssertEqual(dinp[i].bitPattern, (0.25 + geluDerivativeReference(x) * dout[i]).bitPattern, "gelu'(\(x))")
    }
  }
  /// The C row exponential (AVX2 loop) gives Swift's `fastExp` bit for bit: both clamps, NaN,
  /// the n = 128 overflow guard, and a row length that leaves a tail.
  func testRowExponentialMatchesFastExpExactly() {
    var inputs: [Float] = [0, -0.0, -87.2, -87.3, -87.4, -100, 88.7, 88.72, 88.73, 100, .nan, .infinity, -.infinity]
    var random = SeededGenerator(seed: 6)
    for _ in 0..<2043 { inputs.append(Float(random.nextNormal()) * 40) }
    var out = [Float](repeating: 0, count: inputs.count)
    let sum = rowExpShifted(out: &out, inp: inputs, count: inputs.count, shift: 0)
    for (x, e) in zip(inputs, out) {
      XCTAssertEqual(e.bitPattern, fastExp(x).bitPattern, "exp(\(x))")
    }
    XCTAssertTrue(sum.isNaN, "a NaN in the row makes the sum NaN")
    let finite = Array(inputs[0..<10]) + Array(inputs[13...])
    var finiteOut = [Float](repeating: 0, count: finite.count)
    let finiteSum = rowExpShifted(out: &finiteOut, inp: finite, count: finite.count, shift: 3, scale: 0.5)
    let expected = finite.reduce(0.0) { $0 + Double(fastExp((($1 - 3) * 0.5))) }
    XCTAssertEqual(Double(finiteSum), expected, accuracy: expected * 1e-6)
  }

  /// The vectorized shifted-exponential row gives the scalar `fastExp(x − shift)` bit for bit.
  func testShiftedExponentialRowMatchesScalarFastExpExactly() {
    var inputs: [Float] = [0, -0.0, -84.3, -84.4, 91.7, 91.72, 91.73, .nan, .infinity, -.infinity]
    var random = SeededGenerator(seed: 7)
    for _ in 0..<1021 { inputs.append(Float(random.nextNormal()) * 40) }
    var out = [Float](repeating: 0, count: inputs.count)
    fastExpShifted(out: &out, inp: inputs, count: inputs.count, shift: 3)
    for (x, e) in zip(inputs, out) {
      XCTAssertEqual(e.bitPattern, fastExp(x - 3).bitPattern, "exp(\(x) − 3)")
    }
  }
}
