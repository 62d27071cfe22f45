// LayerNorm over the last dimension: forward (saving mean and 1/std) and backward.

/// Epsilon inside the square root, as GPT-2 uses.
public let layerNormEpsilon: Float = 1e-5

/// out = (inp - mean) / sqrt(var + eps) * weight + bias, per row.
/// - out, inp: (N, C); mean, rstd: (N), saved for the backward; weight, bias: (C)
public func layerNormForward(
  out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  N: Int, C: Int
) {
  Parallel.forChunks(N, minimumPerThread: 32) { rows, _ in
    for n in rows {
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
