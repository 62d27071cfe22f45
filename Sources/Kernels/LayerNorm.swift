// LayerNorm over the last dimension: forward (saving mean and 1/std) and backward.

/// Epsilon inside the square root, as GPT-2 uses.
public let layerNormEpsilon: Float = 1e-5

/// out = (inp - mean) / sqrt(var + eps) * weight + bias, per row.
/// - out, inp: (N, C); mean, rstd: (N), saved for the backward; weight, bias: (C)
///
/// Each row's sums run over its columns in order, one addition at a time; rows go eight at a
/// time, one per SIMD lane, so the eight dependency chains overlap and every row's result is
/// bit for bit that of the one-row loop (`layerNormRow`).
public func layerNormForward(
  out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  N: Int, C: Int
) {
  Parallel.forChunks(N, minimumPerThread: 32) { rows, _ in
    var n = rows.lowerBound
    while n + 8 <= rows.upperBound {
      layerNormEightRows(out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias, first: n, C: C)
      n += 8
    }
    while n < rows.upperBound {
      layerNormRow(out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias, row: n, C: C)
      n += 1
    }
  }
}

/// LayerNorm of one row: the reference order of every sum.
@inline(__always)
func layerNormRow(
  out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, row n: Int, C: Int
) {
  let x = inp + n * C
  var sum: Float = 0
  for i in 0..<C { sum += x[i] }
  let m = sum / Float(C)
  var variance: Float = 0
  for i in 0..<C {
    let shifted = x[i] - m
    variance += shifted * shifted
  }
  variance /= Float(C)
  let s = 1 / (variance + layerNormEpsilon).squareRoot()
  let o = out + n * C
  for i in 0..<C { o[i] = (x[i] - m) * s * weight[i] + bias[i] }
  mean[n] = m
  rstd[n] = s
}

/// LayerNorm of rows first ..< first + 8, lane r holding row first + r: the same operations in
/// the same order per row as `layerNormRow`.
@inline(__always)
func layerNormEightRows(
  out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, first: Int, C: Int
) {
  let x = inp + first * C
  @inline(__always) func column(_ i: Int) -> SIMD8<Float> {
    SIMD8(x[i], x[C + i], x[2 * C + i], x[3 * C + i], x[4 * C + i], x[5 * C + i], x[6 * C + i], x[7 * C + i])
  }
  var sum = SIMD8<Float>(repeating: 0)
  for i in 0..<C { sum += column(i) }
  let m = sum / SIMD8(repeating: Float(C))
  var variance = SIMD8<Float>(repeating: 0)
  for i in 0..<C {
    let shifted = column(i) - m
    variance += shifted * shifted
  }
  variance /= SIMD8(repeating: Float(C))
  let s = 1 / (variance + SIMD8(repeating: layerNormEpsilon)).squareRoot()
  for r in 0..<8 {
    let row = x + r * C
    let o = out + (first + r) * C
    let (mr, sr) = (m[r], s[r])
    for i in 0..<C { o[i] = (row[i] - mr) * sr * weight[i] + bias[i] }
    mean[first + r] = mr
    rstd[first + r] = sr
  }
}

/// Backward of `layerNormForward`: accumulates into dinp, dweight and dbias.
/// - dinp, dout, inp: (N, C); dweight, dbias, weight: (C); mean, rstd: (N)
/// - scratch: 2·C·`Parallel.workerCount(N, minimumPerThread: 32)` floats for per-thread sums.
public func layerNormBackward(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>,
  N: Int, C: Int
) {
  let workers = Parallel.workerCount(N, minimumPerThread: 32)
  scratch.initialize(repeating: 0, count: 2 * C * workers)
  Parallel.forChunks(N, minimumPerThread: 32) { rows, worker in
    let localWeight = scratch + 2 * C * worker
    let localBias = localWeight + C
    for n in rows {
      let d = dout + n * C
      let x = inp + n * C
      let di = dinp + n * C
      let m = mean[n]
      let s = rstd[n]
      // in the forward pass this was: out = norm * weight + bias, norm = (x - mean) * rstd
      var dnormMean: Float = 0
      var dnormNormMean: Float = 0
      for i in 0..<C {
        let norm = (x[i] - m) * s
        let dnorm = weight[i] * d[i]
        dnormMean += dnorm
        dnormNormMean += dnorm * norm
      }
      dnormMean /= Float(C)
      dnormNormMean /= Float(C)
      for i in 0..<C {
        let norm = (x[i] - m) * s
        let dnorm = weight[i] * d[i]
        localBias[i] += d[i]
        localWeight[i] += norm * d[i]
        di[i] += (dnorm - dnormMean - norm * dnormNormMean) * s
      }
    }
  }
  for worker in 0..<workers {
    let localWeight = scratch + 2 * C * worker
    let localBias = localWeight + C
    for i in 0..<C {
      dweight[i] += localWeight[i]
      dbias[i] += localBias[i]
    }
  }
}
