// Sampling: greedy equals top-k 1 and the argmax of a full forward; top-p and no-repeat-ngram
// constraints hold on every produced token; seeds make runs reproducible; EOS stops.

import Generation
import Kernels
import Model
import Randomness
import TestSupport
import XCTest

final class GeneratorTests: XCTestCase {
  let config = GPTConfig(vocabSize: 12, contextLength: 40, dModel: 16, nLayer: 2, nHead: 2, initStd: 0.3)
  let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]

  func makeModel() throws -> GPT {
    let model = try GPT(config: config)
    model.initializeGPT2(seed: 21)
    return model
  }

  /// Next-token logits for `sequence` from a plain full forward (no cache).
  func fullForwardLogits(_ model: GPT, _ sequence: [Int32]) -> [Float] {
    let logits = model.forward(TokenBatch(B: 1, T: sequence.count, tokens: sequence))
    let Vp = config.paddedVocabSize
    return Array(UnsafeBufferPointer(start: logits + (sequence.count - 1) * Vp, count: config.vocabSize))
  }

  func testGreedyEqualsTopK1AndFullForwardArgmax() throws {
    let model = try makeModel()
    let generator = Generator(model: model, batchSize: 4, capacity: 30)
    var random = SeededGenerator(seed: 1)
    let greedy = try generator.generate(prompts: prompts, config: SamplingConfig(temperature: 0, maxNewTokens: 12), random: &random)
    let topK1 = try generator.generate(prompts: prompts, config: SamplingConfig(temperature: 1.3, topK: 1, maxNewTokens: 12), random: &random)
    XCTAssertEqual(greedy.tokens, topK1.tokens)
    for (prompt, produced) in zip(prompts, greedy.tokens) {
      XCTAssertEqual(produced.count, 12)
      var sequence = prompt
      for token in produced {
        let logits = fullForwardLogits(model, sequence)
        XCTAssertEqual(Int(token), logits.indices.max { logits[$0] < logits[$1] })
        sequence.append(token)
      }
    }
  }

  func testTopPKeepsEveryTokenInsideTheNucleus() throws {
    let model = try makeModel()
    let generator = Generator(model: model, batchSize: 3, capacity: 40)
    var random = SeededGenerator(seed: 2)
    let sampling = SamplingConfig(temperature: 0.8, topP: 0.6, maxNewTokens: 25)
    let output = try generator.generate(prompts: prompts, config: sampling, random: &random)
    for (prompt, produced) in zip(prompts, output.tokens) {
      var sequence = prompt
      for token in produced {
        let logits = fullForwardLogits(model, sequence).map { Double($0) / 0.8 }
        let maximum = logits.max()!
        let weights = logits.map { exp($0 - maximum) }
        let total = weights.reduce(0, +)
        let order = weights.indices.sorted { weights[$0] > weights[$1] }
        var nucleus: [Int] = []
        var cumulative = 0.0
        for index in order {
          nucleus.append(index)
          cumulative += weights[index] / total
          if cumulative >= 0.6 - 1e-6 { break }
        }
        XCTAssertTrue(nucleus.contains(Int(token)), "token \(token) outside nucleus \(nucleus)")
        sequence.append(token)
      }
    }
  }

  func testNoRepeatNgramHoldsOnEverySequence() throws {
    let model = try makeModel()
    let generator = Generator(model: model, batchSize: 3, capacity: 40)
    for n in [2, 3] {
      var random = SeededGenerator(seed: UInt64(n))
      let output = try generator.generate(
        prompts: prompts, config: SamplingConfig(temperature: 0.5, noRepeatNgramSize: n, maxNewTokens: 30),
        random: &random)
      for (prompt, produced) in zip(prompts, output.tokens) {
        let sequence = prompt + produced
        var seen = Set<[Int32]>()
        for start in 0...(sequence.count - n) {
          let gram = Array(sequence[start..<(start + n)])
          XCTAssertFalse(seen.contains(gram), "repeated \(n)-gram \(gram) in \(sequence)")
          seen.insert(gram)
        }
      }
    }
  }

  /// With the prompt hidden from the ban, no n-gram repeats inside the response, but the
  /// response does copy prompt n-grams (greedy decoding of this model does, and with the
  /// prompt visible it never may).
  func testNoRepeatBanCanIgnoreThePrompt() throws {
    let model = try makeModel()
    let generator = Generator(model: model, batchSize: 3, capacity: 40)
    let n = 2
    var copiedPromptGram = false
    for seesPrompt in [true, false] {
      var random = SeededGenerator(seed: 9)
      let sampling = SamplingConfig(temperature: 0, noRepeatNgramSize: n, noRepeatSeesPrompt: seesPrompt, maxNewTokens: 30)
      let output = try generator.generate(prompts: prompts, config: sampling, random: &random)
      for (prompt, produced) in zip(prompts, output.tokens) {
        let checked = seesPrompt ? prompt + produced : produced
        var seen = Set<[Int32]>()
        for start in stride(from: 0, through: checked.count - n, by: 1) {
          let gram = Array(checked[start..<(start + n)])
          XCTAssertFalse(seen.contains(gram), "repeated \(gram) in \(checked) (prompt seen: \(seesPrompt))")
          seen.insert(gram)
        }
        let promptGrams = Set(stride(from: 0, through: prompt.count - n, by: 1).map { Array(prompt[$0..<($0 + n)]) })
        let responseGrams = stride(from: 0, through: produced.count - n, by: 1).map { Array(produced[$0..<($0 + n)]) }
        if !seesPrompt && responseGrams.contains(where: promptGrams.contains) { copiedPromptGram = true }
      }
    }
    XCTAssertTrue(copiedPromptGram, "no response copied a prompt bigram: the test does not exercise the option")
  }

  func testSameSeedSameTextAndLogProbsAreConsistent() throws {
    let model = try makeModel()
    let generator = Generator(model: model, batchSize: 3, capacity: 30)
    let sampling = SamplingConfig(maxNewTokens: 15)
    var first = SeededGenerator(seed: 99)
    var second = SeededGenerator(seed: 99)
    var other = SeededGenerator(seed: 100)
    let a = try generator.generate(prompts: prompts, config: sampling, random: &first)
    let b = try generator.generate(prompts: prompts, config: sampling, random: &second)
    let c = try generator.generate(prompts: prompts, config: sampling, random: &other)
    XCTAssertEqual(a.tokens, b.tokens)
    XCTAssertNotEqual(a.tokens, c.tokens)
    // Plain sampling: the sampling distribution is the student's, so the two log-probs agree.
    for (x, y) in zip(a.studentLogProbs.joined(), a.samplingLogProbs.joined()) {
      XCTAssertEqual(x, y, accuracy: 1e-4)
    }
  }

  func testEOSStopsASequenceAndHookCanForceTokens() throws {
    final class ForceToken: SamplingHook {
      let token: Int
      init(_ token: Int) { self.token = token }
      func beforeDraw(step: Int, studentLogits: UnsafePointer<Float>, probabilities: UnsafeMutablePointer<Float>, active: [Bool], rowStride: Int) {
        for b in active.indices where active[b] {
          let row = probabilities + b * rowStride
          for i in 0..<11 { row[i] = 0 }
          row[step < 3 ? 7 : token] = 1
        }
      }
    }
    let model = try makeModel()
    let generator = Generator(model: model, batchSize: 3, capacity: 30)
    var random = SeededGenerator(seed: 5)
    let output = try generator.generate(
      prompts: prompts, config: SamplingConfig(eosToken: 11, maxNewTokens: 20), random: &random,
      hook: ForceToken(11))
    XCTAssertEqual(output.tokens, Array(repeating: [7, 7, 7, 11], count: 3))
    XCTAssertEqual(output.endedWithEOS, [true, true, true])
    XCTAssertEqual(output.samplingLogProbs[0], [0, 0, 0, 0])
  }

  func testInvalidSettingsAreRejected() throws {
    let generator = Generator(model: try makeModel(), batchSize: 2, capacity: 10)
    var random = SeededGenerator(seed: 1)
    XCTAssertThrowsError(try generator.generate(prompts: [[1]], config: SamplingConfig(topP: 0, maxNewTokens: 3), random: &random)) {
      XCTAssertEqual(($0 as? SamplingConfigError)?.field, "top_p")
    }
    XCTAssertThrowsError(try generator.generate(prompts: [[1], [2], [3]], config: SamplingConfig(maxNewTokens: 3), random: &random))
    XCTAssertThrowsError(try generator.generate(prompts: [Array(repeating: 1, count: 10)], config: SamplingConfig(maxNewTokens: 3), random: &random))
  }
}
