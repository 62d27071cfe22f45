// Byte-level BPE against the `tokenizers` reference: exact ids on 339 varied strings, round
// trips, save/load, training, and errors for files we cannot use.

import Foundation
import Tokenizers
import XCTest

final class BPETokenizerTests: XCTestCase {
  struct Case: Decodable {
    var text: String
    var ids: [Int32]
  }

  func fixture(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
  }

  func loadReference() throws -> BPETokenizer {
    try BPETokenizer.load(contentsOf: fixture("tokenizer.json").path)
  }

  func cases() throws -> [Case] {
    try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixture("expected.json")))
  }

  func testIdsMatchTheReferenceExactly() throws {
    let tokenizer = try loadReference()
    let cases = try cases()
    XCTAssertGreaterThan(cases.count, 300)
    var mismatches = 0
    for c in cases where tokenizer.encode(c.text) != c.ids {
      mismatches += 1
      if mismatches <= 5 {
        XCTFail("\(c.text.debugDescription): ours \(tokenizer.encode(c.text)), reference \(c.ids)")
      }
    }
    XCTAssertEqual(mismatches, 0)
  }

  func testDecodeInvertsEncode() throws {
    let tokenizer = try loadReference()
    for c in try cases() {
      XCTAssertEqual(try tokenizer.decode(tokenizer.encode(c.text)), c.text)
    }
    XCTAssertEqual(try tokenizer.decode(tokenizer.encode("a<|endoftext|>b"), skipSpecialTokens: true), "ab")
    XCTAssertThrowsError(try tokenizer.decode([5000]))
  }

  func testSpecialTokensAreNeverSplit() throws {
    let tokenizer = try loadReference()
    let eos = try XCTUnwrap(tokenizer.specialTokenID("<|endoftext|>"))
    let ids = tokenizer.encode("x<|endoftext|><|endoftext|>y")
    XCTAssertEqual(ids.filter { $0 == eos }.count, 2)
    XCTAssertEqual(ids.count, 4)
  }

  /// A mark that Swift glues into one `Character` with the special token's last `>` (or a
  /// prepend character before its `<`) must not hide the special token: `tokenizers` gives the
  /// special id, then the mark's bytes.
  func testASpecialTokenNextToACombiningMarkIsStillSpecial() throws {
    let tokenizer = try loadReference()
    let eos = try XCTUnwrap(tokenizer.specialTokenID("<|endoftext|>"))
    for (neighbour, after) in [("\u{301}", true), ("\u{200D}", true), ("\u{FE0F}", true), ("\u{1F3FD}", true), ("\u{600}", false)] {
      let text = after ? "a<|endoftext|>" + neighbour + "b" : "a" + neighbour + "<|endoftext|>b"
      let ids = tokenizer.encode(text)
      XCTAssertEqual(ids.filter { $0 == eos }.count, 1, "\(neighbour.unicodeScalars.map { String($0.value, radix: 16) })")
      let parts = ids.split(separator: eos, omittingEmptySubsequences: false).map(Array.init)
      XCTAssertEqual(parts.count, 2)
      let (left, right) = after ? ("a", neighbour + "b") : ("a" + neighbour, "b")
      XCTAssertEqual(parts[0], tokenizer.encode(left))
      XCTAssertEqual(parts[1], tokenizer.encode(right))
      XCTAssertEqual(try tokenizer.decode(ids), text)
    }
  }

  func testSaveAndReloadGivesTheSameTokenizer() throws {
    let reference = try loadReference()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try reference.save(to: path)
    let reloaded = try BPETokenizer.load(contentsOf: path)
    XCTAssertEqual(reloaded.vocabulary, reference.vocabulary)
    XCTAssertEqual(reloaded.merges.map { "\($0.0) \($0.1)" }, reference.merges.map { "\($0.0) \($0.1)" })
    XCTAssertEqual(reloaded.specialTokens, reference.specialTokens)
    XCTAssertEqual(reloaded.fingerprint, reference.fingerprint)
    for c in try cases() { XCTAssertEqual(reloaded.encode(c.text), c.ids) }
    // Field by field, the saved JSON carries what the reference file says.
    let ours = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    let theirs = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture("tokenizer.json"))) as! [String: Any]
    XCTAssertEqual((ours["model"] as! [String: Any])["vocab"] as! [String: Int], (theirs["model"] as! [String: Any])["vocab"] as! [String: Int])
    XCTAssertEqual(((ours["model"] as! [String: Any])["merges"] as! [[String]]), ((theirs["model"] as! [String: Any])["merges"] as! [[String]]))
  }

  func testByteLevelTable() {
    XCTAssertEqual(Set(ByteLevel.byteToCharacter).count, 256)
    XCTAssertEqual(ByteLevel.byteToCharacter[32], "Ġ")
    XCTAssertEqual(ByteLevel.byteToCharacter[10], "Ċ")
    XCTAssertEqual(ByteLevel.byteToCharacter[65], "A")
    XCTAssertEqual(ByteLevel.decode(ByteLevel.encode([0, 255, 32, 200])), [0, 255, 32, 200])
  }

  func testTrainingLearnsFrequentWordsAndRoundTrips() throws {
    let texts = Array(repeating: "the cat sat on the mat with the hat. the end.", count: 50) + ["naïve 🙂 中文"]
    let tokenizer = try BPETrainer.train(texts: texts, vocabularySize: 300)
    XCTAssertLessThanOrEqual(tokenizer.count, 300)
    XCTAssertGreaterThan(tokenizer.merges.count, 10)
    XCTAssertEqual(tokenizer.encode(" the").count, 1, "a frequent word should become one token")
    for text in texts + ["unseen wörds ✓", "<|endoftext|>tail"] {
      XCTAssertEqual(try tokenizer.decode(tokenizer.encode(text)), text)
    }
    let again = try BPETrainer.train(texts: texts, vocabularySize: 300)
    XCTAssertEqual(again.fingerprint, tokenizer.fingerprint)
    XCTAssertThrowsError(try BPETrainer.train(texts: texts, vocabularySize: 100))
  }

  func testUnusableFilesNameTheFileAndField() throws {
    func expectError(_ json: String, field: String, file: StaticString = #filePath, line: UInt = #line) {
      XCTAssertThrowsError(try BPETokenizer.load(json: Data(json.utf8), path: "bad.json"), file: file, line: line) { error in
        let error = error as? TokenizerError
        XCTAssertEqual(error?.path, "bad.json", file: file, line: line)
        XCTAssertEqual(error?.field, field, "\(String(describing: error))", file: file, line: line)
      }
    }
    let byteLevel = #""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}"#
    expectError("not json", field: "(root)")
    expectError(#"{"model": {"type": "WordPiece", "vocab": {}}, \#(byteLevel)}"#, field: "model.type")
    expectError(#"{\#(byteLevel)}"#, field: "model")
    // A vocabulary of the 256 byte symbols, ids 0…255, as JSON; `extra` entries are added.
    func bytes(_ extra: [String: Int] = [:], dropping dropped: String? = nil) -> String {
      var vocabulary: [String: Int] = [:]
      var next = 0
      for byte in 0...255 where String(ByteLevel.byteToCharacter[byte]) != dropped {
        vocabulary[String(ByteLevel.byteToCharacter[byte])] = next
        next += 1
      }
      vocabulary.merge(extra) { $1 }
      return String(decoding: try! JSONSerialization.data(withJSONObject: vocabulary, options: [.sortedKeys]), as: UTF8.self)
    }
    expectError(#"{"model": {"type": "BPE", "vocab": \#(bytes()), "merges": ["a b"]}, \#(byteLevel)}"#, field: "model.merges[0]")
    XCTAssertNoThrow(try BPETokenizer.load(json: Data(#"{"model": {"type": "BPE", "vocab": \#(bytes()), "merges": []}, \#(byteLevel)}"#.utf8)))
    // Silently wrong before: no merge list, a byte symbol missing, an id far past the others,
    // two tokens on one id, a special token on another token's id.
    expectError(#"{"model": {"type": "BPE", "vocab": \#(bytes())}, \#(byteLevel)}"#, field: "model.merges")
    expectError(#"{"model": {"type": "BPE", "vocab": \#(bytes()), "merges": {"a": "b"}}, \#(byteLevel)}"#, field: "model.merges")
    expectError(#"{"model": {"type": "BPE", "vocab": \#(bytes(dropping: "a")), "merges": []}, \#(byteLevel)}"#, field: "model.vocab")
    expectError(#"{"model": {"type": "BPE", "vocab": \#(bytes(["ab": 99999])), "merges": []}, \#(byteLevel)}"#, field: "model.vocab")
    expectError(#"{"model": {"type": "BPE", "vocab": \#(bytes(["ab": 5])), "merges": []}, \#(byteLevel)}"#, field: "model.vocab")
    expectError(
      #"{"model": {"type": "BPE", "vocab": \#(bytes()), "merges": []}, "added_tokens": [{"id": 3, "content": "<|x|>"}], \#(byteLevel)}"#,
      field: "added_tokens")
    expectError(#"{"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Whitespace"}}"#, field: "pre_tokenizer")
    expectError(#"{"model": {"type": "BPE", "vocab": {"a": 0}}, "normalizer": {"type": "NFC"}, \#(byteLevel)}"#, field: "normalizer")
    XCTAssertThrowsError(try BPETokenizer.load(contentsOf: "/nonexistent/tokenizer.json")) { error in
      XCTAssertEqual((error as? TokenizerError)?.path, "/nonexistent/tokenizer.json")
    }
  }
}
