// The pretraining corpus D_PT: text files → documents, each followed by EOS → one token
// stream → fixed-length blocks.

import Foundation
import Tokenizers

/// Fixed-length token blocks cut from a concatenation of documents.
public struct PretrainingCorpus: Sendable {
  /// Tokens per block.
  public let blockLength: Int
  /// All blocks back to back, (count, blockLength).
  public let tokens: [Int32]
  /// Documents read (paragraphs separated by blank lines).
  public let documentCount: Int

  /// Number of blocks.
  public var count: Int { tokens.count / blockLength }

  /// Block `index`.
  public func block(_ index: Int) -> ArraySlice<Int32> {
    tokens[(index * blockLength)..<((index + 1) * blockLength)]
  }

  /// Reads `files`; each paragraph (text between blank lines) is a document, encoded and
  /// followed by `eos`. The leftover tail shorter than a block is dropped.
  public init(files: [String], tokenizer: BPETokenizer, eos: Int32, blockLength: Int) throws {
    precondition(blockLength >= 2, "blocks need at least 2 tokens")
    var stream: [Int32] = []
    var documents = 0
    for path in files {
      let text: String
      do {
        text = try String(contentsOfFile: path, encoding: .utf8)
      } catch {
        throw DatasetError(path: path, "cannot read as UTF-8 text (\(error.localizedDescription))")
      }
      for document in Self.documents(in: text) {
        stream += tokenizer.encode(document)
        stream.append(eos)
        documents += 1
      }
    }
    let usable = stream.count / blockLength * blockLength
    self.blockLength = blockLength
    self.tokens = Array(stream.prefix(usable))
    self.documentCount = documents
  }

  /// Paragraphs of `text`: runs of non-blank lines, joined with newlines.
  static func documents(in text: String) -> [String] {
    var documents: [String] = []
    var current: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.trimmingCharacters(in: .whitespaces).isEmpty {
        if !current.isEmpty { documents.append(current.joined(separator: "\n")) }
        current = []
      } else {
        current.append(line)
      }
    }
    if !current.isEmpty { documents.append(current.joined(separator: "\n")) }
    return documents
  }
}
