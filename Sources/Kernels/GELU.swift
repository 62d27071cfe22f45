// GELU with the tanh approximation (GPT-2's), forward and backward: C loops compiled for AVX2
// (CKernels/gelu.c), and the same formulas in Swift as the reference the tests compare with.

import CKernels

/// √(2/π) in Float, shared by the C kernels and the reference.
let geluScale: Float = (2 / Float.pi).squareRoot()

/// out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
/// - out, inp: (count), not overlapping
public func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
  Parallel.forChunks(count, minimumPerThread: 16384) { range, _ in
    ck_gelu_forward(out + range.lowerBound, inp + range.lowerBound, range.count, geluScale)
  }
}

/// Backward of `geluForward`: accumulates into dinp.
/// - dinp, inp, dout: (count), not overlapping
public func geluBackward(
  dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
  count: Int
) {
  Parallel.forChunks(count, minimumPerThread: 16384) { range, _ in
    let at = range.lowerBound
    ck_gelu_backward(dinp + at, inp + at, dout + at, range.count, geluScale)
  }
}

/// The reference for `geluForward`, one element (the formula in plain Swift).
public func geluReference(_ x: Float) -> Float {
  0.5 * x * (1 + fastTanh(geluScale * (x + 0.044715 * x * x * x)))
}

/// The reference for `geluBackward`: d gelu(x)/dx, one element.
public func geluDerivativeReference(_ x: Float) -> Float {
  // in the forward pass this was: out = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³)
  let t = fastTanh(geluScale * (x + 0.044715 * x * x * x))
  let sech2 = 1 - t * t
  return 0.5 * (1 + t) + 0.5 * x * sech2 * geluScale * (1 + 3 * 0.044715 * x * x)
}
