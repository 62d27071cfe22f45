// The transformer's shape: a Codable value with snake_case keys, validated once.

import Foundation

/// The architecture of a decoder-only transformer of the GPT-2 family.
///
/// Keys on disk are snake_case (`vocab_size`, `context_length`, …). Call `validate()` after
/// decoding; the model refuses an invalid config.
public struct GPTConfig: Codable, Sendable, Equatable {
  /// Number of real tokens in the vocabulary.
  public var vocabSize: Int
  /// Longest sequence (prompt + response) the position embedding covers.
  public var contextLength: Int
  /// Width of the residual stream (C).
  public var dModel: Int
  /// Number of transformer blocks (L).
  public var nLayer: Int
  /// Number of attention heads (NH); must divide `dModel`.
  public var nHead: Int
  /// Vocabulary rows actually stored, rounded up for fast matmuls (≥ vocabSize). Extra rows are
  /// never predicted: their logits are masked out of every softmax.
  public var paddedVocabSize: Int
  /// Standard deviation of the normal initialization (GPT-2: 0.02).
  public var initStd: Float

  enum CodingKeys: String, CodingKey {
    case vocabSize = "vocab_size"
    case contextLength = "context_length"
    case dModel = "d_model"
    case nLayer = "n_layer"
    case nHead = "n_head"
    case paddedVocabSize = "padded_vocab_size"
    case initStd = "init_std"
  }

  /// - Parameter padVocabTo: round `paddedVocabSize` up to a multiple of this (default 64).
  public init(
    vocabSize: Int, contextLength: Int, dModel: Int, nLayer: Int, nHead: Int,
    padVocabTo: Int = 64, initStd: Float = 0.02
  ) {
    self.vocabSize = vocabSize
    self.contextLength = contextLength
    self.dModel = dModel
    self.nLayer = nLayer
    self.nHead = nHead
    self.paddedVocabSize = (vocabSize + padVocabTo - 1) / padVocabTo * padVocabTo
    self.initStd = initStd
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    vocabSize = try c.decode(Int.self, forKey: .vocabSize)
    contextLength = try c.decode(Int.self, forKey: .contextLength)
    dModel = try c.decode(Int.self, forKey: .dModel)
    nLayer = try c.decode(Int.self, forKey: .nLayer)
    nHead = try c.decode(Int.self, forKey: .nHead)
    paddedVocabSize = try c.decodeIfPresent(Int.self, forKey: .paddedVocabSize) ?? vocabSize
    initStd = try c.decodeIfPresent(Float.self, forKey: .initStd) ?? 0.02
  }

  /// Width of one attention head.
  public var headSize: Int { dModel / nHead }

  /// Parameters stored (padded vocabulary rows included), or nil when the count overflows an
  /// Int: Vp·C + T·C (embeddings), L·(12C² + 13C) (blocks), 2C (final LayerNorm).
  public var parameterCount: Int? {
    func product(_ factors: Int...) -> Int? {
      var result = 1
      for factor in factors {
        let (value, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        result = value
      }
      return result
    }
    guard let embeddings = product(paddedVocabSize + contextLength, dModel),
      let square = product(12, dModel, dModel), let perLayer = Optional(square + 13 * dModel),
      let blocks = product(nLayer, perLayer)
    else { return nil }
    let (total, overflow) = embeddings.addingReportingOverflow(blocks + 2 * dModel)
    return overflow ? nil : total
  }

  /// Bytes the model allocates for itself: fp32 weights and gradients.
  public static let bytesPerParameter = 8

  /// Throws `GPTConfigError` naming the first field that is out of range.
  public func validate() throws {
    func require(_ ok: Bool, _ field: String, _ message: String) throws {
      if !ok { throw GPTConfigError(field: field, message: message) }
    }
    try require(vocabSize >= 2, "vocab_size", "must be ≥ 2, got \(vocabSize)")
    try require(
      paddedVocabSize >= vocabSize, "padded_vocab_size",
      "must be ≥ vocab_size (\(vocabSize)), got \(paddedVocabSize)")
    try require(contextLength >= 1, "context_length", "must be ≥ 1, got \(contextLength)")
    try require(dModel >= 1, "d_model", "must be ≥ 1, got \(dModel)")
    try require(nLayer >= 1, "n_layer", "must be ≥ 1, got \(nLayer)")
    try require(nHead >= 1, "n_head", "must be ≥ 1, got \(nHead)")
    try require(
      dModel % nHead == 0, "n_head", "must divide d_model (\(dModel)), got \(nHead)")
    try require(initStd > 0 && initStd.isFinite, "init_std", "must be > 0, got \(initStd)")
    // Checked before anything is allocated: a mistyped size (or a crafted checkpoint) is an
    // error naming the shape, not an allocation of petabytes.
    let memory = MachineMemory.physicalBytes
    guard let count = parameterCount, count <= memory / Self.bytesPerParameter else {
      let described = parameterCount.map { "\($0) parameters, \(Self.gigabytes($0 * Self.bytesPerParameter)) GB of weights and gradients" } ?? "more parameters than an Int holds"
      throw GPTConfigError(
        field: "d_model",
        message: "\(dModel) with n_layer \(nLayer), context_length \(contextLength) and \(paddedVocabSize) vocabulary rows needs \(described); this machine has \(Self.gigabytes(memory)) GB")
    }
  }

  private static func gigabytes(_ bytes: Int) -> String {
    let value = Double(bytes) / 1_073_741_824
    return value < 10 ? String(format: "%.2f", value) : String(Int(value.rounded()))
  }
}

/// A config field outside its valid range.
public struct GPTConfigError: Error, CustomStringConvertible, Sendable {
  public var field: String
  public var message: String
  public var description: String { "invalid model config: \(field) \(message)" }
}
