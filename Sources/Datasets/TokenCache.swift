// The token cache: tokenized data in one HDF5 file that training reads without re-tokenizing.
// It records the tokenizer's fingerprint and refuses to be read with another tokenizer.
//
// Layout (format "minillm-token-cache", version 1), attributes on the root:
//   format, format_version, kind ("instructions" | "pretraining"), tokenizer_fingerprint,
//   source (the input files), dropped_long_prompts, truncated_responses, prompt_template
//   (instructions only; a cache without prompt_template was built with "alpaca")
// instructions: prompt_tokens (Int32), prompt_offsets (Int64, count+1),
//               response_tokens (Int32), response_offsets (Int64, count+1)
// pretraining:  blocks (Int32, (count, block_length))

import HDF5

/// Reading and writing token caches.
public enum TokenCache {
  static let format = "minillm-token-cache"
  static let version: Int64 = 1

  /// Writes tokenized instructions (to `path` via a temporary file and a rename).
  public static func write(
    _ data: TokenizedInstructions, to path: String, tokenizerFingerprint: String, source: String
  ) throws {
    try writeAtomically(path) { root in
      try root.setAttribute("kind", string: "instructions")
      try root.setAttribute("dropped_long_prompts", value: Int64(data.droppedLongPrompts))
      try root.setAttribute("truncated_responses", value: Int64(data.truncatedResponses))
      try root.setAttribute("prompt_template", string: data.template.rawValue)
      try writeRagged(root, "prompt", data.examples.map(\.prompt))
      try writeRagged(root, "response", data.examples.map(\.response))
    } header: { root in
      try root.setAttribute("tokenizer_fingerprint", string: tokenizerFingerprint)
      try root.setAttribute("source", string: source)
    }
  }

  /// Writes pretraining blocks.
  public static func write(
    _ corpus: PretrainingCorpus, to path: String, tokenizerFingerprint: String, source: String
  ) throws {
    try writeAtomically(path) { root in
      try root.setAttribute("kind", string: "pretraining")
      try root.write("blocks", array: corpus.tokens, shape: [corpus.count, corpus.blockLength],
        options: HDF5DatasetOptions(deflateLevel: 1))
    } header: { root in
      try root.setAttribute("tokenizer_fingerprint", string: tokenizerFingerprint)
      try root.setAttribute("source", string: source)
    }
  }

  /// Reads tokenized instructions, checking the format and the tokenizer.
  public static func readInstructions(_ path: String, tokenizerFingerprint: String) throws
    -> [TokenizedExample]
  {
    let root = try open(path, kind: "instructions", tokenizerFingerprint: tokenizerFingerprint)
    let prompts = try readRagged(root, "prompt", path: path)
    let responses = try readRagged(root, "response", path: path)
    guard prompts.count == responses.count else {
      throw DatasetError(path: path, field: "response_offsets", "has \(responses.count) entries, prompts have \(prompts.count)")
    }
    return zip(prompts, responses).map { TokenizedExample(prompt: $0, response: $1) }
  }

  /// The prompt template an instruction cache was built with (`alpaca` for a cache written
  /// before the attribute existed).
  public static func promptTemplate(ofInstructions path: String, tokenizerFingerprint: String) throws -> PromptTemplate {
    let root = try open(path, kind: "instructions", tokenizerFingerprint: tokenizerFingerprint)
    guard try root.hasAttribute("prompt_template") else { return .alpaca }
    return try PromptTemplate.named(try root.stringAttribute("prompt_template"), source: path + ": prompt_template")
  }

  /// Refuses token ids outside 0..<`count` (a cache built with another vocabulary, or damaged),
  /// naming the file, the example and the id: such an id would index past the embedding.
  public static func requireIDs(in examples: [TokenizedExample], below count: Int, path: String) throws {
    for (index, example) in examples.enumerated() {
      for (field, ids) in [("prompt_tokens", example.prompt), ("response_tokens", example.response)] {
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= count }) {
          throw DatasetError(path: path, field: field, "example \(index) holds token id \(bad), outside the tokenizer's \(count) ids")
        }
      }
    }
  }

  /// Refuses pretraining block ids outside 0..<`count`, naming the file, block and id.
  public static func requireIDs(inBlocks tokens: [Int32], blockLength: Int, below count: Int, path: String) throws {
    if let position = tokens.firstIndex(where: { $0 < 0 || Int($0) >= count }) {
      throw DatasetError(path: path, field: "blocks", "block \(position / max(1, blockLength)) holds token id \(tokens[position]), outside the tokenizer's \(count) ids")
    }
  }

  /// Reads pretraining blocks as (tokens, blockLength).
  public static func readBlocks(_ path: String, tokenizerFingerprint: String) throws -> (
    tokens: [Int32], blockLength: Int
  ) {
    let root = try open(path, kind: "pretraining", tokenizerFingerprint: tokenizerFingerprint)
    let (tokens, shape) = try root.read("blocks", as: Int32.self)
    guard shape.count == 2 else { throw DatasetError(path: path, field: "blocks", "must be 2-D, is \(shape)") }
    return (tokens, shape[1])
  }

  // MARK: - Internals

  private static func writeAtomically(
    _ path: String, _ body: (HDF5Group) throws -> Void, header: (HDF5Group) throws -> Void
  ) throws {
    try HDF5File.writeAtomically(path, checksums: true) { root in
      try root.setAttribute("format", string: format)
      try root.setAttribute("format_version", value: version)
      try header(root)
      try body(root)
    }
  }

  private static func open(_ path: String, kind: String, tokenizerFingerprint: String) throws -> HDF5Group {
    let root = try HDF5File.open(path).root()
    guard try root.hasAttribute("format"), try root.stringAttribute("format") == format else {
      throw DatasetError(path: path, field: "format", "is not a minillm token cache")
    }
    let fileVersion = try root.scalarAttribute("format_version", as: Int64.self)
    guard fileVersion == version else {
      throw DatasetError(path: path, field: "format_version", "is \(fileVersion); this build reads version \(version)")
    }
    let fileKind = try root.stringAttribute("kind")
    guard fileKind == kind else {
      throw DatasetError(path: path, field: "kind", "holds \(fileKind) data, expected \(kind)")
    }
    let fingerprint = try root.stringAttribute("tokenizer_fingerprint")
    guard fingerprint == tokenizerFingerprint else {
      throw DatasetError(
        path: path, field: "tokenizer_fingerprint",
        "was built with tokenizer \(fingerprint), but this run uses tokenizer \(tokenizerFingerprint); run `minillm-dist data prepare` again")
    }
    return root
  }

  private static func writeRagged(_ root: HDF5Group, _ name: String, _ sequences: [[Int32]]) throws {
    var offsets: [Int64] = [0]
    var flat: [Int32] = []
    for sequence in sequences {
      flat += sequence
      offsets.append(Int64(flat.count))
    }
    try root.write("\(name)_tokens", array: flat, shape: [flat.count], options: HDF5DatasetOptions(deflateLevel: 1))
    try root.write("\(name)_offsets", array: offsets, shape: [offsets.count])
  }

  private static func readRagged(_ root: HDF5Group, _ name: String, path: String) throws -> [[Int32]] {
    let (flat, _) = try root.read("\(name)_tokens", as: Int32.self)
    let (offsets, _) = try root.read("\(name)_offsets", as: Int64.self)
    guard offsets.first == 0, offsets.last == Int64(flat.count),
      zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 })
    else {
      throw DatasetError(path: path, field: "\(name)_offsets", "are inconsistent with \(name)_tokens")
    }
    return (0..<(offsets.count - 1)).map { Array(flat[Int(offsets[$0])..<Int(offsets[$0 + 1])]) }
  }
}
