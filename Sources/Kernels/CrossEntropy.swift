// Masked token-level cross-entropy on logits, returning the loss and dlogits in one pass.

#if canImport(Glibc)
  import Glibc
#endif

/// Sums of a masked loss: divide `lossSum` by `weightSum` for the mean per token.
public struct MaskedLoss: Sendable, Equatable {
  /// Σ_n mask[n] · loss[n]
  public var lossSum: Double
  /// Σ_n mask[n]
  public var weightSum: Double

  public init(lossSum: Double, weightSum: Double) {
    self.lossSum = lossSum
    self.weightSum = weightSum
  }

  /// The mean loss per unit of mask weight (0 when the mask is empty).
  public var mean: Double { weightSum > 0 ? lossSum / weightSum : 0 }
}

/// loss[n] = logsumexp(logits[n, 0..<V]) − logits[n, targets[n]], weighted by mask[n].
/// Writes dlogits[n] = gradientScale · mask[n] · (softmax(logits[n]) − onehot(targets[n]))
/// (zero in padded columns), so the gradient of `gradientScale · lossSum` comes out directly;
/// pass 1 / (total mask weight) for a per-token mean. Rows with mask 0 may have target −1.
/// - dlogits: (N, Vp) or nil for loss only (may equal logits: overwritten in place)
/// - logits: (N, Vp); targets: (N); mask: (N) or nil for all ones
public func crossEntropyForwardBackward(
  dlogits: UnsafeMutablePointer<Float>?, logits: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, mask: UnsafePointer<Float>?,
  gradientScale: Float, N: Int, V: Int, Vp: Int
) -> MaskedLoss {
  let workers = Parallel.workerCount(N)
  var lossParts = [Double](repeating: 0, count: workers)
  var weightParts = [Double](repeating: 0, count: workers)
  lossParts.withUnsafeMutableBufferPointer { lossPart in
    weightParts.withUnsafeMutableBufferPointer { weightPart in
      Parallel.forChunks(N) { rows, worker in
        var lossSum = 0.0
        var weightSum = 0.0
        for n in rows {
          let weight = mask?[n] ?? 1
          let row = logits + n * Vp
          let target = Int(targets[n])
          if weight != 0 {
            precondition(target >= 0 && target < V, "cross-entropy: target \(target) outside vocabulary \(V)")
            let maximum = rowMaximum(row, V)
            if let dlogits {
              // One pass of exponentials, written straight into dlogits and normalized there.
              let d = dlogits + n * Vp
              let sum = rowExpShifted(out: d, inp: row, count: V, shift: maximum)
              let lse = maximum + logf(sum)
              lossSum += Double(weight) * Double(lse - row[target])
              let factor = gradientScale * weight / sum
              for i in 0..<V { d[i] *= factor }
              d[target] -= gradientScale * weight
              for i in V..<Vp { d[i] = 0 }
            } else {
              lossSum += Double(weight) * Double(logSumExp(row, V: V) - row[target])
            }
            weightSum += Double(weight)
          } else if let dlogits {
            (dlogits + n * Vp).update(repeating: 0, count: Vp)
          }
        }
        lossPart[worker] = lossSum
        weightPart[worker] = weightSum
      }
    }
  }
  return MaskedLoss(lossSum: lossParts.reduce(0, +), weightSum: weightParts.reduce(0, +))
}
