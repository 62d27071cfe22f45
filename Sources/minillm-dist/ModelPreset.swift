// The benchmark model shapes shared with Benchmarks/train/torch_reference.py.

import ArgumentParser
import Model
import Randomness

/// Benchmark presets: (vocab, context, width, layers, heads) and the batch size.
enum ModelPreset: String, ExpressibleByArgument, CaseIterable {
  case a, b, c

  var config: GPTConfig {
    switch self {
    case .a: return GPTConfig(vocabSize: 4096, contextLength: 128, dModel: 128, nLayer: 4, nHead: 4)
    case .b: return GPTConfig(vocabSize: 4096, contextLength: 256, dModel: 256, nLayer: 6, nHead: 8)
    case .c: return GPTConfig(vocabSize: 8192, contextLength: 256, dModel: 384, nLayer: 6, nHead: 6)
    }
  }

  var batchSize: Int {
    switch self {
    case .a: return 16
    case .b, .c: return 8
    }
  }
}

extension ModelPreset {
  /// The preset's model with GPT-2 initialization (seed 1), as every benchmark uses it.
  func initializedModel() throws -> GPT {
    let model = try GPT(config: config)
    model.initializeGPT2(seed: 1)
    return model
  }
}

/// `count` token ids drawn uniformly from the vocabulary.
func randomTokens(_ count: Int, vocabulary: Int, _ random: inout SeededGenerator) -> [Int32] {
  (0..<count).map { _ in Int32(random.next() % UInt64(vocabulary)) }
}
