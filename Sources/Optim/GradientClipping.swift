// Global-norm gradient clipping over the flat gradient arena.

import Model

/// The L2 norm of all gradients together (accumulated in Double).
public func globalNorm(_ gradients: ParameterArena) -> Double {
  var sum = 0.0
  for value in gradients.storage { sum += Double(value) * Double(value) }
  return sum.squareRoot()
}

/// Scales gradients so their global norm is at most `maxNorm` (no-op when already below or
/// when maxNorm ≤ 0, meaning "no clipping").
/// - Returns: the norm before clipping (log it; a non-finite norm is the caller's error to raise).
@discardableResult
public func clipGradients(_ gradients: ParameterArena, maxNorm: Double) -> Double {
  let norm = globalNorm(gradients)
  guard maxNorm > 0, norm > maxNorm, norm.isFinite else { return norm }
  let scale = Float(maxNorm / (norm + 1e-6))
  for i in gradients.storage.indices { gradients.storage[i] *= scale }
  return norm
}
