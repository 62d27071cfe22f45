// The GPT-2 model: parameters, forward over a batch (or new tokens against a KV cache), and
// backward from caller-supplied dlogits.

import Kernels
import Randomness

/// A decoder-only transformer of the GPT-2 family on flat Float buffers.
///
/// Training: `forward(batch)` returns logits (B, T, Vp); write d(loss)/d(logits) into
/// `dlogits` and call `backward()`, which accumulates into `gradients`. Every objective plugs in
/// through dlogits. Decoding: see `GPTDecoder`.
public final class GPT {
  public let config: GPTConfig
  public let layout: ParameterLayout
  /// Weights, one flat buffer with named views.
  public let parameters: ParameterArena
  /// Gradients, same layout; `backward()` accumulates, `zeroGradients()` clears. Allocated on
  /// first use (inference and checkpoint reads never touch them).
  public private(set) lazy var gradients = ParameterArena(layout: layout)
  private var buffers: ActivationBuffers?

  /// A model with all-zero parameters; call `initializeGPT2(seed:)` or load weights.
  /// - Throws: `GPTConfigError` for an invalid config.
  public init(config: GPTConfig) throws {
    try config.validate()
    self.config = config
    layout = ParameterLayout(config: config)
    parameters = ParameterArena(layout: layout)
  }

  /// GPT-2 initialization: weights normal(0, initStd), residual projections scaled by
  /// 1/√(2L), biases 0, LayerNorm weights 1; padded vocabulary rows 0. Same seed, same weights.
  public func initializeGPT2(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    let residualScale = 1 / Float(2 * config.nLayer).squareRoot()
    for tensor in ParameterTensor.allCases {
      let buffer = parameters.buffer(tensor)
      switch tensor {
      case .ln1Weight, .ln2Weight, .finalNormWeight:
        buffer.update(repeating: 1)
      case .ln1Bias, .ln2Bias, .finalNormBias, .qkvBias, .attentionProjectionBias, .fcBias,
        .fcProjectionBias:
        buffer.update(repeating: 0)
      default:
        let std = config.initStd * (tensor.isResidualProjection ? residualScale : 1)
        for i in buffer.indices { buffer[i] = Float(generator.nextNormal()) * std }
      }
    }
    let C = config.dModel
    let padded = parameters.pointer(.tokenEmbedding) + config.vocabSize * C
    padded.update(repeating: 0, count: (config.paddedVocabSize - config.vocabSize) * C)
  }

  /// Sets every gradient to zero.
  public func zeroGradients() { gradients.zero() }

  /// Runs the forward pass and returns logits (B, T, Vp), valid until the next forward.
  /// Padded vocabulary columns hold garbage: mask them (the Kernels losses do).
  @discardableResult
  public func forward(_ batch: TokenBatch) -> UnsafeMutablePointer<Float> {
    precondition(batch.T <= config.contextLength, "sequence length \(batch.T) exceeds context \(config.contextLength)")
    if buffers?.fits(B: batch.B, T: batch.T, keyCapacity: batch.T, training: true) != true {
      buffers = ActivationBuffers(
        config: config, B: batch.B, T: batch.T, keyCapacity: batch.T, training: true)
    }
    let acts = buffers!
    load(batch.tokens, keyStart: batch.keyStart, into: acts, past: 0)
    runForward(acts, cache: nil)
    return acts.logits.pointer
  }

  /// Where the caller writes d(loss)/d(logits), (B, T, Vp), for the last forward's batch.
  public var dlogits: UnsafeMutablePointer<Float> {
    guard let buffers else { preconditionFailure("dlogits before any forward pass") }
    return buffers.dlogits.pointer
  }

  /// Logits of the last forward, (B, T, Vp).
  public var logits: UnsafeMutablePointer<Float> {
    guard let buffers else { preconditionFailure("logits before any forward pass") }
    return buffers.logits.pointer
  }

  /// Fills token, position and mask inputs: position = past + t − keyStart[b], at least 0.
  func load(_ tokens: [Int32], keyStart: [Int32], into acts: ActivationBuffers, past: Int) {
    for (i, token) in tokens.enumerated() {
      precondition(token >= 0 && Int(token) < config.vocabSize, "token id \(token) outside vocabulary \(config.vocabSize)")
      acts.tokens.pointer[i] = token
    }
    for b in 0..<acts.B {
      acts.keyStart.pointer[b] = keyStart[b]
      for t in 0..<acts.T {
        acts.positions.pointer[b * acts.T + t] = Int32(max(0, past + t - Int(keyStart[b])))
      }
    }
  }

  /// The forward pass over `acts.T` new tokens per sequence; with a cache, keys and values are
  /// appended to it and attention covers the cached positions too. `panels` (packed from the
  /// current weights) serve the matmuls of decode steps (B·T ≤ `fewRowsLimit` rows).
  func runForward(_ acts: ActivationBuffers, cache: KVCache?, panels: DecodePanels? = nil) {
    let B = acts.B
    let T = acts.T
    let C = config.dModel
    let L = config.nLayer
    let N = B * T
    let Vp = config.paddedVocabSize
    let p = parameters
    // out = inp · Wᵀ + b for a layer's (or the head's) weight.
    func linear(
      _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: ParameterTensor,
      _ bias: ParameterTensor?, layer: Int?, C: Int, OC: Int
    ) {
      let w = layer.map { p.pointer(weight, layer: $0) } ?? p.pointer(weight)
      let b = bias.map { p.pointer($0, layer: layer!) }
      if let panels, N <= fewRowsLimit {
        matmulForwardPanels(out: out, inp: inp, panels: panels.panels(of: w, in: p), bias: b, N: N, C: C, OC: OC)
      } else {
        matmulForward(out: out, inp: inp, weight: w, bias: b, N: N, C: C, OC: OC)
      }
    }

    encoderForward(
      out: acts.encoded.pointer, tokens: acts.tokens.pointer, positions: acts.positions.pointer,
      wte: p.pointer(.tokenEmbedding), wpe: p.pointer(.positionEmbedding), N: N, C: C)
    var residual = UnsafeMutablePointer(acts.encoded.pointer)
    for l in 0..<L {
      let a = acts.layer(l, C: C, NH: config.nHead)
      let (ln1, qkv, attentionOut, residual2) = (a.ln1, a.qkv, a.attentionOut, a.residual2)
      let (ln2, fc, fcGelu, residual3) = (a.ln2, a.fc, a.fcGelu, a.residual3)

      layerNormForward(
        out: ln1, mean: a.ln1Mean, rstd: a.ln1Rstd,
        inp: residual, weight: p.pointer(.ln1Weight, layer: l), bias: p.pointer(.ln1Bias, layer: l),
        N: N, C: C)
      linear(qkv, ln1, .qkvWeight, .qkvBias, layer: l, C: C, OC: 3 * C)
      let attention = a.attention
      if let cache {
        cache.append(layer: l, qkv: qkv, T: T)
        let layoutWithCache = cache.attentionLayout(T: T)
        attentionForward(
          out: attentionOut, att: attention, q: qkv, k: cache.keys(layer: l),
          v: cache.values(layer: l), keyStart: acts.keyStart.pointer, layout: layoutWithCache)
      } else {
        attentionForward(
          out: attentionOut, att: attention, q: qkv, k: qkv + C, v: qkv + 2 * C,
          keyStart: acts.keyStart.pointer,
          layout: .packed(B: B, T: T, C: C, NH: config.nHead))
      }
      linear(
        acts.projection.pointer, attentionOut, .attentionProjectionWeight, .attentionProjectionBias,
        layer: l, C: C, OC: C)
      residualForward(out: residual2, inp1: residual, inp2: acts.projection.pointer, count: N * C)
      layerNormForward(
        out: ln2, mean: a.ln2Mean, rstd: a.ln2Rstd,
        inp: residual2, weight: p.pointer(.ln2Weight, layer: l),
        bias: p.pointer(.ln2Bias, layer: l), N: N, C: C)
      linear(fc, ln2, .fcWeight, .fcBias, layer: l, C: C, OC: 4 * C)
      geluForward(out: fcGelu, inp: fc, count: N * 4 * C)
      linear(
        acts.projection.pointer, fcGelu, .fcProjectionWeight, .fcProjectionBias, layer: l,
        C: 4 * C, OC: C)
      residualForward(out: residual3, inp1: residual2, inp2: acts.projection.pointer, count: N * C)
      residual = residual3
    }
    layerNormForward(
      out: acts.lnf.pointer, mean: acts.lnfMean.pointer, rstd: acts.lnfRstd.pointer,
      inp: residual, weight: p.pointer(.finalNormWeight), bias: p.pointer(.finalNormBias),
      N: N, C: C)
    linear(acts.logits.pointer, acts.lnf.pointer, .tokenEmbedding, nil, layer: nil, C: C, OC: Vp)
    cache?.length += T
  }

  /// Backpropagates `dlogits` through the last forward pass, accumulating into `gradients`.
  /// - Parameter layerGradientsReady: called with l as soon as layer l's gradients are final
  ///   (layers L−1 down to 0), then with nil once the embeddings' and final norm's are; data
  ///   parallelism starts all-reducing them while the backward goes on.
  public func backward(layerGradientsReady: ((Int?) -> Void)? = nil) {
    guard let acts = buffers else { preconditionFailure("backward before forward") }
    let B = acts.B
    let T = acts.T
    let C = config.dModel
    let L = config.nLayer
    let N = B * T
    let Vp = config.paddedVocabSize
    let p = parameters
    let g = gradients
    let dresidual = acts.dresidual.pointer
    let dnorm = acts.dnorm.pointer

    // in the forward pass this was: logits = lnf · wteᵀ (tied head)
    dnorm.update(repeating: 0, count: N * C)
    matmulBackward(
      dinp: dnorm, dweight: g.pointer(.tokenEmbedding), dbias: nil, dout: acts.dlogits.pointer,
      inp: acts.lnf.pointer, weight: p.pointer(.tokenEmbedding), N: N, C: C, OC: Vp)
    dresidual.update(repeating: 0, count: N * C)
    let lastResidual = acts.residual3.pointer + (L - 1) * N * C
    layerNormBackward(
      dinp: dresidual, dweight: g.pointer(.finalNormWeight), dbias: g.pointer(.finalNormBias),
      dout: dnorm, inp: lastResidual, weight: p.pointer(.finalNormWeight),
      mean: acts.lnfMean.pointer, rstd: acts.lnfRstd.pointer, scratch: acts.normScratch.pointer,
      N: N, C: C)

    for l in stride(from: L - 1, through: 0, by: -1) {
      let input = l == 0 ? acts.encoded.pointer : acts.residual3.pointer + (l - 1) * N * C
      let a = acts.layer(l, C: C, NH: config.nHead)
      let (ln1, qkv, attentionOut, residual2) = (a.ln1, a.qkv, a.attentionOut, a.residual2)
      let (ln2, fc, fcGelu, attention) = (a.ln2, a.fc, a.fcGelu, a.attention)

      // in the forward pass this was: residual3 = residual2 + fcProj(gelu(fc(ln2(residual2))))
      // so d(residual2) = dresidual + (MLP branch), accumulated in place into dresidual.
      acts.dfcGelu.pointer.update(repeating: 0, count: N * 4 * C)
      matmulBackward(
        dinp: acts.dfcGelu.pointer, dweight: g.pointer(.fcProjectionWeight, layer: l),
        dbias: g.pointer(.fcProjectionBias, layer: l), dout: dresidual, inp: fcGelu,
        weight: p.pointer(.fcProjectionWeight, layer: l), N: N, C: 4 * C, OC: C)
      acts.dfc.pointer.update(repeating: 0, count: N * 4 * C)
      geluBackward(dinp: acts.dfc.pointer, inp: fc, dout: acts.dfcGelu.pointer, count: N * 4 * C)
      dnorm.update(repeating: 0, count: N * C)
      matmulBackward(
        dinp: dnorm, dweight: g.pointer(.fcWeight, layer: l), dbias: g.pointer(.fcBias, layer: l),
        dout: acts.dfc.pointer, inp: ln2, weight: p.pointer(.fcWeight, layer: l),
        N: N, C: C, OC: 4 * C)
      layerNormBackward(
        dinp: dresidual, dweight: g.pointer(.ln2Weight, layer: l),
        dbias: g.pointer(.ln2Bias, layer: l), dout: dnorm, inp: residual2,
        weight: p.pointer(.ln2Weight, layer: l), mean: a.ln2Mean, rstd: a.ln2Rstd, scratch: acts.normScratch.pointer, N: N, C: C)

      // in the forward pass this was: residual2 = input + attnProj(attention(qkv(ln1(input))))
      acts.dattentionOut.pointer.update(repeating: 0, count: N * C)
      matmulBackward(
        dinp: acts.dattentionOut.pointer, dweight: g.pointer(.attentionProjectionWeight, layer: l),
        dbias: g.pointer(.attentionProjectionBias, layer: l), dout: dresidual, inp: attentionOut,
        weight: p.pointer(.attentionProjectionWeight, layer: l), N: N, C: C, OC: C)
      let dqkv = acts.dqkv.pointer
      dqkv.update(repeating: 0, count: N * 3 * C)
      attentionBackward(
        dq: dqkv, dk: dqkv + C, dv: dqkv + 2 * C, dout: acts.dattentionOut.pointer,
        att: attention, q: qkv, k: qkv + C, v: qkv + 2 * C, keyStart: acts.keyStart.pointer,
        layout: .packed(B: B, T: T, C: C, NH: config.nHead))
      dnorm.update(repeating: 0, count: N * C)
      matmulBackward(
        dinp: dnorm, dweight: g.pointer(.qkvWeight, layer: l), dbias: g.pointer(.qkvBias, layer: l),
        dout: dqkv, inp: ln1, weight: p.pointer(.qkvWeight, layer: l), N: N, C: C, OC: 3 * C)
      layerNormBackward(
        dinp: dresidual, dweight: g.pointer(.ln1Weight, layer: l),
        dbias: g.pointer(.ln1Bias, layer: l), dout: dnorm, inp: input,
        weight: p.pointer(.ln1Weight, layer: l), mean: a.ln1Mean, rstd: a.ln1Rstd, scratch: acts.normScratch.pointer, N: N, C: C)
      layerGradientsReady?(l)
    }
    // in the forward pass this was: encoded = wte[tokens] + wpe[positions]
    encoderBackward(
      dwte: g.pointer(.tokenEmbedding), dwpe: g.pointer(.positionEmbedding), dout: dresidual,
      tokens: acts.tokens.pointer, positions: acts.positions.pointer, N: N, C: C)
    layerGradientsReady?(nil)
  }
}
