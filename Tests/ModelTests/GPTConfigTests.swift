// Config validation names the bad field; snake_case JSON round-trips; parameter layout counts.

import Foundation
import Model
import XCTest

final class GPTConfigTests: XCTestCase {
  func testValidationNamesTheField() {
    var config = GPTConfig(vocabSize: 100, contextLength: 32, dModel: 30, nLayer: 2, nHead: 4)
    XCTAssertThrowsError(try config.validate()) { error in
      XCTAssertEqual((error as? GPTConfigError)?.field, "n_head")
    }
    config.nHead = 3
    XCTAssertNoThrow(try config.validate())
    config.paddedVocabSize = 99
    XCTAssertThrowsError(try config.validate()) { error in
      XCTAssertEqual((error as? GPTConfigError)?.field, "padded_vocab_size")
    }
    XCTAssertThrowsError(try GPT(config: GPTConfig(vocabSize: 1, contextLength: 8, dModel: 8, nLayer: 1, nHead: 1)))
  }

  func testSnakeCaseJSONRoundTrip() throws {
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, dModel: 768, nLayer: 12, nHead: 12)
    XCTAssertEqual(config.paddedVocabSize, 50304)
    let json = try JSONEncoder().encode(config)
    let text = String(decoding: json, as: UTF8.self)
    XCTAssertTrue(text.contains("\"vocab_size\":50257"))
    XCTAssertTrue(text.contains("\"n_layer\":12"))
    XCTAssertEqual(try JSONDecoder().decode(GPTConfig.self, from: json), config)
    let minimal = #"{"vocab_size": 10, "context_length": 4, "d_model": 8, "n_layer": 1, "n_head": 2}"#
    let decoded = try JSONDecoder().decode(GPTConfig.self, from: Data(minimal.utf8))
    XCTAssertEqual(decoded.paddedVocabSize, 10)
    XCTAssertEqual(decoded.initStd, 0.02)
  }

  func testGPT2SmallHasTheKnownParameterCount() {
    // GPT-2 small: 124,439,808 parameters with the unpadded 50,257-token vocabulary.
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, dModel: 768, nLayer: 12, nHead: 12)
    XCTAssertEqual(ParameterLayout(config: config).effectiveParameterCount, 124_439_808)
  }

  func testInitializationIsSeededAndScaled() throws {
    let config = GPTConfig(vocabSize: 64, contextLength: 16, dModel: 64, nLayer: 4, nHead: 4)
    let a = try GPT(config: config)
    let b = try GPT(config: config)
    a.initializeGPT2(seed: 1)
    b.initializeGPT2(seed: 1)
    XCTAssertEqual(Array(a.parameters.storage), Array(b.parameters.storage))
    func std(_ tensor: ParameterTensor) -> Double {
      let values = a.parameters.buffer(tensor).map(Double.init)
      let mean = values.reduce(0, +) / Double(values.count)
      return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
    }
    XCTAssertEqual(std(.fcWeight), 0.02, accuracy: 0.001)
    XCTAssertEqual(std(.fcProjectionWeight), 0.02 / (8.0).squareRoot(), accuracy: 0.0005)
    XCTAssertEqual(Set(a.parameters.buffer(.ln1Weight)), [1])
    XCTAssertEqual(Set(a.parameters.buffer(.qkvBias)), [0])
  }
}
