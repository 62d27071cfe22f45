// Causal multi-head attention for one (batch, head) over many queries (training, prefill):
// queries go in blocks of 4 rows, and each block touches only the keys it can see, so the
// masked upper triangle costs nothing (sgemm over the whole (Tq, Tk) square computes it all).
//
// Each head's operands are first copied into a per-thread workspace: rows of q, k, v sit 3·C
// floats apart in the packed qkv, and rows of a (Tq, Tk) matrix Tk floats apart; both strides
// map every row to the same few L1 sets, so streaming them in place thrashes the cache. The
// copies are contiguous, and the matrices get a padded leading dimension (an odd number of
// cache lines).
#include "ckernels.h"
#include "simd_exp.h"
#include "small_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { QUERY_BLOCK = 4 };

// A row length ≥ n whose byte size is an odd number of 64-byte lines.
static int padded_length(int n) { return ((n + 15) / 16) * 16 + 16; }

// Per-thread scratch that grows on demand and is kept for the next call (threads of the pool
// live for the whole process). NULL when out of memory.
static float *workspace(size_t count) {
  static _Thread_local float *data = NULL;
  static _Thread_local size_t capacity = 0;
  if (count > capacity) {
    free(data);
    data = malloc(sizeof(float) * count);
    capacity = data == NULL ? 0 : count;
  }
  return data;
}

// xt (hs, ldt): xt[d·ldt + j] = x[j·row_stride + d] for rows j in [first, count).
static void transpose_rows(float *xt, int ldt, const float *x, int first, int count, int hs, int row_stride) {
  for (int j = first; j < count; j++) {
    const float *row = x + (size_t)j * row_stride;
    for (int d = 0; d < hs; d++) xt[(size_t)d * ldt + j] = row[d];
  }
}

// xc (count, hs) = rows [first, count) of x (row stride row_stride), at the same row indices.
static void gather_rows(float *xc, const float *x, int first, int count, int hs, int row_stride) {
  for (int j = first; j < count; j++) {
    const float *row = x + (size_t)j * row_stride;
    float *copy = xc + (size_t)j * hs;
    for (int d = 0; d < hs; d++) copy[d] = row[d];
  }
}

// Σ a[j]·b[j] over [0, n) in 8 interleaved partial sums (a single float sum is not vectorized
// without reassociation).
static inline float dot_product(const float *a, const float *b, int n) {
  float partial[8] = {0};
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int i = 0; i < 8; i++) partial[i] += a[j + i] * b[j + i];
  }
  float sum = 0.0f;
  for (; j < n; j++) sum += a[j] * b[j];
  for (int i = 0; i < 8; i++) sum += partial[i];
  return sum;
}

// In place: row[first..last] = softmax of row[first..last]; zeros elsewhere in [0, Tk).
static void masked_softmax(float *row, int first, int last, int Tk) {
  const float maximum = ck_row_maximum(row + first, last - first + 1);
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
  const int ld = padded_length(Tk);
  float *kt = workspace((size_t)hs * ld + (size_t)Tk * hs);  // kt (hs, ld), then vc (Tk, hs)
  if (kt == NULL) return -1;
  float *vc = kt + (size_t)hs * ld;
  transpose_rows(kt, ld, k, first, Tk, hs, kv_row_stride);
  gather_rows(vc, v, first, Tk, hs, kv_row_stride);
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
    // preatt (rows, span) = scale · q_block (rows, hs) · kt columns [first, key_end)
    ck_small_gemm(att_block + first, Tk, q + (size_t)t0 * q_row_stride, q_row_stride, 1, kt + first, ld,
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
    ck_small_gemm(out_block, out_row_stride, att_block + first, Tk, 1, vc + (size_t)first * hs, hs, rows, hs,
                  span, 1.0f, 0);
  }
  return 0;
}

int ck_attention_backward_head(float *dq, float *dk, float *dv, const float *dout, const float *att,
                               const float *q, const float *k, const float *v, int first, int Tq, int Tk,
                               int hs, int q_row_stride, int kv_row_stride, int out_row_stride, float scale) {
  const int past = Tk - Tq;
  if (first < 0) first = 0;
  const int ld = padded_length(Tk);
  // vt (hs, ld), kc (Tk, hs), qc (Tq, hs), doutc (Tq, hs), dpre (Tq, ld), probs (Tq, ld)
  float *vt = workspace((size_t)hs * ld + (size_t)Tk * hs + (size_t)2 * Tq * hs + (size_t)2 * Tq * ld);
  if (vt == NULL) return -1;
  float *kc = vt + (size_t)hs * ld;
  float *qc = kc + (size_t)Tk * hs;
  float *doutc = qc + (size_t)Tq * hs;
  float *dpre = doutc + (size_t)Tq * hs;
  float *probs = dpre + (size_t)Tq * ld;
  transpose_rows(vt, ld, v, first, Tk, hs, kv_row_stride);
  gather_rows(kc, k, first, Tk, hs, kv_row_stride);
  gather_rows(qc, q, 0, Tq, hs, q_row_stride);
  gather_rows(doutc, dout, 0, Tq, hs, out_row_stride);
  for (int t0 = 0; t0 < Tq; t0 += QUERY_BLOCK) {
    const int rows = Tq - t0 < QUERY_BLOCK ? Tq - t0 : QUERY_BLOCK;
    const int key_end = past + t0 + rows;
    if (key_end <= first) continue;  // padding queries: no gradient, and never read below
    const int span = key_end - first;
    float *dpre_block = dpre + (size_t)t0 * ld;
    // in the forward pass this was: out_block = att_block · v
    // datt (rows, span) = dout_block (rows, hs) · vt columns [first, key_end)
    ck_small_gemm(dpre_block + first, ld, doutc + (size_t)t0 * hs, hs, 1, vt + first, ld, rows, span, hs,
                  1.0f, 0);
    // in the forward pass this was: att = softmax(preatt) over the visible keys
    // dpreatt = scale · att ⊙ (datt − Σ_j att·datt); masked entries have att = 0, so they get 0.
    for (int r = 0; r < rows; r++) {
      const float *p = att + (size_t)(t0 + r) * Tk;
      float *pc = probs + (size_t)(t0 + r) * ld;
      float *d = dpre_block + (size_t)r * ld;
      const float dot = dot_product(p + first, d + first, span);
      for (int j = first; j < key_end; j++) {
        pc[j] = p[j];
        d[j] = scale * p[j] * (d[j] - dot);
      }
      // The key blocks below read up to 3 columns past key_end in this row: make them 0.
      for (int j = key_end; j < key_end + QUERY_BLOCK - 1 && j < Tk; j++) d[j] = pc[j] = 0.0f;
    }
    // in the forward pass this was: preatt = scale · q · kᵀ (scale is in dpreatt already)
    // dq_block (rows, hs) += dpreatt (rows, span) · k rows [first, key_end)
    ck_small_gemm(dq + (size_t)t0 * q_row_stride, q_row_stride, dpre_block + first, ld, 1,
                  kc + (size_t)first * hs, hs, rows, hs, span, 1.0f, 1);
  }
  // Key blocks: key j gets gradient from queries t with past + t ≥ j.
  for (int j0 = first; j0 < Tk; j0 += QUERY_BLOCK) {
    const int keys = Tk - j0 < QUERY_BLOCK ? Tk - j0 : QUERY_BLOCK;
    const int t_begin = j0 - past > 0 ? j0 - past : 0;
    if (t_begin >= Tq) continue;
    const int count = Tq - t_begin;
    // dk_block (keys, hs) += dpreattᵀ (keys, count) · q rows [t_begin, Tq)
    ck_small_gemm(dk + (size_t)j0 * kv_row_stride, kv_row_stride, dpre + (size_t)t_begin * ld + j0, 1, ld,
                  qc + (size_t)t_begin * hs, hs, keys, hs, count, 1.0f, 1);
    // dv_block (keys, hs) += attᵀ (keys, count) · dout rows [t_begin, Tq)
    ck_small_gemm(dv + (size_t)j0 * kv_row_stride, kv_row_stride, probs + (size_t)t_begin * ld + j0, 1, ld,
                  doutc + (size_t)t_begin * hs, hs, keys, hs, count, 1.0f, 1);
  }
  return 0;
}
