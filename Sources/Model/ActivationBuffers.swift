// Everything the forward pass saves for the backward, sized for one (B, T) shape.

import Kernels

/// Forward activations for batch B × T query tokens attending to up to `keyCapacity` keys,
/// plus (when `training`) the gradient buffers the backward reuses layer after layer.
final class ActivationBuffers {
  let B: Int
  let T: Int
  let keyCapacity: Int
  let training: Bool
  /// Threads the per-worker scratch buffers were sized for.
  let scratchWorkers: Int

  let tokens: Int32Storage  // (B, T)
  let positions: Int32Storage  // (B, T)
  let keyStart: Int32Storage  // (B)

  let encoded: FloatStorage  // (B, T, C)
  let ln1: FloatStorage  // (L, B, T, C)
  let ln1Mean: FloatStorage  // (L, B, T)
  let ln1Rstd: FloatStorage  // (L, B, T)
  let qkv: FloatStorage  // (L, B, T, 3C)
  let attentionOut: FloatStorage  // (L, B, T, C)
  let attention: FloatStorage  // (L, B, NH, T, keyCapacity)
  let residual2: FloatStorage  // (L, B, T, C)
  let ln2: FloatStorage  // (L, B, T, C)
  let ln2Mean: FloatStorage  // (L, B, T)
  let ln2Rstd: FloatStorage  // (L, B, T)
  let fc: FloatStorage  // (L, B, T, 4C)
  let fcGelu: FloatStorage  // (L, B, T, 4C)
  let residual3: FloatStorage  // (L, B, T, C)
  let lnf: FloatStorage  // (B, T, C)
  let lnfMean: FloatStorage  // (B, T)
  let lnfRstd: FloatStorage  // (B, T)
  let logits: FloatStorage  // (B, T, Vp)
  let projection: FloatStorage  // (B, T, C), output of a projection before the residual add

  // Backward only (empty when not training).
  let dlogits: FloatStorage  // (B, T, Vp)
  let dresidual: FloatStorage  // (B, T, C)
  let dnorm: FloatStorage  // (B, T, C)
  let dqkv: FloatStorage  // (B, T, 3C)
  let dattentionOut: FloatStorage  // (B, T, C)
  let dfc: FloatStorage  // (B, T, 4C)
  let dfcGelu: FloatStorage  // (B, T, 4C)
  let normScratch: FloatStorage  // (workers, 2C)

  init(config: GPTConfig, B: Int, T: Int, keyCapacity: Int, training: Bool) {
    let C = config.dModel
    let L = config.nLayer
    let N = B * T
    self.B = B
    self.T = T
    self.keyCapacity = keyCapacity
    self.training = training
    tokens = Int32Storage(N, zero: 0)
    positions = Int32Storage(N, zero: 0)
    keyStart = Int32Storage(B, zero: 0)
    encoded = FloatStorage(N * C, zero: 0)
    ln1 = FloatStorage(L * N * C, zero: 0)
    ln1Mean = FloatStorage(L * N, zero: 0)
    ln1Rstd = FloatStorage(L * N, zero: 0)
    qkv = FloatStorage(L * N * 3 * C, zero: 0)
    attentionOut = FloatStorage(L * N * C, zero: 0)
    attention = FloatStorage(L * B * config.nHead * T * keyCapacity, zero: 0)
    residual2 = FloatStorage(L * N * C, zero: 0)
    ln2 = FloatStorage(L * N * C, zero: 0)
    ln2Mean = FloatStorage(L * N, zero: 0)
    ln2Rstd = FloatStorage(L * N, zero: 0)
    fc = FloatStorage(L * N * 4 * C, zero: 0)
    fcGelu = FloatStorage(L * N * 4 * C, zero: 0)
    residual3 = FloatStorage(L * N * C, zero: 0)
    lnf = FloatStorage(N * C, zero: 0)
    lnfMean = FloatStorage(N, zero: 0)
    lnfRstd = FloatStorage(N, zero: 0)
    logits = FloatStorage(N * config.paddedVocabSize, zero: 0)
    projection = FloatStorage(N * C, zero: 0)
    let g = training ? 1 : 0
    let workers = max(KernelThreads.count, 1)
    scratchWorkers = workers
    dlogits = FloatStorage(g * N * config.paddedVocabSize, zero: 0)
    dresidual = FloatStorage(g * N * C, zero: 0)
    dnorm = FloatStorage(g * N * C, zero: 0)
    dqkv = FloatStorage(g * N * 3 * C, zero: 0)
    dattentionOut = FloatStorage(g * N * C, zero: 0)
    dfc = FloatStorage(g * N * 4 * C, zero: 0)
    dfcGelu = FloatStorage(g * N * 4 * C, zero: 0)
    normScratch = FloatStorage(g * workers * 2 * C, zero: 0)
  }

  /// One layer's slices of the per-layer activations.
  struct Layer {
    let ln1, qkv, attentionOut, attention, residual2, ln2, fc, fcGelu, residual3: UnsafeMutablePointer<Float>
    let ln1Mean, ln1Rstd, ln2Mean, ln2Rstd: UnsafeMutablePointer<Float>
  }

  /// Layer `l`'s slices, for a model of width C and NH heads.
  func layer(_ l: Int, C: Int, NH: Int) -> Layer {
    let N = B * T
    return Layer(
      ln1: ln1.pointer + l * N * C, qkv: qkv.pointer + l * N * 3 * C,
      attentionOut: attentionOut.pointer + l * N * C,
      attention: attention.pointer + l * B * NH * T * keyCapacity,
      residual2: residual2.pointer + l * N * C, ln2: ln2.pointer + l * N * C,
      fc: fc.pointer + l * N * 4 * C, fcGelu: fcGelu.pointer + l * N * 4 * C,
      residual3: residual3.pointer + l * N * C,
      ln1Mean: ln1Mean.pointer + l * N, ln1Rstd: ln1Rstd.pointer + l * N,
      ln2Mean: ln2Mean.pointer + l * N, ln2Rstd: ln2Rstd.pointer + l * N)
  }

  /// True when these buffers fit a batch of `B` × `T` with `keyCapacity` keys.
  func fits(B: Int, T: Int, keyCapacity: Int, training: Bool) -> Bool {
    self.B == B && self.T == T && self.keyCapacity >= keyCapacity
      && (self.training || !training)
      && (!training || scratchWorkers >= KernelThreads.count)
  }
}
