// Causal multi-head attention for one (batch, head) over many queries (training, prefill):
// queries go in blocks of 4 rows, and each block touches only the keys it can see, so the
// masked upper triangle costs nothing (sgemm over the whole (Tq, Tk) square computes it all).
#include "ckernels.h"
#include "simd_exp.h"
#include "small_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { QUERY_BLOCK = 4 };

// xt (hs, Tk): xt[d·Tk + j] = x[j·row_stride + d] for keys j in [first, Tk).
static void transpose_keys(float *xt, const float *x, int first, int Tk, int hs, int row_stride) {
  for (int j = first; j < Tk; j++) {
    const float *row = x + (size_t)j * row_stride;
    for (int d = 0; d < hs; d++) xt[(size_t)d * Tk + j] = row[d];
  }
}

// In place: row[first..last] = softmax of row[first..last]; zeros elsewhere in [0, Tk).
static void masked_softmax(float *row, int first, int last, int Tk) {
  float maximum = -INFINITY;
  for (int j = first; j <= last; j++) maximum = row[j] > maximum ? row[j] : maximum;
  const float sum = ck_has_avx2() ? exp_shifted_avx2(row, first, last, maximum)
                                  : exp_shifted_portable(row, first, last, maximum);
  const float inverse = 1.0f / sum;
  for (int j = first; j <= last; j++) row[j] *= inverse;
  memset(row, 0, sizeof(float) * (size_t)first);
  memset(row + last + 1, 0, sizeof(float) * (size_t)(Tk - last - 1));
}

int ck_attention_forward_head(float *out, float *att, const float *q, const float *k, const float *v,
                              int first, int Tq, int Tk, int hs, int q_row_stride, int kv_row_stride,
                              int out_row_stride, float scale) {
  const int past = Tk - Tq;
  if (first < 0) first = 0;
  float *kt = malloc(sizeof(float) * (size_t)hs * (size_t)Tk);
  if (kt == NULL) return -1;
  transpose_keys(kt, k, first, Tk, hs, kv_row_stride);
  for (int t0 = 0; t0 < Tq; t0 += QUERY_BLOCK) {
    const int rows = Tq - t0 < QUERY_BLOCK ? Tq - t0 : QUERY_BLOCK;
    const int key_end = past + t0 + rows;  // keys [first, key_end) cover the block's last query
    float *att_block = att + (size_t)t0 * Tk;
    float *out_block = out + (size_t)t0 * out_row_stride;
    if (key_end <= first) {  // every query of the block is padding
      memset(att_block, 0, sizeof(float) * (size_t)rows * Tk);
      for (int r = 0; r < rows; r++) memset(out_block + (size_t)r * out_row_stride, 0, sizeof(float) * hs);
      continue;
    }
    const int span = key_end - first;
    // preatt (rows, span) = scale · q_block (rows, hs) · ktᵀ columns [first, key_end)
    ck_small_gemm(att_block + first, Tk, q + (size_t)t0 * q_row_stride, q_row_stride, 1, kt + first, Tk,
                  rows, span, hs, scale, 0);
    for (int r = 0; r < rows; r++) {
      float *row = att_block + (size_t)r * Tk;
      const int last = past + t0 + r;
      if (last < first) {
        memset(row, 0, sizeof(float) * Tk);
      } else {
        masked_softmax(row, first, last, Tk);
      }
    }
    // out_block (rows, hs) = att_block (rows, span) · v rows [first, key_end)
    ck_small_gemm(out_block, out_row_stride, att_block + first, Tk, 1, v + (size_t)first * kv_row_stride,
                  kv_row_stride, rows, hs, span, 1.0f, 0);
  }
  free(kt);
  return 0;
}

int ck_attention_backward_head(float *dq, float *dk, float *dv, float *datt, const float *dout,
                               const float *att, const float *q, const float *k, const float *v, int first,
                               int Tq, int Tk, int hs, int q_row_stride, int kv_row_stride,
                               int out_row_stride, float scale) {
  const int past = Tk - Tq;
  if (first < 0) first = 0;
  float *vt = malloc(sizeof(float) * (size_t)hs * (size_t)Tk);
  if (vt == NULL) return -1;
  transpose_keys(vt, v, first, Tk, hs, kv_row_stride);
  for (int t0 = 0; t0 < Tq; t0 += QUERY_BLOCK) {
    const int rows = Tq - t0 < QUERY_BLOCK ? Tq - t0 : QUERY_BLOCK;
    const int key_end = past + t0 + rows;
    if (key_end <= first) continue;  // padding queries: no gradient, and never read below
    const int span = key_end - first;
    float *datt_block = datt + (size_t)t0 * Tk;
    const float *att_block = att + (size_t)t0 * Tk;
    // in the forward pass this was: out_block = att_block · v
    // datt (rows, span) = dout_block (rows, hs) · vᵀ columns [first, key_end)
    ck_small_gemm(datt_block + first, Tk, dout + (size_t)t0 * out_row_stride, out_row_stride, 1,
                  vt + first, Tk, rows, span, hs, 1.0f, 0);
    // in the forward pass this was: att = softmax(preatt) over the visible keys
    // dpreatt = scale · att ⊙ (datt − Σ_j att·datt); masked entries have att = 0, so they get 0.
    for (int r = 0; r < rows; r++) {
      const float *p = att_block + (size_t)r * Tk;
      float *d = datt_block + (size_t)r * Tk;
      float dot = 0.0f;
      for (int j = first; j < key_end; j++) dot += p[j] * d[j];
      for (int j = first; j < key_end; j++) d[j] = scale * p[j] * (d[j] - dot);
      // The key blocks below read up to 3 columns past key_end in this row: make them 0.
      for (int j = key_end; j < key_end + QUERY_BLOCK - 1 && j < Tk; j++) d[j] = 0.0f;
    }
    // in the forward pass this was: preatt = scale · q · kᵀ (scale is in dpreatt already)
    // dq_block (rows, hs) += dpreatt (rows, span) · k rows [first, key_end)
    ck_small_gemm(dq + (size_t)t0 * q_row_stride, q_row_stride, datt_block + first, Tk, 1,
                  k + (size_t)first * kv_row_stride, kv_row_stride, rows, hs, span, 1.0f, 1);
  }
  // Key blocks: key j gets gradient from queries t with past + t ≥ j.
  for (int j0 = first; j0 < Tk; j0 += QUERY_BLOCK) {
    const int keys = Tk - j0 < QUERY_BLOCK ? Tk - j0 : QUERY_BLOCK;
    const int t_begin = j0 - past > 0 ? j0 - past : 0;
    if (t_begin >= Tq) continue;
    const int count = Tq - t_begin;
    // dk_block (keys, hs) += dpreattᵀ (keys, count) · q rows [t_begin, Tq)
    ck_small_gemm(dk + (size_t)j0 * kv_row_stride, kv_row_stride, datt + (size_t)t_begin * Tk + j0, 1, Tk,
                  q + (size_t)t_begin * q_row_stride, q_row_stride, keys, hs, count, 1.0f, 1);
    // in the forward pass this was: out = att · v
    // dv_block (keys, hs) += attᵀ (keys, count) · dout rows [t_begin, Tq)
    ck_small_gemm(dv + (size_t)j0 * kv_row_stride, kv_row_stride, att + (size_t)t_begin * Tk + j0, 1, Tk,
                  dout + (size_t)t_begin * out_row_stride, out_row_stride, keys, hs, count, 1.0f, 1);
  }
  free(vt);
  return 0;
}
