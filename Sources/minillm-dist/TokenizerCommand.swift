// `minillm-dist tokenizer train|encode|resave`: build and inspect byte-level BPE tokenizers.

import ArgumentParser
import Datasets
import Foundation
import Tokenizers

struct TokenizerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenizer",
    abstract: "Train, inspect and convert byte-level BPE tokenizers (tokenizer.json).",
    subcommands: [Train.self, Encode.self, Resave.self])

  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Learn a byte-level BPE vocabulary from text files and save it as tokenizer.json.")

    @Option(parsing: .upToNextOption, help: "UTF-8 text files to learn from.") var files: [String] = []
    @Option(parsing: .upToNextOption, help: "Instruction JSONL files: learn from their templated prompts and outputs.") var instructions: [String] = []
    @Option(help: "Ids in the vocabulary, special tokens and the 256 bytes included.") var vocabSize = 4096
    @Option(parsing: .upToNextOption, help: "Special tokens (never split).") var special: [String] = ["<|endoftext|>", "<|pad|>"]
    @Option(help: "Where to save tokenizer.json.") var output: String
    @Option(help: "Prompt format of the --instructions records: alpaca (the authors') or compact (no opening sentence).")
    var promptTemplate: PromptTemplate = .alpaca

    func run() throws {
      guard !files.isEmpty || !instructions.isEmpty else {
        throw ValidationError("give --files or --instructions")
      }
      var texts: [String] = []
      for path in instructions {
        for record in try InstructionRecord.readJSONL(path) { texts += [record.prompt(promptTemplate), record.output] }
      }
      for path in files {
        do {
          texts += try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        } catch {
          throw ValidationError("cannot read \(path) as UTF-8: \(error.localizedDescription)")
        }
      }
      print("learning \(vocabSize) ids from \(files.count + instructions.count) file(s), \(texts.count) texts…")
      let tokenizer = try BPETrainer.train(texts: texts, vocabularySize: vocabSize, specialTokens: special)
      try tokenizer.save(to: output)
      print("wrote \(output): \(tokenizer.count) ids, \(tokenizer.merges.count) merges, fingerprint \(tokenizer.fingerprint)")
    }
  }

  struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the ids of a text (one line of JSON).")
    @Option(help: "The tokenizer.json file.") var tokenizer: String
    @Argument(help: "The text to encode.") var text: String

    func run() throws {
      let ids = try BPETokenizer.load(contentsOf: tokenizer).encode(text)
      print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
  }

  struct Resave: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Load a tokenizer.json and save it again in this program's canonical form.")
    @Argument(help: "Input tokenizer.json.") var input: String
    @Argument(help: "Output tokenizer.json.") var output: String

    func run() throws {
      try BPETokenizer.load(contentsOf: input).save(to: output)
    }
  }
}
