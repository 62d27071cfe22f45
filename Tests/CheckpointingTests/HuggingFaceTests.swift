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
}
