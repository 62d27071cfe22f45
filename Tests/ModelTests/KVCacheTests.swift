// Incremental decoding with a KV cache gives the logits of a full forward pass over the same
// tokens, for prompts of different lengths in one batch.

import Model
import TestSupport
import XCTest

final class KVCacheTests: XCTestCase {
  func testPrefillAndStepsMatchFullForwardForRaggedPrompts() throws {
    let config = GPTConfig(vocabSize: 50, contextLength: 16, dModel: 16, nLayer: 2, nHead: 4, initStd: 0.1)
    let model = try GPT(config: config)
    model.initializeGPT2(seed: 3)
    let decoder = GPTDecoder(model: model, batchSize: 3, capacity: 12)
    try assertDecodingMatchesFullForward(model, decoder)
    // New weights (as between MiniLLM rollouts): the next prefill must pick them up.
    model.initializeGPT2(seed: 4)
    try assertDecodingMatchesFullForward(model, decoder)
  }

  private func assertDecodingMatchesFullForward(_ model: GPT, _ decoder: GPTDecoder) throws {
    let config = model.config
    let B = decoder.B
    let P = 5
    let total = decoder.cache.capacity
    let keyStart: [Int32] = [0, 2, 4]
    var tokens = (0..<(B * total)).map { Int32(($0 * 7 + 3) % 50) }
    for b in 0..<B { for t in 0..<Int(keyStart[b]) { tokens[b * total + t] = 0 } }
    let V = config.vocabSize
    let Vp = config.paddedVocabSize

    let full = model.forward(TokenBatch(B: B, T: total, tokens: tokens, keyStart: keyStart))
    let expected = Array(UnsafeBufferPointer(start: full, count: B * total * Vp))
    let prompt = (0..<B).flatMap { b in tokens[(b * total)..<(b * total + P)] }
    let prefill = decoder.prefill(tokens: prompt, promptLength: P, keyStart: keyStart)
    var actual = [Float](repeating: 0, count: B * total * Vp)
    for b in 0..<B {
      for t in 0..<P {
        for i in 0..<Vp { actual[(b * total + t) * Vp + i] = prefill[(b * P + t) * Vp + i] }
      }
    }
    for t in P..<total {
      let logits = decoder.step(tokens: (0..<B).map { tokens[$0 * total + t] })
      for b in 0..<B {
        for i in 0..<Vp { actual[(b * total + t) * Vp + i] = logits[b * Vp + i] }
      }
    }
    XCTAssertEqual(decoder.length, total)
    var worst: Float = 0
    var largest: Float = 0
    for b in 0..<B {
      for t in Int(keyStart[b])..<total {
        for i in 0..<V {
          let index = (b * total + t) * Vp + i
          worst = max(worst, abs(actual[index] - expected[index]))
          largest = max(largest, abs(expected[index]))
        }
      }
    }
    XCTAssertLessThanOrEqual(worst / largest, 1e-5, "max abs diff \(worst), max |logit| \(largest)")
    XCTAssertGreaterThan(largest, 0.01)
  }
}
