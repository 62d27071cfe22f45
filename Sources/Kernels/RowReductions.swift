// Vectorized reductions over one row (8 lanes at a time): maximum and sum.

import CKernels

/// The largest of `count` values (−∞ for none).
@inline(__always)
public func rowMaximum(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
  ck_row_maximum(row, count)
}

/// The sum of `count` values, accumulated in 8 lanes (a different rounding order from a
/// sequential loop, within Float rounding).
@inline(__always)
public func rowSum(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
  var lanes = SIMD8<Float>(repeating: 0)
  var i = 0
  let raw = UnsafeRawPointer(row)
  while i + 8 <= count {
    lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
    i += 8
  }
  var result = lanes.sum()
  while i < count {
    result += row[i]
    i += 1
  }
  return result
}

/// out[i] = e^(scale·(inp[i] − shift)) for i < count, returning Σ out[i]. `out` may equal `inp`.
@inline(__always)
public func rowExpShifted(
  out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int, shift: Float,
  scale: Float = 1
) -> Float {
  ck_exp_shifted_row(out, inp, count, shift, scale)
}
