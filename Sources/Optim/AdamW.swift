// AdamW over the flat parameter arena: one loop, decoupled weight decay on matrices only.

import CKernels
import Kernels
import Model

/// AdamW hyperparameters (PyTorch's defaults for betas/eps; GPT-style decay 0.1).
public struct AdamWConfig: Codable, Sendable, Equatable {
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  /// Decoupled weight decay, applied to tensors whose `ParameterTensor.decays` is true.
  public var weightDecay: Float

  enum CodingKeys: String, CodingKey {
    case beta1 = "beta1"
    case beta2 = "beta2"
    case epsilon = "eps"
    case weightDecay = "weight_decay"
  }

  public init(beta1: Float = 0.9, beta2: Float = 0.95, epsilon: Float = 1e-8, weightDecay: Float = 0.1) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }
}

/// AdamW with first and second moments in arenas shaped like the parameters.
///
/// Per element, at step t (1-based): p ← p − lr·wd·p (decaying tensors only);
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε).
public final class AdamW {
  public let config: AdamWConfig
  /// First moments.
  public let m: ParameterArena
  /// Second moments.
  public let v: ParameterArena
  /// Updates taken so far.
  public private(set) var step = 0

  public init(layout: ParameterLayout, config: AdamWConfig = .init()) {
    self.config = config
    m = ParameterArena(layout: layout)
    v = ParameterArena(layout: layout)
  }

  /// Restores the step counter (moments are restored by copying into `m` and `v`).
  public func restore(step: Int) {
    precondition(step >= 0, "AdamW step must be ≥ 0")
    self.step = step
  }

  /// Applies one update with learning rate `learningRate`.
  public func update(parameters: ParameterArena, gradients: ParameterArena, learningRate: Float) {
    step += 1
    let beta1 = config.beta1
    let beta2 = config.beta2
    let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
    let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
    let layout = parameters.layout
    for tensor in ParameterTensor.allCases {
      let offset = layout.offset(tensor)
      let count = layout.count(tensor)
      let decay = tensor.decays ? learningRate * config.weightDecay : 0
      let p = parameters.storage.baseAddress! + offset
      let g = gradients.storage.baseAddress! + offset
      let mp = m.storage.baseAddress! + offset
      let vp = v.storage.baseAddress! + offset
      let epsilon = config.epsilon
      Parallel.forChunks(count, minimumPerThread: 32768) { range, _ in
        let at = range.lowerBound
        ck_adamw_update(
          p + at, g + at, mp + at, vp + at, range.count, learningRate, beta1, beta2, epsilon, decay,
          correction1, correction2)
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
