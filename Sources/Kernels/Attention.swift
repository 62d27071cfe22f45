// Causal multi-head self-attention with left-padding masks, per (batch, head) in C kernels
// that skip the masked keys (CKernels/attention_blocks.c). One entry point serves training
// (queries = keys = the whole sequence), prefill and KV-cache decoding (a few new queries).

import CKernels

/// Where queries, keys, values and outputs live, and how far apart their rows are.
///
/// Queries are at absolute positions `past ..< past + Tq` (with `past = Tk - Tq`); keys and
/// values at `0 ..< Tk`. Head h occupies columns `h·hs ..< (h+1)·hs` of each row.
public struct AttentionLayout: Sendable {
  public var B: Int
  public var Tq: Int
  public var Tk: Int
  public var NH: Int
  public var headSize: Int
  public var qRowStride: Int
  public var qBatchStride: Int
  public var kvRowStride: Int
  public var kvBatchStride: Int
  /// Distance between heads in k and v: `headSize` when heads are columns of one row (packed
  /// qkv), `capacity·headSize` when each head's keys are stored contiguously (KV cache).
  public var kvHeadStride: Int
  public var outRowStride: Int
  public var outBatchStride: Int

  public var past: Int { Tk - Tq }
  /// Floats in the saved probabilities: (B, NH, Tq, Tk).
  public var attentionCount: Int { B * NH * Tq * Tk }

  public init(
    B: Int, Tq: Int, Tk: Int, NH: Int, headSize: Int, qRowStride: Int, qBatchStride: Int,
    kvRowStride: Int, kvBatchStride: Int, kvHeadStride: Int? = nil, outRowStride: Int,
    outBatchStride: Int
  ) {
    precondition(Tq <= Tk, "attention: more queries than keys")
    self.B = B
    self.Tq = Tq
    self.Tk = Tk
    self.NH = NH
    self.headSize = headSize
    self.qRowStride = qRowStride
    self.qBatchStride = qBatchStride
    self.kvRowStride = kvRowStride
    self.kvBatchStride = kvBatchStride
    self.kvHeadStride = kvHeadStride ?? headSize
    self.outRowStride = outRowStride
    self.outBatchStride = outBatchStride
  }

  /// Training layout: q, k, v packed in one (B, T, 3C) buffer; out is (B, T, C).
  public static func packed(B: Int, T: Int, C: Int, NH: Int) -> AttentionLayout {
    AttentionLayout(
      B: B, Tq: T, Tk: T, NH: NH, headSize: C / NH, qRowStride: 3 * C, qBatchStride: T * 3 * C,
      kvRowStride: 3 * C, kvBatchStride: T * 3 * C, outRowStride: C, outBatchStride: T * C)
  }
}

/// out = softmax(mask(q·kᵀ/√hs)) · v per (batch, head). Query t of batch b (absolute position
/// p = past + t) sees keys j with keyStart[b] ≤ j ≤ p; a query before keyStart[b] (a padding
/// token) sees none and outputs zeros.
/// - out: (B, Tq, ·); att: (B, NH, Tq, Tk), the probabilities, saved for the backward
/// - q: (B, Tq, ·); k, v: (B, ≥Tk, ·); keyStart: (B)
public func attentionForward(
  out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  keyStart: UnsafePointer<Int32>, layout l: AttentionLayout
) {
  let hs = l.headSize
  let scale = 1 / Float(hs).squareRoot()
  if l.Tq <= decodeQueryLimit {
    attentionForwardFewQueries(out: out, att: att, q: q, k: k, v: v, keyStart: keyStart, layout: l)
    return
  }
  Parallel.forChunks(l.B * l.NH) { pairs, _ in
    for pair in pairs {
      let b = pair / l.NH
      let h = pair % l.NH
      let status = ck_attention_forward_head(
        out + b * l.outBatchStride + h * hs, att + pair * l.Tq * l.Tk,
        q + b * l.qBatchStride + h * hs, k + b * l.kvBatchStride + h * l.kvHeadStride,
        v + b * l.kvBatchStride + h * l.kvHeadStride, keyStart[b], Int32(l.Tq), Int32(l.Tk),
        Int32(hs), Int32(l.qRowStride), Int32(l.kvRowStride), Int32(l.outRowStride), scale)
      precondition(status == 0, "attention: out of memory for a head's workspace")
    }
  }
}

/// Up to this many queries per sequence (decode steps), attention runs as plain loops per
/// query instead of sgemm calls that would pack the whole key cache.
let decodeQueryLimit = 4

/// `attentionForward` for a few queries: the same results, one query row at a time.
func attentionForwardFewQueries(
  out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  keyStart: UnsafePointer<Int32>, layout l: AttentionLayout
) {
  let hs = l.headSize
  let scale = 1 / Float(hs).squareRoot()
  Parallel.forChunks(l.B * l.NH) { pairs, _ in
    for pair in pairs {
      let b = pair / l.NH
      let h = pair % l.NH
      for t in 0..<l.Tq {
        ck_attention_query_row(
          out + b * l.outBatchStride + t * l.outRowStride + h * hs,
          att + (pair * l.Tq + t) * l.Tk,
          q + b * l.qBatchStride + t * l.qRowStride + h * hs,
          k + b * l.kvBatchStride + h * l.kvHeadStride, v + b * l.kvBatchStride + h * l.kvHeadStride,
          keyStart[b], Int32(l.past + t), Int32(l.Tk), Int32(hs), Int32(l.kvRowStride), scale)
      }
    }
  }
}

/// Backward of `attentionForward`: accumulates into dq, dk, dv (same layouts as q, k, v).
/// - dout: (B, Tq, ·) with the out layout; att: the probabilities the forward saved
public func attentionBackward(
  dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
  dv: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  keyStart: UnsafePointer<Int32>, layout l: AttentionLayout
) {
  let hs = l.headSize
  let scale = 1 / Float(hs).squareRoot()
  Parallel.forChunks(l.B * l.NH) { pairs, _ in
    for pair in pairs {
      let b = pair / l.NH
      let h = pair % l.NH
      let (qAt, kvAt, outAt) = (b * l.qBatchStride + h * hs, b * l.kvBatchStride + h * l.kvHeadStride, b * l.outBatchStride + h * hs)
      let status = ck_attention_backward_head(
        dq + qAt, dk + kvAt, dv + kvAt, dout + outAt, att + pair * l.Tq * l.Tk, q + qAt, k + kvAt,
        v + kvAt, keyStart[b],
        Int32(l.Tq), Int32(l.Tk), Int32(hs), Int32(l.qRowStride), Int32(l.kvRowStride),
        Int32(l.outRowStride), scale)
      precondition(status == 0, "attention: out of memory for a head's workspace")
    }
  }
}
