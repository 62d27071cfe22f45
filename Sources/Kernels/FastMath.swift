// Branch-free exp and tanh for Float that the compiler can vectorize (libm's scalar calls
// dominated the GELU and softmax kernels). Relative error ≤ 3e-7 (2.5 ulp) for exp over its range,
// absolute error ≤ 2e-7 for tanh; see KernelsTests/FastMathTests.

/// 1.5·2²³: adding it to |v| < 2²² rounds v to an integer held in the low mantissa bits.
private let roundingShift: Float = 12_582_912

/// The shared core of both exponentials: for x in [−87.3, 88.72], returns e^r (degree-6
/// polynomial) and n with x = n·ln2 + r, |r| ≤ ln2/2.
@inline(__always)
func reducedExp(_ x: Float) -> (polynomial: Float, n: UInt32) {
  // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
  let shifted = x * 1.442_695_04 + roundingShift
  let n = shifted - roundingShift
  // ln2 split in two parts so that n·ln2 is subtracted without rounding error.
  let r = (x - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-06
  var p: Float = 1.0 / 720
  p = p * r + 1.0 / 120
  p = p * r + 1.0 / 24
  p = p * r + 1.0 / 6
  p = p * r + 0.5
  p = p * r + 1
  p = p * r + 1
  return (p, shifted.bitPattern &- roundingShift.bitPattern)
}

/// e^x for Float. Inputs below −87.3 give 0 (flushed), above 88.72 give +∞; NaN propagates.
///
/// Range reduction: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, then 2ⁿ is
/// added to the exponent bits.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
  let (p, n) = reducedExp(min(max(x, -87.3), 88.72))
  // For n = 128, 2ⁿ overflows before the polynomial (< 1) scales it down: use 2ⁿ⁻¹ · 2.
  let big = n == 128
  let scale = Float(bitPattern: (n &- (big ? 1 : 0) &+ 127) << 23)
  let result = p * scale * (big ? 2 : 1)
  if x.isNaN { return x }
  return x < -87.3 ? 0 : (x > 88.72 ? .infinity : result)
}

/// tanh(x) for Float through e^(−2|x|): sign(x)·(1 − e)/(1 + e). Branch-free, so loops
/// over it vectorize: |x| is capped at 9, where tanh is 1 to Float precision.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
  let magnitudeBits = x.bitPattern & 0x7FFF_FFFF
  let capped = min(Float(bitPattern: magnitudeBits), 9)
  let (p, n) = reducedExp(-2 * capped)  // in [−18, 0]: no range checks needed
  let e = p * Float(bitPattern: (n &+ 127) << 23)
  let magnitude = (1 - e) / (1 + e)
  return Float(bitPattern: magnitude.bitPattern | (x.bitPattern & 0x8000_0000))
}

/// out[i] = fastExp(inp[i] − shift) for i < count: each element exactly as the scalar
/// `fastExp` gives it (the loop vectorizes inside this module; callers in other modules
/// would call `fastExp` once per element). `out` may equal `inp`.
public func fastExpShifted(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int, shift: Float) {
  for i in 0..<count { out[i] = fastExp(inp[i] - shift) }
}
