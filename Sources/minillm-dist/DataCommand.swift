// `minillm-dist data prepare`: tokenize instruction data or a pretraining corpus once into a
// token cache that training reads without re-tokenizing.

import ArgumentParser
import Datasets
import Foundation
import Tokenizers

struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Prepare training data.",
    subcommands: [Prepare.self])

  struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Tokenize instruction JSONL or pretraining text into an HDF5 token cache.",
      discussion: """
        Instruction data: JSONL with instruction, input (optional) and output (Dolly's context
        and response names work too). Prompts longer than --max-prompt-length are dropped and
        counted; responses are cut to fit --max-length. Pretraining text: paragraphs become
        documents ending in EOS, cut into blocks of --block-length tokens.
        """)

    @Option(help: "The tokenizer.json to encode with.") var tokenizer: String
    @Option(help: "Where to write the cache (.h5).") var output: String
    @Option(help: "Instruction data (JSONL).") var instructions: String?
    @Option(parsing: .upToNextOption, help: "Pretraining text files.") var pretrain: [String] = []
    @Option(help: "Longest prompt kept, in tokens.") var maxPromptLength = 256
    @Option(help: "Longest prompt + response, in tokens.") var maxLength = 512
    @Option(help: "Tokens per pretraining block (max length + 1 for next-token targets).") var blockLength = 513
    @Option(help: "The end-of-sequence special token.") var eos = "<|endoftext|>"

    func validate() throws {
      if (instructions == nil) == pretrain.isEmpty {
        throw ValidationError("give either --instructions FILE or --pretrain FILES…")
      }
      if maxPromptLength >= maxLength {
        throw ValidationError("--max-prompt-length (\(maxPromptLength)) must be below --max-length (\(maxLength))")
      }
    }

    func run() throws {
      let encoder = try BPETokenizer.load(contentsOf: tokenizer)
      guard let eosID = encoder.specialTokenID(eos) else {
        throw ValidationError("\(tokenizer) has no special token \(eos) (use --eos)")
      }
      if let instructions {
        let records = try InstructionRecord.readJSONL(instructions)
        let data = TokenizedInstructions(
          records: records, tokenizer: encoder, eos: eosID, maxPromptLength: maxPromptLength,
          maxLength: maxLength)
        try TokenCache.write(data, to: output, tokenizerFingerprint: encoder.fingerprint, source: instructions)
        let tokens = data.examples.reduce(0) { $0 + $1.prompt.count + $1.response.count }
        print("\(instructions): \(records.count) records, \(data.examples.count) kept, \(data.droppedLongPrompts) dropped (prompt > \(maxPromptLength) tokens), \(data.truncatedResponses) responses truncated to fit \(maxLength)")
        print("wrote \(output): \(tokens) tokens, tokenizer \(encoder.fingerprint)")
      } else {
        let corpus = try PretrainingCorpus(files: pretrain, tokenizer: encoder, eos: eosID, blockLength: blockLength)
        try TokenCache.write(corpus, to: output, tokenizerFingerprint: encoder.fingerprint, source: pretrain.joined(separator: ","))
        print("\(pretrain.count) file(s): \(corpus.documentCount) documents → \(corpus.count) blocks of \(blockLength) tokens")
        print("wrote \(output), tokenizer \(encoder.fingerprint)")
      }
    }
  }
}
