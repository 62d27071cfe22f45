// GELU with the tanh approximation (GPT-2's), forward and backward.

#if canImport(Glibc)
  import Glibc
#endif

private let geluScale: Float = (2 / Float.pi).squareRoot()

/// out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
/// - out, inp: (count)
public func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
  Parallel.forChunks(count, minimumPerThread: 4096) { range, _ in
    for i in range {
      let x = inp[i]
      let cube = 0.044715 * x * x * x
      out[i] = 0.5 * x * (1 + tanhf(geluScale * (x + cube)))
    }
  }
}

/// Backward of `geluForward`: accumulates into dinp.
/// - dinp, inp, dout: (count)
public func geluBackward(
  dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
  count: Int
) {
  Parallel.forChunks(count, minimumPerThread: 4096) { range, _ in
    for i in range {
      let x = inp[i]
      let cube = 0.044715 * x * x * x
      let argument = geluScale * (x + cube)
      let tanhOut = tanhf(argument)
      let coshOut = coshf(argument)
      let sech2 = 1 / (coshOut * coshOut)
      let local = 0.5 * (1 + tanhOut) + x * 0.5 * sech2 * geluScale * (1 + 3 * 0.044715 * x * x)
      dinp[i] += local * dout[i]
    }
  }
}
