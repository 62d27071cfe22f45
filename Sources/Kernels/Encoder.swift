// Token + position embedding: forward and backward.

/// out[n,:] = wte[tokens[n],:] + wpe[positions[n],:]
/// - out: (N, C); tokens, positions: (N); wte: (Vp, C); wpe: (maxT, C)
public func encoderForward(
  out: UnsafeMutablePointer<Float>,
  tokens: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
  wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>,
  N: Int, C: Int
) {
  Parallel.forChunks(N, minimumPerThread: 64) { rows, _ in
    for n in rows {
      let outRow = out + n * C
      let tokenRow = wte + Int(tokens[n]) * C
      let positionRow = wpe + Int(positions[n]) * C
      for i in 0..<C { outRow[i] = tokenRow[i] + positionRow[i] }
    }
  }
}

/// Backward of `encoderForward`: accumulates into dwte and dwpe (zeroing is the caller's).
/// - dwte: (Vp, C); dwpe: (maxT, C); dout: (N, C)
public func encoderBackward(
  dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>,
  tokens: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
  N: Int, C: Int
) {
  // in the forward pass this was: out[n] = wte[tokens[n]] + wpe[positions[n]]
  // Serial: different rows may share a token or position, so parallel writes would race.
  for n in 0..<N {
    let d = dout + n * C
    let tokenRow = dwte + Int(tokens[n]) * C
    let positionRow = dwpe + Int(positions[n]) * C
    for i in 0..<C {
      tokenRow[i] += d[i]
      positionRow[i] += d[i]
    }
  }
}
