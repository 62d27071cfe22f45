// A batch of token sequences with per-sequence left padding.

/// B sequences of T tokens, row-major. Sequence b's first `keyStart[b]` tokens are left padding:
/// no token attends to them and real tokens get positions 0, 1, … from the first real token.
/// Right padding needs no marking (causal attention never looks right); mask it in the loss.
public struct TokenBatch: Sendable, Equatable {
  public var B: Int
  public var T: Int
  /// (B, T) token ids.
  public var tokens: [Int32]
  /// (B) number of left-padding tokens per sequence.
  public var keyStart: [Int32]

  public init(B: Int, T: Int, tokens: [Int32], keyStart: [Int32]? = nil) {
    precondition(tokens.count == B * T, "TokenBatch: \(tokens.count) tokens for B=\(B), T=\(T)")
    self.B = B
    self.T = T
    self.tokens = tokens
    self.keyStart = keyStart ?? [Int32](repeating: 0, count: B)
    precondition(self.keyStart.count == B, "TokenBatch: keyStart needs one entry per sequence")
  }
}
