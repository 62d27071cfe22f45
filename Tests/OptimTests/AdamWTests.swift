// AdamW against hand-computed values, schedules at their boundaries, clipping, gradient
// accumulation, and a tiny model that memorizes a few sentences.

import Kernels
import Model
import Optim
import TestSupport
import XCTest

final class AdamWTests: XCTestCase {
  let config = GPTConfig(vocabSize: 8, contextLength: 4, dModel: 4, nLayer: 1, nHead: 1)

  func testTwoStepsMatchHandComputedValues() throws {
    // By hand (lr 0.1, β1 0.9, β2 0.95, wd 0.1, p₀ 0.5, g₁ 0.2, g₂ −0.4):
    // step 1: m̂ = 0.2, v̂ = 0.04 → p = 0.5 − 0.1·0.1·0.5 − 0.1·0.2/0.2 = 0.395 (decayed),
    //         0.4 without decay.
    // step 2: m = 0.018 − 0.04 = −0.022, v = 0.0019 + 0.008 = 0.0099, m̂ = −0.022/0.19,
    //         v̂ = 0.0099/0.0975 → p = 0.395·0.99 + 0.1·0.115789/0.318651 = 0.4273874,
    //         and 0.4363374 without decay.
    let model = try GPT(config: config)
    let optimizer = AdamW(layout: model.layout, config: AdamWConfig(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1))
    let decayed = model.parameters.pointer(.fcWeight)
    let plain = model.parameters.pointer(.fcBias)
    decayed[0] = 0.5
    plain[0] = 0.5
    for gradient: Float in [0.2, -0.4] {
      model.gradients.pointer(.fcWeight)[0] = gradient
      model.gradients.pointer(.fcBias)[0] = gradient
      optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: 0.1)
      if optimizer.step == 1 {
        XCTAssertEqual(decayed[0], 0.395, accuracy: 1e-6)
        XCTAssertEqual(plain[0], 0.4, accuracy: 1e-6)
      }
    }
    XCTAssertEqual(decayed[0], 0.4273874, accuracy: 1e-6)
    XCTAssertEqual(plain[0], 0.4363374, accuracy: 1e-6)
    XCTAssertEqual(optimizer.m.pointer(.fcBias)[0], -0.022, accuracy: 1e-7)
    XCTAssertEqual(optimizer.v.pointer(.fcBias)[0], 0.0099, accuracy: 1e-7)
    // Zero gradient and zero weight: nothing moves.
    XCTAssertEqual(model.parameters.pointer(.fcWeight)[1], 0)
  }

  func testSchedulesAtTheirBoundaries() {
    let constant = LearningRateSchedule.constant(1e-3, warmupSteps: 10)
    XCTAssertEqual(constant.learningRate(atStep: 0), 1e-4, accuracy: 1e-10)
    XCTAssertEqual(constant.learningRate(atStep: 9), 1e-3, accuracy: 1e-10)
    XCTAssertEqual(constant.learningRate(atStep: 10), 1e-3)
    XCTAssertEqual(constant.learningRate(atStep: 100_000), 1e-3)
    XCTAssertEqual(LearningRateSchedule.constant(5e-4).learningRate(atStep: 0), 5e-4)

    let cosine = LearningRateSchedule.cosine(1e-3, warmupSteps: 10, totalSteps: 110, floor: 1e-4)
    XCTAssertEqual(cosine.learningRate(atStep: 0), 1e-4, accuracy: 1e-10)
    XCTAssertEqual(cosine.learningRate(atStep: 9), 1e-3, accuracy: 1e-10)
    XCTAssertEqual(cosine.learningRate(atStep: 10), 1e-3, accuracy: 1e-10)
    XCTAssertEqual(cosine.learningRate(atStep: 60), 5.5e-4, accuracy: 1e-9)  // halfway
    XCTAssertEqual(cosine.learningRate(atStep: 110), 1e-4, accuracy: 1e-10)
    XCTAssertEqual(cosine.learningRate(atStep: 500), 1e-4, accuracy: 1e-10)
    XCTAssertGreaterThan(cosine.learningRate(atStep: 109), 1e-4)
  }

  func testGlobalNormClipping() throws {
    let model = try GPT(config: config)
    model.gradients.pointer(.tokenEmbedding)[0] = 3
    model.gradients.pointer(.finalNormBias)[1] = 4
    XCTAssertEqual(clipGradients(model.gradients, maxNorm: 10), 5, accuracy: 1e-9)
    XCTAssertEqual(model.gradients.pointer(.tokenEmbedding)[0], 3)
    XCTAssertEqual(clipGradients(model.gradients, maxNorm: 1), 5, accuracy: 1e-9)
    XCTAssertEqual(globalNorm(model.gradients), 1, accuracy: 1e-5)
    XCTAssertEqual(model.gradients.pointer(.finalNormBias)[1], 0.8, accuracy: 1e-6)
  }

  func testAccumulatingTwoMicroBatchesEqualsOneBatch() throws {
    let config = GPTConfig(vocabSize: 20, contextLength: 8, dModel: 8, nLayer: 2, nHead: 2, initStd: 0.1)
    let model = try GPT(config: config)
    model.initializeGPT2(seed: 5)
    let tokens = (0..<32).map { Int32(($0 * 5 + 1) % 20) }
    let targets = (0..<32).map { Int32(($0 * 3 + 2) % 20) }
    let Vp = config.paddedVocabSize
    func run(_ rows: Range<Int>) {
      let B = rows.count
      let batchTokens = Array(tokens[(rows.lowerBound * 8)..<(rows.upperBound * 8)])
      let batchTargets = Array(targets[(rows.lowerBound * 8)..<(rows.upperBound * 8)])
      let logits = model.forward(TokenBatch(B: B, T: 8, tokens: batchTokens))
      _ = crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: batchTargets, mask: nil,
        gradientScale: 1.0 / 32, N: B * 8, V: 20, Vp: Vp)
      model.backward()
    }
    model.zeroGradients()
    run(0..<4)
    let whole = Array(model.gradients.storage)
    model.zeroGradients()
    run(0..<2)
    run(2..<4)
    let accumulated = Array(model.gradients.storage)
    let comparison = compare(accumulated, whole, rtol: 1e-4, atol: 1e-7)
    XCTAssertTrue(comparison.passed, "\(comparison)")
  }

  func testTinyModelMemorizesSentences() throws {
    let sentences = ["the cat sat on the mat.", "a dog ran in the park!", "we like small models."]
    let alphabet = Array(Set(sentences.joined())).sorted()
    let T = 24
    let config = GPTConfig(vocabSize: alphabet.count + 1, contextLength: T, dModel: 32, nLayer: 2, nHead: 4)
    let model = try GPT(config: config)
    model.initializeGPT2(seed: 11)
    let optimizer = AdamW(layout: model.layout, config: AdamWConfig(weightDecay: 0))
    let end = Int32(alphabet.count)
    var tokens: [Int32] = []
    var targets: [Int32] = []
    var mask: [Float] = []
    for sentence in sentences {
      let ids = sentence.map { Int32(alphabet.firstIndex(of: $0)!) } + [end]
      let padded = ids + [Int32](repeating: end, count: T + 1 - ids.count)
      tokens += padded.prefix(T)
      targets += padded.dropFirst().prefix(T)
      mask += (0..<T).map { $0 < ids.count - 1 ? 1 : 0 }
    }
    let batch = TokenBatch(B: sentences.count, T: T, tokens: tokens)
    let weight = mask.reduce(0, +)
    var loss = Double.infinity
    var steps = 0
    while loss >= 0.05 && steps < 400 {
      let logits = model.forward(batch)
      loss = crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: targets, mask: mask,
        gradientScale: 1 / weight, N: batch.B * T, V: config.vocabSize, Vp: config.paddedVocabSize
      ).mean
      model.zeroGradients()
      model.backward()
      clipGradients(model.gradients, maxNorm: 1)
      optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: 3e-3)
      steps += 1
    }
    XCTAssertLessThan(loss, 0.05, "loss \(loss) after \(steps) steps")
  }
}
