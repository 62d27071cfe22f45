// The model's named parameter tensors, their shapes, and where each lives in the flat arena.

/// Every parameter tensor of the GPT-2 family, in storage order. Per-layer tensors are stacked
/// over layers (leading dimension L).
public enum ParameterTensor: String, CaseIterable, Sendable {
  case tokenEmbedding = "wte"  // (Vp, C), tied with the LM head
  case positionEmbedding = "wpe"  // (maxT, C)
  case ln1Weight = "ln1_w"  // (L, C)
  case ln1Bias = "ln1_b"  // (L, C)
  case qkvWeight = "qkv_w"  // (L, 3C, C)
  case qkvBias = "qkv_b"  // (L, 3C)
  case attentionProjectionWeight = "attn_proj_w"  // (L, C, C)
  case attentionProjectionBias = "attn_proj_b"  // (L, C)
  case ln2Weight = "ln2_w"  // (L, C)
  case ln2Bias = "ln2_b"  // (L, C)
  case fcWeight = "fc_w"  // (L, 4C, C)
  case fcBias = "fc_b"  // (L, 4C)
  case fcProjectionWeight = "fc_proj_w"  // (L, C, 4C)
  case fcProjectionBias = "fc_proj_b"  // (L, C)
  case finalNormWeight = "lnf_w"  // (C)
  case finalNormBias = "lnf_b"  // (C)

  /// The tensor's shape for `config`.
  public func shape(_ config: GPTConfig) -> [Int] {
    let C = config.dModel
    let L = config.nLayer
    switch self {
    case .tokenEmbedding: return [config.paddedVocabSize, C]
    case .positionEmbedding: return [config.contextLength, C]
    case .ln1Weight, .ln1Bias, .ln2Weight, .ln2Bias, .attentionProjectionBias, .fcProjectionBias:
      return [L, C]
    case .qkvWeight: return [L, 3 * C, C]
    case .qkvBias: return [L, 3 * C]
    case .attentionProjectionWeight: return [L, C, C]
    case .fcWeight: return [L, 4 * C, C]
    case .fcBias: return [L, 4 * C]
    case .fcProjectionWeight: return [L, C, 4 * C]
    case .finalNormWeight, .finalNormBias: return [C]
    }
  }

  /// Whether AdamW applies weight decay (matrices and embeddings yes; norms and biases no).
  public var decays: Bool {
    switch self {
    case .tokenEmbedding, .positionEmbedding, .qkvWeight, .attentionProjectionWeight, .fcWeight,
      .fcProjectionWeight:
      return true
    default: return false
    }
  }

  /// True for tensors stacked over layers (leading dimension L).
  public var isPerLayer: Bool {
    switch self {
    case .tokenEmbedding, .positionEmbedding, .finalNormWeight, .finalNormBias: return false
    default: return true
    }
  }

  /// True for the projections that write into the residual stream (GPT-2 scales their init).
  public var isResidualProjection: Bool {
    self == .attentionProjectionWeight || self == .fcProjectionWeight
  }
}

/// Offsets and sizes of every tensor in one flat buffer.
public struct ParameterLayout: Sendable {
  public let config: GPTConfig
  /// Offset of each tensor, indexed like `ParameterTensor.allCases`.
  public let offsets: [Int]
  public let counts: [Int]
  /// Total number of floats.
  public let totalCount: Int

  public init(config: GPTConfig) {
    self.config = config
    var offsets: [Int] = []
    var counts: [Int] = []
    var offset = 0
    for tensor in ParameterTensor.allCases {
      let count = tensor.shape(config).reduce(1, *)
      offsets.append(offset)
      counts.append(count)
      offset += count
    }
    self.offsets = offsets
    self.counts = counts
    self.totalCount = offset
  }

  private func index(_ tensor: ParameterTensor) -> Int {
    ParameterTensor.allCases.firstIndex(of: tensor)!
  }

  public func offset(_ tensor: ParameterTensor) -> Int { offsets[index(tensor)] }
  public func count(_ tensor: ParameterTensor) -> Int { counts[index(tensor)] }

  /// Floats per layer of a per-layer tensor (its count divided by L).
  public func perLayerCount(_ tensor: ParameterTensor) -> Int { count(tensor) / config.nLayer }

  /// Parameters a user would count: padded vocabulary rows excluded.
  public var effectiveParameterCount: Int {
    totalCount - (config.paddedVocabSize - config.vocabSize) * config.dModel
  }
}
