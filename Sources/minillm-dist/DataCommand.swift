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
    subcommands: [Prepare.self, Synth.self, Split.self, SeqKDCommand.self])

  struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate the synthetic instruction task (JSONL) from a seed, with no input files.",
      discussion: "Families: arithmetic, reverse, sort, fact lookup (one answer); name an item, list N items, fill a template (many answers, all listed in `references`).")

    @Option(help: "Random seed; the same seed gives the same records.") var seed: UInt64 = 1
    @Option(help: "Number of records.") var count = 2000
    @Option(help: "Output JSONL file.") var output: String

    func run() throws {
      let records = SyntheticTask.generate(count: count, seed: seed)
      try JSONLWriter.write(records, to: output)
      print("wrote \(records.count) synthetic records to \(output) (seed \(seed))")
    }
  }

  struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Split a JSONL file into training and validation files by a seeded shuffle.")

    @Argument(help: "Input JSONL.") var input: String
    @Option(help: "Records in the validation file.") var validationCount = 500
    @Option(help: "Shuffle seed.") var seed: UInt64 = 1
    @Option(help: "Training output JSONL.") var train: String
    @Option(help: "Validation output JSONL.") var validation: String

    func run() throws {
      let records = try InstructionRecord.readJSONL(input)
      guard validationCount <= records.count else {
        throw ValidationError("\(input) has \(records.count) records, fewer than --validation-count \(validationCount)")
      }
      let parts = splitTrainValidation(records, validationCount: validationCount, seed: seed)
      try JSONLWriter.write(parts.train, to: train)
      try JSONLWriter.write(parts.validation, to: validation)
      print("\(input): \(parts.train.count) training records → \(train), \(parts.validation.count) validation → \(validation)")
    }
  }

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
    @Option(help: "Prompt format of instruction data: alpaca (the authors') or compact (no opening sentence); recorded in the cache and in every checkpoint trained on it.")
    var promptTemplate: PromptTemplate = .alpaca

    func validate() throws {
      if (instructions == nil) == pretrain.isEmpty {
        throw ValidationError("give either --instructions FILE or --pretrain FILES…")
      }
      if blockLength < 2 {
        throw ValidationError("--block-length must be ≥ 2 (a block holds its inputs and their next-token targets), got \(blockLength)")
      }
      if maxPromptLength < 1 || maxLength < 2 {
        throw ValidationError("--max-prompt-length must be ≥ 1 and --max-length ≥ 2, got \(maxPromptLength) and \(maxLength)")
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
          records: records, template: promptTemplate, tokenizer: encoder, eos: eosID,
          maxPromptLength: maxPromptLength, maxLength: maxLength)
        guard !data.examples.isEmpty else {
          throw ValidationError(
            records.isEmpty ? "\(instructions) has no records" : "\(instructions): none of its \(records.count) records fits (every prompt is longer than --max-prompt-length \(maxPromptLength) tokens); nothing written")
        }
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
