// GELU with the tanh approximation (GPT-2's), forward and backward. The loops are
// branch-free scalar code that the compiler vectorizes.

private let geluScale: Float = (2 / Float.pi).squareRoot()

/// out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
/// - out, inp: (count)
public func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
  Parallel.forChunks(count, minimumPerThread: 16384) { range, _ in
    for i in range {
      let x = inp[i]
      let t = fastTanh(geluScale * (x + 0.044715 * x * x * x))
      out[i] = 0.5 * x * (1 + t)
    }
  }
}

/// Backward of `geluForward`: accumulates into dinp.
/// - dinp, inp, dout: (count)
public func geluBackward(
  dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
  count: Int
) {
  // in the forward pass this was: out = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³)
  Parallel.forChunks(count, minimumPerThread: 16384) { range, _ in
    for i in range {
      let x = inp[i]
      let t = fastTanh(geluScale * (x + 0.044715 * x * x * x))
      let sech2 = 1 - t * t
      let local = 0.5 * (1 + t) + 0.5 * x * sech2 * geluScale * (1 + 3 * 0.044715 * x * x)
      dinp[i] += local * dout[i]
    }
  }
}
