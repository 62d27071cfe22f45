// Instruction data, the prompt template, pretraining blocks, the token cache and the sharded
// resumable sampler; real Dolly data (the committed excerpt in Tests/Fixtures/text) goes
// through the whole path.

import Datasets
import Foundation
import Tokenizers
import XCTest

final class DatasetsTests: XCTestCase {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  /// Excerpts of the real data sets (provenance and licences in its README.md).
  static let textFixtures = repository.appendingPathComponent("Tests/Fixtures/text")

  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func tokenizer() throws -> BPETokenizer {
    try BPETokenizer.load(
      contentsOf: Self.repository.appendingPathComponent("Tests/TokenizersTests/Fixtures/tokenizer.json").path)
  }

  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = directory.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// The prompt template as a Markdown document shows it: the code block whose first line starts
  /// with "Below is an instruction", either fenced (the line before it opens a ``` fence, the
  /// block runs to the closing ``` line) or indented (4-space-indented lines and blank lines).
  /// Trailing blank lines are dropped. nil when there is no such block.
  static func documentedTemplate(_ markdown: String) -> String? {
    let lines = markdown.components(separatedBy: "\n")
    let first = lines.firstIndex { $0.drop { $0 == " " }.hasPrefix("Below is an instruction") }
    guard let start = first else { return nil }
    var block: [String] = []
    if start > 0, lines[start - 1].hasPrefix("```"), !lines[start].hasPrefix(" ") {
      guard let end = lines[(start + 1)...].firstIndex(where: { $0.hasPrefix("```") }) else { return nil }
      block = Array(lines[start..<end])
    } else if lines[start].hasPrefix("    ") {
      for line in lines[start...] {
        if line.hasPrefix("    ") {
          block.append(String(line.dropFirst(4)))
        } else if line.isEmpty {
          block.append("")
        } else {
          break
        }
      }
    } else {
      return nil
    }
    while block.last == "" { block.removeLast() }
    return block.joined(separator: "\n")
  }

  func testTemplateMatchesTheMethodDocByteForByte() throws {
    let method = try String(
      contentsOf: Self.repository.appendingPathComponent("docs/method.md"), encoding: .utf8)
    let template = try XCTUnwrap(
      Self.documentedTemplate(method),
      "docs/method.md needs the prompt template in a ``` fenced (or 4-space-indented) block "
        + "whose first line starts \"Below is an instruction\"")
    let documented = template
      .replacingOccurrences(of: "{instruction}", with: "Name a color.")
      .replacingOccurrences(of: "{input}", with: "Context here.")
    XCTAssertEqual(PromptTemplate.alpaca.prompt(instruction: "Name a color.", input: "Context here."), documented + "\n")
    // Empty input: the "### Input:" block is left out.
    let withoutInput = documented.replacingOccurrences(of: "### Input:\nContext here.\n\n", with: "")
    XCTAssertEqual(PromptTemplate.alpaca.prompt(instruction: "Name a color.", input: ""), withoutInput + "\n")
    // The compact template is the same text from "### Instruction:" on.
    let blocks = try XCTUnwrap(documented.range(of: "### Instruction:"))
    XCTAssertEqual(PromptTemplate.compact.prompt(instruction: "Name a color.", input: "Context here."), String(documented[blocks.lowerBound...]) + "\n")
    XCTAssertEqual(PromptTemplate.compact.prompt(instruction: "Name a color.", input: ""), "### Instruction:\nName a color.\n\n### Response:\n")
  }

  func testBadLinesNameTheFileLineAndField() throws {
    func expect(_ content: [UInt8], line: Int, field: String?, _ message: String) throws {
      let path = try write("bad-\(line)-\(field ?? "none").jsonl", content)
      XCTAssertThrowsError(try InstructionRecord.readJSONL(path)) { error in
        guard let error = error as? DatasetError else { return XCTFail("\(error)") }
        XCTAssertEqual(error.path, path)
        XCTAssertEqual(error.line, line, message)
        XCTAssertEqual(error.field, field, message)
      }
    }
    let good = Array(#"{"instruction": "a", "input": "", "output": "b"}"#.utf8) + [10]
    try expect(good + Array("{not json\n".utf8), line: 2, field: nil, "malformed JSON")
    try expect(good + Array(#"{"instruction": "a"}"#.utf8), line: 2, field: "output", "missing field")
    try expect(good + good + Array(#"{"instruction": "a", "output": "  "}"#.utf8), line: 3, field: "output", "empty output")
    try expect(good + [0x7B, 0xFF, 0xFE, 0x7D], line: 2, field: nil, "invalid UTF-8")
    try expect(Array(#"{"instruction": 5, "output": "b"}"#.utf8), line: 1, field: "instruction", "wrong type")
    // Dolly's names and blank lines are accepted.
    let path = try write("dolly.jsonl", Array(#"{"instruction": "i", "context": "c", "response": "r"}"#.utf8) + [10, 10])
    XCTAssertEqual(try InstructionRecord.readJSONL(path), [InstructionRecord(instruction: "i", input: "c", output: "r")])
  }

  func testDollyThroughTheWholePath() throws {
    let dolly = Self.textFixtures.appendingPathComponent("dolly_valid_excerpt.jsonl").path
    let records = try InstructionRecord.readJSONL(dolly)
    // The first 300 records of dolly_valid.jsonl (Tests/Fixtures/text/README.md).
    XCTAssertEqual(records.count, 300)
    XCTAssertTrue(records.contains { !$0.input.isEmpty }, "some records have an input")
    let tokenizer = try tokenizer()
    let eos = try XCTUnwrap(tokenizer.specialTokenID("<|endoftext|>"))
    let data = TokenizedInstructions(records: records, template: .alpaca, tokenizer: tokenizer, eos: eos, maxPromptLength: 256, maxLength: 512)
    print("dolly_valid excerpt: \(records.count) records, \(data.examples.count) kept, \(data.droppedLongPrompts) dropped (prompt > 256 tokens), \(data.truncatedResponses) responses truncated")
    XCTAssertEqual(data.examples.count + data.droppedLongPrompts, records.count)
    XCTAssertGreaterThan(data.droppedLongPrompts, 0)
    for example in data.examples {
      XCTAssertLessThanOrEqual(example.prompt.count, 256)
      XCTAssertLessThanOrEqual(example.full.count, 512)
    }
    let untruncated = try XCTUnwrap(data.examples.first { $0.response.last == eos })
    XCTAssertEqual(try tokenizer.decode(untruncated.prompt).hasSuffix("### Response:\n"), true)

    // Batches: loss only on response tokens; targets are the next tokens.
    let batch = SequenceBatch(examples: Array(data.examples.prefix(4)), pad: eos)
    for (b, example) in data.examples.prefix(4).enumerated() {
      let masked = (0..<batch.T).filter { batch.lossMask[b * batch.T + $0] == 1 }
      XCTAssertEqual(masked.count, example.response.count)
      XCTAssertEqual(masked.map { batch.targets[b * batch.T + $0] }, example.response)
    }

    // Cache round trip, and refusal with another tokenizer.
    let cache = directory.appendingPathComponent("dolly.h5").path
    try TokenCache.write(data, to: cache, tokenizerFingerprint: tokenizer.fingerprint, source: dolly)
    XCTAssertEqual(try TokenCache.readInstructions(cache, tokenizerFingerprint: tokenizer.fingerprint), data.examples)
    XCTAssertThrowsError(try TokenCache.readInstructions(cache, tokenizerFingerprint: "0123")) { error in
      XCTAssertEqual((error as? DatasetError)?.field, "tokenizer_fingerprint")
    }
    XCTAssertThrowsError(try TokenCache.readBlocks(cache, tokenizerFingerprint: tokenizer.fingerprint)) { error in
      XCTAssertEqual((error as? DatasetError)?.field, "kind")
    }
  }

  func testPretrainingBlocksEndDocumentsWithEOS() throws {
    let tokenizer = try tokenizer()
    let eos = try XCTUnwrap(tokenizer.specialTokenID("<|endoftext|>"))
    let path = try write("corpus.txt", Array("First document\nline two.\n\n\nSecond one.\n   \nThird.\n".utf8))
    let corpus = try PretrainingCorpus(files: [path], tokenizer: tokenizer, eos: eos, blockLength: 4)
    XCTAssertEqual(corpus.documentCount, 3)
    let stream = tokenizer.encode("First document\nline two.") + [eos] + tokenizer.encode("Second one.") + [eos]
      + tokenizer.encode("Third.") + [eos]
    XCTAssertEqual(corpus.tokens, Array(stream.prefix(stream.count / 4 * 4)))
    XCTAssertEqual(corpus.block(1), stream[4..<8])
    let cache = directory.appendingPathComponent("blocks.h5").path
    try TokenCache.write(corpus, to: cache, tokenizerFingerprint: tokenizer.fingerprint, source: path)
    let (tokens, blockLength) = try TokenCache.readBlocks(cache, tokenizerFingerprint: tokenizer.fingerprint)
    XCTAssertEqual(tokens, corpus.tokens)
    XCTAssertEqual(blockLength, 4)
  }

  func testSamplerShardsAreDisjointCoverEverythingAndResumeExactly() {
    let count = 103
    for world in [1, 2, 4] {
      var seen: [Int] = []
      for rank in 0..<world {
        var sampler = ShardedSampler(count: count, rank: rank, worldSize: world, seed: 9)
        seen += sampler.next(sampler.perRankCount)
      }
      // Every index appears; only the wrap-around of the last round repeats a few.
      XCTAssertEqual(Set(seen), Set(0..<count))
      XCTAssertEqual(seen.count - count, (world - count % world) % world)
    }
    var straight = ShardedSampler(count: count, rank: 1, worldSize: 2, seed: 5)
    let expected = (0..<20).map { _ in straight.next(7) }
    var first = ShardedSampler(count: count, rank: 1, worldSize: 2, seed: 5)
    var resumedBatches = (0..<9).map { _ in first.next(7) }
    let saved = try! JSONDecoder().decode(SamplerCursor.self, from: JSONEncoder().encode(first.cursor))
    var resumed = ShardedSampler(count: count, rank: 1, worldSize: 2, seed: 5, cursor: saved)
    resumedBatches += (9..<20).map { _ in resumed.next(7) }
    XCTAssertEqual(resumedBatches, expected)
    XCTAssertGreaterThan(resumed.cursor.epoch, 0, "the test should cross an epoch boundary")
    XCTAssertNotEqual(
      ShardedSampler.permutation(count: count, seed: 5, epoch: 0),
      ShardedSampler.permutation(count: count, seed: 5, epoch: 1))
  }
}
