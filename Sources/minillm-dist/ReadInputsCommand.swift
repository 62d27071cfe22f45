// `minillm-dist debug read-inputs`: runs one of the four input readers over many files in one
// process, for the fuzzing harness (Tests/fuzz/fuzz.py). A reader may accept a file or refuse
// it with an error; it must never trap, crash or hang, and its error must be one line.

import ArgumentParser
import Checkpointing
import Datasets
import Foundation
import HDF5
import Tokenizers

struct ReadInputsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "read-inputs",
    abstract: "Read files with one of the input readers, reporting each file's outcome.",
    discussion: """
      For file i: `begin i` before reading (flushed, so a crash shows which file caused it),
      then `ok i` (for a checkpoint `ok i DIGEST`, a CRC-32 of the step, weights, optimizer
      moments and tokenizer, so the harness can tell a harmless change from a silent one), or `error i MESSAGE` for a refused file (`multiline i` when the message
      spans several lines). Each reader also uses what it read the way the product does: the
      tokenizer encodes and decodes a sample, the instruction records build their prompts,
      the checkpoint's tensors and embedded tokenizer are read through.
      """)

  enum Reader: String, ExpressibleByArgument, CaseIterable {
    case jsonl, tokenizer, safetensors, checkpoint
  }

  @Option(help: "The reader: jsonl, tokenizer, safetensors or checkpoint.") var reader: Reader
  @Argument(help: "The files to read.") var files: [String]

  func run() throws {
    for (index, file) in files.enumerated() {
      print("begin \(index)")
      fflush(nil)
      do {
        let digest = try Self.read(file, with: reader)
        print("ok \(index)" + (digest.map { " \($0)" } ?? ""))
      } catch {
        let message = "\(error)"
        print(message.contains("\n") ? "multiline \(index)" : "error \(index) \(message)")
      }
      fflush(nil)
    }
  }

  /// Reads `path` with `reader` and uses the result; for a checkpoint, returns a digest of
  /// what was read.
  static func read(_ path: String, with reader: Reader) throws -> String? {
    switch reader {
    case .jsonl:
      let records = try InstructionRecord.readJSONL(path)
      _ = records.map { $0.prompt(.compact).utf8.count }
    case .tokenizer:
      try exercise(try BPETokenizer.load(contentsOf: path))
    case .safetensors:
      let tensors = try Safetensors.read(path)
      _ = tensors.values.reduce(0.0) { $0 + Double($1.values.reduce(0, +)) }
    case .checkpoint:
      let loaded = try Checkpoint.read(path)
      if let json = loaded.tokenizerJSON { try exercise(try BPETokenizer.load(json: Data(json.utf8))) }
      var digest = CRC32.checksum("\(loaded.state.step) \(loaded.optimizer.step) \(loaded.tokenizerJSON ?? "")")
      for buffer in [loaded.model.parameters.storage, loaded.optimizer.m.storage, loaded.optimizer.v.storage] {
        digest = CRC32.checksum(UnsafeRawBufferPointer(UnsafeBufferPointer(buffer)), seed: digest)
      }
      return String(format: "%08x", digest)
    }
    return nil
  }

  private static func exercise(_ tokenizer: BPETokenizer) throws {
    let ids = tokenizer.encode("Write each letter from c to m exactly once. <|endoftext|> naïve 😀 x\u{301}")
    _ = try tokenizer.decode(ids)
  }
}
