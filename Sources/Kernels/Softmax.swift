// Softmax and log-softmax over the first V entries of rows of stride Vp (padded vocabularies),
// in a numerically safe way (the row maximum is subtracted first).

#if canImport(Glibc)
  import Glibc
#endif

/// The log of Σ exp over row[0..<V], computed stably (the maximum is subtracted first).
@inline(__always)
public func logSumExp(_ row: UnsafePointer<Float>, V: Int) -> Float {
  let maximum = rowMaximum(row, V)
  if maximum == -Float.infinity { return -Float.infinity }
  var sum: Float = 0
  for i in 0..<V { sum += fastExp(row[i] - maximum) }
  return maximum + logf(sum)
}

/// out[n, i] = z[n, i] − logsumexp(z[n, 0..<V]) with z = logits / temperature, for i < V;
/// padded entries (V ≤ i < outStride) get −∞. The one log-softmax of the code base.
/// - logits: (N, Vp); out: (N, outStride), outStride ≥ V (default Vp); out may equal logits
public func logSoftmaxForward(
  out: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, V: Int, Vp: Int,
  outStride: Int? = nil, temperature: Float = 1
) {
  let stride = outStride ?? Vp
  precondition(stride >= V && temperature > 0, "log-softmax: out stride below V or temperature ≤ 0")
  let inverse = 1 / temperature
  Parallel.forChunks(N) { rows, _ in
    for n in rows {
      var row = logits + n * Vp
      let o = out + n * stride
      if temperature != 1 {
        for i in 0..<V { o[i] = row[i] * inverse }
        row = UnsafePointer(o)
      }
      let lse = logSumExp(row, V: V)
      for i in 0..<V { o[i] = row[i] - lse }
      for i in V..<stride { o[i] = -Float.infinity }
    }
  }
}

/// log-softmax of `logits` (N, Vp) into a new (N, V) array (see `logSoftmaxForward`).
public func logProbabilities(logits: UnsafePointer<Float>, N: Int, V: Int, Vp: Int, temperature: Float = 1) -> [Float] {
  var out = [Float](repeating: 0, count: N * V)
  out.withUnsafeMutableBufferPointer {
    logSoftmaxForward(out: $0.baseAddress!, logits: logits, N: N, V: V, Vp: Vp, outStride: V, temperature: temperature)
  }
  return out
}

/// out[n, i] = softmax(logits[n, 0..<V] / temperature)[i]; padded entries get 0.
/// - out, logits: (N, Vp); out may equal logits (in place)
public func softmaxForward(
  out: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, V: Int, Vp: Int,
  temperature: Float = 1
) {
  precondition(temperature > 0, "softmax temperature must be > 0")
  let inverseTemperature = 1 / temperature
  Parallel.forChunks(N) { rows, _ in
    for n in rows {
      let row = logits + n * Vp
      let o = out + n * Vp
      let maximum = rowMaximum(row, V)
      let sum = rowExpShifted(out: o, inp: row, count: V, shift: maximum, scale: inverseTemperature)
      let inverse = 1 / sum
      for i in 0..<V { o[i] *= inverse }
      for i in V..<Vp { o[i] = 0 }
    }
  }
}
