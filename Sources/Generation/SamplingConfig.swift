// Decoding settings: temperature, top-k, top-p, no-repeat n-grams, EOS and length.

/// How the next token is chosen. The defaults are plain sampling from the model (the
/// MiniLLM evaluation protocol adds `noRepeatNgramSize = 6`).
public struct SamplingConfig: Codable, Sendable, Equatable {
  /// Divides the logits; 0 means greedy (argmax).
  public var temperature: Float
  /// Keep only the k most likely tokens; 0 keeps all.
  public var topK: Int
  /// Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.
  public var topP: Float
  /// Never produce a token that would repeat an n-gram of this size already in the sequence
  /// (prompt included unless `noRepeatSeesPrompt` is false); 0 disables.
  public var noRepeatNgramSize: Int
  /// Whether the no-repeat ban counts n-grams of the prompt (Hugging Face's behaviour, and the
  /// default) or only of the response, so an answer may copy the prompt.
  public var noRepeatSeesPrompt: Bool
  /// Stop a sequence after it produces this token (the token is kept in the output).
  public var eosToken: Int32?
  /// Most tokens generated per sequence.
  public var maxNewTokens: Int

  enum CodingKeys: String, CodingKey {
    case temperature, topK = "top_k", topP = "top_p", noRepeatNgramSize = "no_repeat_ngram_size"
    case noRepeatSeesPrompt = "no_repeat_sees_prompt", eosToken = "eos_token", maxNewTokens = "max_new_tokens"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    temperature = try c.decode(Float.self, forKey: .temperature)
    topK = try c.decode(Int.self, forKey: .topK)
    topP = try c.decode(Float.self, forKey: .topP)
    noRepeatNgramSize = try c.decode(Int.self, forKey: .noRepeatNgramSize)
    noRepeatSeesPrompt = try c.decodeIfPresent(Bool.self, forKey: .noRepeatSeesPrompt) ?? true
    eosToken = try c.decodeIfPresent(Int32.self, forKey: .eosToken)
    maxNewTokens = try c.decode(Int.self, forKey: .maxNewTokens)
  }

  public init(
    temperature: Float = 1, topK: Int = 0, topP: Float = 1, noRepeatNgramSize: Int = 0,
    noRepeatSeesPrompt: Bool = true, eosToken: Int32? = nil, maxNewTokens: Int
  ) {
    self.noRepeatSeesPrompt = noRepeatSeesPrompt
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.noRepeatNgramSize = noRepeatNgramSize
    self.eosToken = eosToken
    self.maxNewTokens = maxNewTokens
  }

  /// Throws `SamplingConfigError` naming the first invalid field.
  public func validate() throws {
    func require(_ ok: Bool, _ field: String, _ message: String) throws {
      if !ok { throw SamplingConfigError(field: field, message: message) }
    }
    try require(temperature >= 0 && temperature.isFinite, "temperature", "must be ≥ 0, got \(temperature)")
    try require(topK >= 0, "top_k", "must be ≥ 0, got \(topK)")
    try require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got \(topP)")
    try require(noRepeatNgramSize >= 0, "no_repeat_ngram_size", "must be ≥ 0, got \(noRepeatNgramSize)")
    try require(maxNewTokens >= 1, "max_new_tokens", "must be ≥ 1, got \(maxNewTokens)")
  }

  /// True when the choice is deterministic (argmax).
  public var isGreedy: Bool { temperature == 0 || topK == 1 }
}

/// A sampling setting outside its valid range.
public struct SamplingConfigError: Error, CustomStringConvertible, Sendable {
  public var field: String
  public var message: String
  public var description: String { "invalid sampling config: \(field) \(message)" }
}
