// Causal multi-head self-attention with left-padding masks, through sgemm per (batch, head).
// One kernel serves training (queries = keys = the whole sequence) and KV-cache decoding
// (a few new queries against cached keys).

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
  Parallel.forChunksCallingBLAS(l.B * l.NH) { pairs, _ in
    for pair in pairs {
      let b = pair / l.NH
      let h = pair % l.NH
      let qb = q + b * l.qBatchStride + h * hs
      let kb = k + b * l.kvBatchStride + h * l.kvHeadStride
      let vb = v + b * l.kvBatchStride + h * l.kvHeadStride
      let a = att + pair * l.Tq * l.Tk
      // preatt (Tq, Tk) = scale · q_bh (Tq, hs) · k_bhᵀ (hs, Tk)
      BLAS.sgemm(
        transposeA: false, transposeB: true, m: l.Tq, n: l.Tk, k: hs, alpha: scale,
        a: qb, lda: l.qRowStride, b: kb, ldb: l.kvRowStride, beta: 0, c: a, ldc: l.Tk)
      let start = Int(keyStart[b])
      for t in 0..<l.Tq {
        maskedSoftmaxRow(a + t * l.Tk, first: start, last: l.past + t, count: l.Tk)
      }
      // out_bh (Tq, hs) = att (Tq, Tk) · v_bh (Tk, hs)
      BLAS.sgemm(
        transposeA: false, transposeB: false, m: l.Tq, n: hs, k: l.Tk, alpha: 1,
        a: a, lda: l.Tk, b: vb, ldb: l.kvRowStride, beta: 0,
        c: out + b * l.outBatchStride + h * hs, ldc: l.outRowStride)
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

/// In place: softmax over row[first...last], zeros elsewhere (all zeros when first > last).
@inline(__always)
func maskedSoftmaxRow(_ row: UnsafeMutablePointer<Float>, first: Int, last: Int, count rowLength: Int) {
  guard first <= last else {
    row.update(repeating: 0, count: rowLength)
    return
  }
  let visible = row + first
  let count = last - first + 1
  let maximum = rowMaximum(visible, count)
  let sum = rowExpShifted(out: visible, inp: visible, count: count, shift: maximum)
  let inverse = 1 / sum
  for j in first...last { row[j] *= inverse }
  if first > 0 { row.update(repeating: 0, count: first) }
  if last + 1 < rowLength { (row + last + 1).update(repeating: 0, count: rowLength - last - 1) }
}

/// Backward of `attentionForward`: accumulates into dq, dk, dv (same layouts as q, k, v).
/// - dout: (B, Tq, ·) with the out layout; att: the probabilities the forward saved
/// - scratch: Tq·Tk floats per worker, `Parallel.workerCount(B·NH)` workers
public func attentionBackward(
  dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
  dv: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, layout l: AttentionLayout
) {
  let hs = l.headSize
  let scale = 1 / Float(hs).squareRoot()
  precondition(l.kvHeadStride == hs, "attentionBackward needs the packed (training) layout")
  Parallel.forChunksCallingBLAS(l.B * l.NH) { pairs, worker in
    let datt = scratch + worker * l.Tq * l.Tk
    for pair in pairs {
      let b = pair / l.NH
      let h = pair % l.NH
      let column = h * hs
      let qb = q + b * l.qBatchStride + column
      let kb = k + b * l.kvBatchStride + column
      let vb = v + b * l.kvBatchStride + column
      let dqb = dq + b * l.qBatchStride + column
      let dkb = dk + b * l.kvBatchStride + column
      let dvb = dv + b * l.kvBatchStride + column
      let doutb = dout + b * l.outBatchStride + column
      let a = att + pair * l.Tq * l.Tk
      // in the forward pass this was: out_bh = att · v_bh
      // datt (Tq, Tk) = dout_bh (Tq, hs) · v_bhᵀ
      BLAS.sgemm(
        transposeA: false, transposeB: true, m: l.Tq, n: l.Tk, k: hs, alpha: 1,
        a: doutb, lda: l.outRowStride, b: vb, ldb: l.kvRowStride, beta: 0, c: datt, ldc: l.Tk)
      // dv_bh (Tk, hs) += attᵀ (Tk, Tq) · dout_bh (Tq, hs)
      BLAS.sgemm(
        transposeA: true, transposeB: false, m: l.Tk, n: hs, k: l.Tq, alpha: 1,
        a: a, lda: l.Tk, b: doutb, ldb: l.outRowStride, beta: 1, c: dvb, ldc: l.kvRowStride)
      // in the forward pass this was: att = softmax(preatt) over the visible keys
      // dpreatt = att ⊙ (datt − Σ_j att·datt); masked entries have att = 0, so they get 0.
      for t in 0..<l.Tq {
        let row = a + t * l.Tk
        let drow = datt + t * l.Tk
        var dot: Float = 0
        for j in 0..<l.Tk { dot += row[j] * drow[j] }
        for j in 0..<l.Tk { drow[j] = row[j] * (drow[j] - dot) }
      }
      // in the forward pass this was: preatt = scale · q_bh · k_bhᵀ
      BLAS.sgemm(
        transposeA: false, transposeB: false, m: l.Tq, n: hs, k: l.Tk, alpha: scale,
        a: datt, lda: l.Tk, b: kb, ldb: l.kvRowStride, beta: 1, c: dqb, ldc: l.qRowStride)
      BLAS.sgemm(
        transposeA: true, transposeB: false, m: l.Tk, n: hs, k: l.Tq, alpha: scale,
        a: datt, lda: l.Tk, b: qb, ldb: l.qRowStride, beta: 1, c: dkb, ldc: l.kvRowStride)
    }
  }
}
