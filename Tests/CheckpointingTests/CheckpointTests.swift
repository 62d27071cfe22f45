// Checkpoint files: full round trip, retention, newest-valid selection, and bad input that
// must fail naming the file and the tensor.

import Checkpointing
import Datasets
import Foundation
import HDF5
import Model
import Optim
import XCTest

final class CheckpointTests: XCTestCase {
  var directory: String!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

  func makeCheckpoint(step: Int = 7, vocab: Int = 50) throws -> (GPT, AdamW, TrainingState) {
    let model = try GPT(config: GPTConfig(vocabSize: vocab, contextLength: 16, dModel: 16, nLayer: 2, nHead: 2))
    model.initializeGPT2(seed: UInt64(step))
    let optimizer = AdamW(layout: model.layout)
    for i in model.gradients.storage.indices { model.gradients.storage[i] = Float(i % 13) * 0.01 - 0.05 }
    optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: 1e-3)
    let state = TrainingState(
      step: step, stage: "sft", method: "sft", runConfigJSON: #"{"note": "test"}"#,
      schedule: .cosine(1e-3, warmupSteps: 2, totalSteps: 20, floor: 1e-4),
      ranks: [RankState(generator: [1, 2, 3, 4], cursor: .init(epoch: 1, position: 5)),
              RankState(generator: [5, 6, 7, 8], cursor: .init(epoch: 1, position: 6))],
      metrics: ["train_loss": [3.5, 3.25, 3.0]], promptTemplate: .compact)
    return (model, optimizer, state)
  }

  func testRoundTripRestoresEverything() throws {
    let (model, optimizer, state) = try makeCheckpoint()
    let path = directory + "/a.h5"
    try Checkpoint.write(to: path, model: model, optimizer: optimizer, state: state, tokenizerJSON: "{\"x\": 1}")
    XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    let loaded = try Checkpoint.read(path)
    XCTAssertEqual(loaded.model.config, model.config)
    XCTAssertEqual(Array(loaded.model.parameters.storage), Array(model.parameters.storage))
    XCTAssertEqual(Array(loaded.optimizer.m.storage), Array(optimizer.m.storage))
    XCTAssertEqual(Array(loaded.optimizer.v.storage), Array(optimizer.v.storage))
    XCTAssertEqual(loaded.optimizer.step, 1)
    XCTAssertEqual(loaded.state.step, 7)
    XCTAssertEqual(loaded.state.ranks, state.ranks)
    XCTAssertEqual(loaded.state.metrics, state.metrics)
    XCTAssertEqual(loaded.state.schedule, state.schedule)
    XCTAssertEqual(loaded.state.runConfigJSON, state.runConfigJSON)
    XCTAssertEqual(loaded.state.promptTemplate, .compact)
    XCTAssertEqual(loaded.tokenizerJSON, "{\"x\": 1}")
  }

  func testStoreKeepsLastKAndBestAndSkipsCorruptFiles() throws {
    let store = try CheckpointStore(runDirectory: directory, keepLast: 2)
    for (step, loss) in [(10, 2.0), (20, 1.0), (30, 1.5), (40, 1.7)] {
      let (model, optimizer, state) = try makeCheckpoint(step: step)
      try Checkpoint.write(to: store.path(step: step), model: model, optimizer: optimizer, state: state, tokenizerJSON: nil)
      try store.recordMetric(loss, for: store.path(step: step))
      store.prune()
    }
    XCTAssertEqual(store.existing().map(\.step), [40, 30, 20])  // last 2 plus the best (20)
    XCTAssertEqual(store.best, store.path(step: 20))
    // A truncated newest file and a leftover temporary are skipped.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path(step: 40)))
    try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: store.path(step: 50)))
    try Data("partial".utf8).write(to: URL(fileURLWithPath: store.path(step: 60) + ".tmp"))
    XCTAssertEqual(try store.newestValid(), store.path(step: 40))
    // A newest checkpoint that opens but lacks a tensor is skipped too, for the previous one.
    try FileManager.default.copyItem(atPath: store.path(step: 40), toPath: store.path(step: 45))
    let incomplete = try HDF5File.open(store.path(step: 45), access: .readWrite)
    try incomplete.root().openGroup("model").remove("fc_w")
    try incomplete.close()
    XCTAssertEqual(try store.newestValid(), store.path(step: 40))
    XCTAssertEqual(store.step(of: store.path(step: 40)), 40)
  }

  func testTiesOnTheMetricGoToTheLowerTieBreakThenTheEarlierCheckpoint() throws {
    let store = try CheckpointStore(runDirectory: directory + "/ties", keepLast: 10)
    for step in [1, 2, 3, 4] { try Data("x".utf8).write(to: URL(fileURLWithPath: store.path(step: step))) }
    try store.recordMetric(-1, tieBreak: 2.5, for: store.path(step: 1))
    try store.recordMetric(-1, tieBreak: 1.5, for: store.path(step: 2))  // same metric, lower loss
    XCTAssertEqual(store.best, store.path(step: 2))
    try store.recordMetric(-1, tieBreak: 1.5, for: store.path(step: 3))  // a full tie: the earlier stays
    XCTAssertEqual(store.best, store.path(step: 2))
    try store.recordMetric(-2, tieBreak: 9, for: store.path(step: 4))  // a better metric wins whatever its loss
    XCTAssertEqual(store.best, store.path(step: 4))
  }

  func testResumeAutoRefusesWhenCheckpointsExistButNoneReads() throws {
    let store = try CheckpointStore(runDirectory: directory + "/unreadable", keepLast: 3)
    XCTAssertNil(try store.newestValid(), "an empty folder means a fresh start")
    let (model, optimizer, state) = try makeCheckpoint(step: 10)
    try Checkpoint.write(to: store.path(step: 10), model: model, optimizer: optimizer, state: state, tokenizerJSON: nil)
    for step in [10, 20] {  // both truncated: files exist, none reads
      let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path(step: 10)))
      try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: store.path(step: step)))
    }
    XCTAssertThrowsError(try store.newestValid()) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains(store.directory) && text.contains("2 checkpoint file(s) but none reads"), text)
    }
    XCTAssertEqual(store.existing().count, 2, "nothing was removed")
  }

  /// Flips one byte at a time at positions spread over the whole file (every 89th byte, and
  /// 64 bytes in a row in the middle): each corrupted copy either fails to read or reads back
  /// exactly what was written. Never a silent change.
  func testCorruptionAnywhereIsDetectedOrHarmless() throws {
    let (model, optimizer, state) = try makeCheckpoint()
    let good = directory + "/good.h5"
    try Checkpoint.write(to: good, model: model, optimizer: optimizer, state: state, tokenizerJSON: "{\"t\": 1}")
    let original = try Data(contentsOf: URL(fileURLWithPath: good))
    let reference = try Checkpoint.read(good)
    let copy = directory + "/flipped.h5"
    var detected = 0, harmless = 0
    var patterns: [[Int]] = stride(from: 0, to: original.count, by: 89).map { [$0] }
    patterns.append(Array(original.count / 2..<original.count / 2 + 64))
    for positions in patterns {
      var bytes = original
      for position in positions { bytes[position] ^= 0xA5 }
      try bytes.write(to: URL(fileURLWithPath: copy))
      let loaded: LoadedCheckpoint
      do {
        loaded = try Checkpoint.read(copy)
      } catch {
        detected += 1
        // A damaged checkpoint is reported as damaged, never as "not a checkpoint" or as one
        // without a tensor (HDF5's existence checks fail on a corrupt header; they used to read
        // as "absent").
        let text = String(describing: error)
        XCTAssertFalse(
          text.contains("is not a minillm checkpoint") || text.hasSuffix(": missing"),
          "bytes \(positions.first!)… damaged the file but the error says otherwise: \(text)")
        continue
      }
      harmless += 1
      let same = Array(loaded.model.parameters.storage) == Array(reference.model.parameters.storage)
        && Array(loaded.optimizer.m.storage) == Array(reference.optimizer.m.storage)
        && Array(loaded.optimizer.v.storage) == Array(reference.optimizer.v.storage)
        && loaded.optimizer.step == reference.optimizer.step && loaded.state.step == reference.state.step
        && loaded.state.ranks == reference.state.ranks && loaded.state.metrics == reference.state.metrics
        && loaded.state.schedule == reference.state.schedule && loaded.state.runConfigJSON == reference.state.runConfigJSON
        && loaded.state.stage == reference.state.stage && loaded.state.method == reference.state.method
        && loaded.state.promptTemplate == reference.state.promptTemplate && loaded.tokenizerJSON == reference.tokenizerJSON
        && loaded.model.config == reference.model.config
      XCTAssertTrue(same, "bytes \(positions.first!)…\(positions.last!) of \(original.count) changed what was read, silently")
    }
    XCTAssertGreaterThan(detected, patterns.count / 2, "most of the file is checksummed data or metadata")
    print("corruption sweep: \(detected) detected, \(harmless) harmless of \(patterns.count) patterns")
  }

  func testBadInputNamesTheFileAndTensor() throws {
    let (model, optimizer, state) = try makeCheckpoint()
    let good = directory + "/good.h5"
    try Checkpoint.write(to: good, model: model, optimizer: optimizer, state: state, tokenizerJSON: nil)
    func expectFailure(_ path: String, mentions needle: String, file: StaticString = #filePath, line: UInt = #line) {
      XCTAssertThrowsError(try Checkpoint.read(path), file: file, line: line) { error in
        let text = String(describing: error)
        XCTAssertTrue(text.contains(path), "error does not name the file: \(text)", file: file, line: line)
        XCTAssertTrue(text.contains(needle), "error does not mention \(needle): \(text)", file: file, line: line)
      }
    }
    // Truncated.
    let truncated = directory + "/truncated.h5"
    let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    XCTAssertThrowsError(try Checkpoint.read(truncated)) { XCTAssertTrue(String(describing: $0).contains(truncated)) }
    // Wrong version, missing tensor, wrong shape: edit copies with the HDF5 layer.
    func edited(_ name: String, _ edit: (HDF5Group) throws -> Void) throws -> String {
      let path = directory + "/\(name).h5"
      try FileManager.default.copyItem(atPath: good, toPath: path)
      let file = try HDF5File.open(path, access: .readWrite)
      try edit(try file.root())
      try file.close()
      return path
    }
    expectFailure(try edited("version") { try $0.setAttribute("format_version", value: Int64(99)) }, mentions: "format_version")
    expectFailure(try edited("missing") { root in
      let group = try root.openGroup("model")
      try group.remove("fc_w")
    }, mentions: "model/fc_w")
    expectFailure(try edited("shape") { root in
      let group = try root.openGroup("optimizer/m")
      try group.remove("qkv_b")
      try group.write("qkv_b", array: [Float](repeating: 0, count: 10), shape: [10])
    }, mentions: "optimizer/m/qkv_b")
    // Crafted counts: refused by name before anything uses them.
    expectFailure(try edited("position") { try $0.openGroup("ranks/0").setAttribute("position", value: Int64(-5)) }, mentions: "ranks/0@position")
    expectFailure(try edited("world") { try $0.setAttribute("world_size", value: Int64(-3)) }, mentions: "world_size")
    expectFailure(try edited("step") { try $0.setAttribute("step", value: Int64(-1)) }, mentions: "step")
    expectFailure(try edited("huge") { root in
      try root.openGroup("config").remove("model")
      try root.openGroup("config").writeString("model", #"{"vocab_size": 50, "context_length": 16, "d_model": 4000000, "n_layer": 2, "n_head": 2}"#)
    }, mentions: "GB of weights and gradients")
  }

  func testTeacherAndStudentMustShareTheTokenizer() throws {
    let tokenizer = try String(contentsOfFile: Bundle.module.url(forResource: "Fixtures/tiny-gpt2/tokenizer.json", withExtension: nil)!.path, encoding: .utf8)
    let (model, optimizer, state) = try makeCheckpoint(vocab: 1024)
    let teacher = directory + "/teacher.h5"
    try Checkpoint.write(to: teacher, model: model, optimizer: optimizer, state: state, tokenizerJSON: tokenizer)
    let other = tokenizer.replacingOccurrences(of: "<|pad|>", with: "<|padding|>")
    let student = directory + "/student.h5"
    try Checkpoint.write(to: student, model: model, optimizer: optimizer, state: state, tokenizerJSON: other)
    XCTAssertNoThrow(try Compatibility.requireDistillable(
      teacher: Checkpoint.read(teacher), teacherPath: teacher, student: Checkpoint.read(teacher), studentPath: teacher))
    XCTAssertThrowsError(try Compatibility.requireDistillable(
      teacher: Checkpoint.read(teacher), teacherPath: teacher, student: Checkpoint.read(student), studentPath: student)) { error in
      XCTAssertEqual((error as? CheckpointError)?.path, student)
      XCTAssertEqual((error as? CheckpointError)?.item, "tokenizer")
    }
  }
}
