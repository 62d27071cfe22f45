// Incremental decoding with a KV cache: prefill a batch of (left-padded) prompts, then one
// token per sequence per step.

/// Batched incremental decoding for one model. Logits returned by `prefill` and `step` are
/// valid until the next call. The weights must not change between a `prefill` and its steps.
/// Holds a repacked copy of the weight matrices (as much memory as the model's parameters).
public final class GPTDecoder {
  public let model: GPT
  public let B: Int
  public let cache: KVCache
  private var keyStart: [Int32]
  private var prefillBuffers: ActivationBuffers?
  private let stepBuffers: ActivationBuffers
  /// The weights repacked for decode-step matmuls; `prefill` refreshes them, so weights that
  /// changed since the last batch (training between rollouts) are picked up.
  private let panels: DecodePanels

  /// - Parameters:
  ///   - batchSize: sequences decoded together.
  ///   - capacity: longest total length (prompt + new tokens), at most the context length.
  public init(model: GPT, batchSize: Int, capacity: Int) {
    precondition(capacity <= model.config.contextLength, "decode capacity \(capacity) exceeds context \(model.config.contextLength)")
    self.model = model
    B = batchSize
    cache = KVCache(config: model.config, B: batchSize, capacity: capacity)
    keyStart = [Int32](repeating: 0, count: batchSize)
    stepBuffers = ActivationBuffers(
      config: model.config, B: batchSize, T: 1, keyCapacity: capacity, training: false)
    panels = DecodePanels(config: model.config, layout: model.layout)
  }

  /// Tokens decoded so far per sequence (prompt included, padding included).
  public var length: Int { cache.length }

  /// Starts a new batch: runs the prompts (B, P) through the model, filling the cache.
  /// Sequence b's first `keyStart[b]` tokens are left padding.
  /// - Returns: logits (B, P, Vp); row (b, P−1) predicts each sequence's next token.
  @discardableResult
  public func prefill(tokens: [Int32], promptLength P: Int, keyStart: [Int32]) -> UnsafePointer<Float> {
    precondition(tokens.count == B * P && keyStart.count == B, "prefill: wrong batch shape")
    precondition(P <= cache.capacity, "prefill: prompt of \(P) exceeds capacity \(cache.capacity)")
    cache.length = 0
    self.keyStart = keyStart
    if prefillBuffers?.fits(B: B, T: P, keyCapacity: cache.capacity, training: false) != true {
      prefillBuffers = ActivationBuffers(
        config: model.config, B: B, T: P, keyCapacity: cache.capacity, training: false)
    }
    let acts = prefillBuffers!
    panels.pack(from: model.parameters)
    model.load(tokens, keyStart: keyStart, into: acts, past: 0)
    model.runForward(acts, cache: cache, panels: panels)
    return UnsafePointer(acts.logits.pointer)
  }

  /// Feeds one new token per sequence and returns the next-token logits (B, Vp).
  @discardableResult
  public func step(tokens: [Int32]) -> UnsafePointer<Float> {
    precondition(tokens.count == B, "step: need one token per sequence")
    precondition(cache.length < cache.capacity, "step: KV cache is full (\(cache.capacity))")
    model.load(tokens, keyStart: keyStart, into: stepBuffers, past: cache.length)
    model.runForward(stepBuffers, cache: cache, panels: panels)
    return UnsafePointer(stepBuffers.logits.pointer)
  }
}
