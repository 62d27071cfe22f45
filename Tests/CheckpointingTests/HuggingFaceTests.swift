// Parity with transformers: importing the tiny GPT-2 fixture gives transformers' logits, and
// export → import round-trips exactly. Bad directories fail naming the file and tensor.

import Checkpointing
import Foundation
import Model
import TestSupport
import XCTest

final class HuggingFaceTests: XCTestCase {
  func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
  }

  func logits(_ model: GPT, _ tokens: [Int32]) -> [Float] {
    let out = model.forward(TokenBatch(B: 1, T: tokens.count, tokens: tokens))
    return Array(UnsafeBufferPointer(start: out, count: tokens.count * model.config.paddedVocabSize))
  }

  func testImportGivesTransformersLogits() throws {
    let imported = try HuggingFaceGPT2.load(directory: fixture("tiny-gpt2"))
    XCTAssertEqual(imported.model.config.vocabSize, 1024)  // the tokenizer's size
    XCTAssertEqual(imported.model.config.paddedVocabSize, 1030)  // the model's rows
    XCTAssertEqual(imported.tokenizer?.count, 1024)
    let expected = try Safetensors.read(fixture("expected_logits.safetensors"))
    for i in 0..<3 {
      let tokens = expected["tokens_\(i)"]!.values.map { Int32($0) }
      let reference = expected["logits_\(i)"]!
      XCTAssertEqual(reference.shape, [tokens.count, 1030])
      let ours = logits(imported.model, tokens)
      // Compare the real vocabulary; padded columns are never used.
      var worst: Float = 0
      for t in 0..<tokens.count {
        for v in 0..<1024 { worst = max(worst, abs(ours[t * 1030 + v] - reference.values[t * 1030 + v])) }
      }
      XCTAssertLessThanOrEqual(worst, 1e-4, "sequence \(i): max abs diff \(worst)")
    }
  }

  func testExportThenImportRoundTripsExactly() throws {
    let imported = try HuggingFaceGPT2.load(directory: fixture("tiny-gpt2"))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try HuggingFaceGPT2.save(model: imported.model, tokenizer: imported.tokenizer, to: directory)
    let again = try HuggingFaceGPT2.load(directory: directory)
    XCTAssertEqual(Array(again.model.parameters.storage), Array(imported.model.parameters.storage))
    XCTAssertEqual(again.model.config, imported.model.config)
    XCTAssertEqual(again.tokenizer?.fingerprint, imported.tokenizer?.fingerprint)
  }

  func testBadDirectoriesNameTheFileAndTensor() throws {
    let source = fixture("tiny-gpt2")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hf-bad-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.copyItem(atPath: source, toPath: directory)
    // A missing tensor.
    var tensors = try Safetensors.read(directory + "/model.safetensors")
    tensors["transformer.h.1.mlp.c_fc.bias"] = nil
    try Safetensors.write(tensors, to: directory + "/model.safetensors")
    XCTAssertThrowsError(try HuggingFaceGPT2.load(directory: directory)) { error in
      let error = error as? CheckpointError
      XCTAssertEqual(error?.path, directory + "/model.safetensors")
      XCTAssertEqual(error?.item, "transformer.h.1.mlp.c_fc.bias")
    }
    // A wrong shape.
    tensors = try Safetensors.read(source + "/model.safetensors")
    tensors["transformer.h.0.attn.c_attn.weight"] = NamedTensor(shape: [96, 32], values: [Float](repeating: 0, count: 96 * 32))
    try Safetensors.write(tensors, to: directory + "/model.safetensors")
    XCTAssertThrowsError(try HuggingFaceGPT2.load(directory: directory)) { error in
      XCTAssertEqual((error as? CheckpointError)?.item, "transformer.h.0.attn.c_attn.weight")
      XCTAssertTrue(String(describing: error).contains("[96, 32]"))
    }
    // A truncated weights file.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: source + "/model.safetensors"))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
    XCTAssertThrowsError(try HuggingFaceGPT2.load(directory: directory)) { error in
      XCTAssertEqual((error as? CheckpointError)?.path, directory + "/model.safetensors")
    }
  }

  /// Headers the fuzzing harness found crashing the reader (Tests/fuzz/regressions/safetensors):
  /// negative or overflowing dimensions, and shapes whose element count would be allocated
  /// before the byte count was checked. Each must be refused, naming the tensor.
  func testCraftedShapesAndOffsetsAreRefusedBeforeAllocating() throws {
    let directory = NSTemporaryDirectory() + "safetensors-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let cases: [(entry: String, needle: String)] = [
      (#"{"dtype": "F32", "shape": [4, -9223372036854775808], "data_offsets": [0, 48]}"#, "negative dimension"),
      (#"{"dtype": "BF16", "shape": [-1], "data_offsets": [0, 6]}"#, "negative dimension"),
      (#"{"dtype": "F32", "shape": [2147483648, 3], "data_offsets": [0, 48]}"#, "bytes expected"),
      (#"{"dtype": "F32", "shape": [4, 2147483648], "data_offsets": [0, 48]}"#, "bytes expected"),
      (#"{"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 48]}"#, "more elements than can be addressed"),
      (#"{"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}"#, "outside the file's data section"),
      (#"{"dtype": "F32", "shape": [2], "data_offsets": [0, 9223372036854775807]}"#, "outside the file's data section"),
    ]
    for (index, item) in cases.enumerated() {
      let header = Data(#"{"w": \#(item.entry)}"#.utf8)
      var file = Data()
      withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
      file.append(header)
      file.append(Data(repeating: 0, count: 48))
      let path = directory + "/case-\(index).safetensors"
      try file.write(to: URL(fileURLWithPath: path))
      XCTAssertThrowsError(try Safetensors.read(path), item.entry) { error in
        let text = String(describing: error)
        XCTAssertTrue(text.contains(path) && text.contains("w") && text.contains(item.needle), text)
      }
    }
  }
}
