// Instruction records → token ids: prompt through the template, response followed by EOS,
// long prompts dropped (and counted), over-long responses truncated (and counted).

import HDF5
import Tokenizers

/// One tokenized instruction example.
extension Array where Element == TokenizedExample {
  /// A fingerprint of the examples' tokens, in order ("crc32-XXXXXXXX-N"): a resumed run
  /// compares it with its checkpoint's, so training cannot silently continue on other data
  /// (another cache, or the same cache rebuilt from changed records).
  public var fingerprint: String {
    var crc: UInt32 = 0
    for example in self {
      for part in [example.prompt, example.response] {
        var length = Int64(part.count).littleEndian
        crc = Swift.withUnsafeBytes(of: &length) { CRC32.checksum($0, seed: crc) }
        crc = part.withUnsafeBytes { CRC32.checksum($0, seed: crc) }
      }
    }
    return "crc32-" + String(crc, radix: 16) + "-\(count)"
  }
}

public struct TokenizedExample: Sendable, Equatable {
  /// The templated prompt.
  public var prompt: [Int32]
  /// The response followed by EOS (possibly truncated so prompt + response fit).
  public var response: [Int32]

  public init(prompt: [Int32], response: [Int32]) {
    self.prompt = prompt
    self.response = response
  }

  /// prompt + response.
  public var full: [Int32] { prompt + response }
}

/// The result of tokenizing a set of records, with what had to be dropped or cut.
public struct TokenizedInstructions: Sendable {
  public var examples: [TokenizedExample]
  /// Records whose prompt was longer than the maximum prompt length (left out).
  public var droppedLongPrompts: Int
  /// Records whose response was cut to fit the maximum total length.
  public var truncatedResponses: Int
  /// The template the prompts were built with.
  public var template: PromptTemplate

  /// Already tokenized examples (for example teacher-generated responses).
  public init(
    examples: [TokenizedExample], template: PromptTemplate, droppedLongPrompts: Int = 0, truncatedResponses: Int = 0
  ) {
    self.examples = examples
    self.template = template
    self.droppedLongPrompts = droppedLongPrompts
    self.truncatedResponses = truncatedResponses
  }

  /// Tokenizes `records`, their prompts in `template`. Prompts longer than `maxPromptLength` are dropped; responses are
  /// cut so that prompt + response ≤ `maxLength` (the EOS is kept only if it fits).
  public init(
    records: [InstructionRecord], template: PromptTemplate, tokenizer: BPETokenizer, eos: Int32,
    maxPromptLength: Int, maxLength: Int
  ) {
    precondition(maxPromptLength < maxLength, "the prompt limit must leave room for a response")
    self.template = template
    examples = []
    droppedLongPrompts = 0
    truncatedResponses = 0
    for record in records {
      let prompt = tokenizer.encode(record.prompt(template))
      if prompt.count > maxPromptLength {
        droppedLongPrompts += 1
        continue
      }
      var response = tokenizer.encode(record.output) + [eos]
      let room = maxLength - prompt.count
      if response.count > room {
        response = Array(response.prefix(room))
        truncatedResponses += 1
      }
      examples.append(TokenizedExample(prompt: prompt, response: response))
    }
  }
}

/// A right-padded batch for teacher-forced training (SFT, KD): inputs, next-token targets and a
/// loss mask that is 1 on response tokens only.
public struct SequenceBatch: Sendable, Equatable {
  public var B: Int
  public var T: Int
  /// (B, T) inputs.
  public var tokens: [Int32]
  /// (B, T) next-token targets (−1 where masked).
  public var targets: [Int32]
  /// (B, T) 1 where the target is a response token (EOS included), 0 elsewhere.
  public var lossMask: [Float]

  /// Packs examples into one batch of length T = the longest example − 1, padding with `pad`.
  public init(examples: [TokenizedExample], pad: Int32) {
    precondition(!examples.isEmpty, "empty batch")
    B = examples.count
    T = examples.map { $0.full.count - 1 }.max()!
    tokens = [Int32](repeating: pad, count: B * T)
    targets = [Int32](repeating: -1, count: B * T)
    lossMask = [Float](repeating: 0, count: B * T)
    for (b, example) in examples.enumerated() {
      let sequence = example.full
      for t in 0..<(sequence.count - 1) {
        tokens[b * T + t] = sequence[t]
        if t + 1 >= example.prompt.count {
          targets[b * T + t] = sequence[t + 1]
          lossMask[b * T + t] = 1
        }
      }
    }
  }
}
