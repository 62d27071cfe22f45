// Residual connections: out = a + b, and the backward that passes gradients to both.

/// out = inp1 + inp2
/// - out, inp1, inp2: (count)
public func residualForward(
  out: UnsafeMutablePointer<Float>, inp1: UnsafePointer<Float>, inp2: UnsafePointer<Float>,
  count: Int
) {
  Parallel.forChunks(count, minimumPerThread: 8192) { range, _ in
    for i in range { out[i] = inp1[i] + inp2[i] }
  }
}

/// Backward of `residualForward`: dinp1 += dout, dinp2 += dout.
public func residualBackward(
  dinp1: UnsafeMutablePointer<Float>, dinp2: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, count: Int
) {
  Parallel.forChunks(count, minimumPerThread: 8192) { range, _ in
    for i in range {
      dinp1[i] += dout[i]
      dinp2[i] += dout[i]
    }
  }
}
