// Attention for a few new queries against cached keys and values (decode steps). sgemm per
// (batch, head) would pack the whole key cache for a single query row; here the scores, the
// masked softmax and the weighted sum of values are three short loops per query, with the
// common head sizes (32, 64) in registers.
#include "ckernels.h"
#include "simd_exp.h"

#include <immintrin.h>
#include <math.h>
#include <stddef.h>

// Dot product of two hs-vectors; 8 lanes at a time when hs is a multiple of 8 (a plain float
// reduction would not be vectorized without reassociation).
__attribute__((target("avx2,fma"))) static inline float dot_avx2(const float *a, const float *b,
                                                                  int hs) {
  if (hs % 8 != 0) {
    float sum = 0.0f;
    for (int i = 0; i < hs; i++) sum += a[i] * b[i];
    return sum;
  }
  __m256 acc = _mm256_setzero_ps();
  for (int i = 0; i < hs; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  return lane_sum_avx2(acc);
}

static inline float dot_portable(const float *a, const float *b, int hs) {
  float sum = 0.0f;
  for (int i = 0; i < hs; i++) sum += a[i] * b[i];
  return sum;
}

// Plain loops over the head dimension; clang vectorizes them for the target below.
#define DEFINE_QUERY_ROW(NAME, ATTR, DOT, EXP)                                                  \
  ATTR static void NAME(float *out, float *att, const float *q, const float *k, const float *v,  \
                        int first, int last, int Tk, int hs, int kv_row_stride, float scale) {   \
    float maximum = -INFINITY;                                                                   \
    for (int j = first; j <= last; j++) {                                                        \
      const float *key = k + (size_t)j * kv_row_stride;                                          \
      float dot = DOT(q, key, hs) * scale;                                                       \
      att[j] = dot;                                                                              \
      if (dot > maximum) maximum = dot;                                                          \
    }                                                                                            \
    float sum = EXP(att, first, last, maximum);                                                  \
    const float inverse = 1.0f / sum;                                                            \
    for (int i = 0; i < hs; i++) out[i] = 0.0f;                                                  \
    for (int j = 0; j < first; j++) att[j] = 0.0f;                                               \
    for (int j = last + 1; j < Tk; j++) att[j] = 0.0f;                                           \
    for (int j = first; j <= last; j++) {                                                        \
      const float p = att[j] * inverse;                                                          \
      att[j] = p;                                                                                \
      const float *value = v + (size_t)j * kv_row_stride;                                        \
      for (int i = 0; i < hs; i++) out[i] += p * value[i];                                       \
    }                                                                                            \
  }

DEFINE_QUERY_ROW(query_row_avx2_any, __attribute__((target("avx2,fma"))), dot_avx2, exp_shifted_avx2)
DEFINE_QUERY_ROW(query_row_portable, , dot_portable, exp_shifted_portable)

// The 8 dot products q·k_r for keys r = 0..7 (rows `stride` apart), as one vector: 8
// accumulators, then one reduction tree for all 8 instead of a horizontal sum per key.
__attribute__((target("avx2,fma"))) static inline __m256 scores8(const float *q, const float *k, int stride,
                                                                  int hs) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int i = 0; i < hs; i += 8) {
    const __m256 x = _mm256_loadu_ps(q + i);
    s0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + i), s0);
    s1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + stride + i), s1);
    s2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 2 * (size_t)stride + i), s2);
    s3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 3 * (size_t)stride + i), s3);
    s4 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 4 * (size_t)stride + i), s4);
    s5 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 5 * (size_t)stride + i), s5);
    s6 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 6 * (size_t)stride + i), s6);
    s7 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 7 * (size_t)stride + i), s7);
  }
  const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));  // 0123 | 0123
  const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(s4, s5), _mm256_hadd_ps(s6, s7));  // 4567 | 4567
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// out (8·CHUNKS floats) = Σ_j att[j]·v_j over [first, last], accumulated in registers; att[j]
// becomes att[j]·inverse on the way.
#define DEFINE_WEIGHTED_VALUES(NAME, CHUNKS)                                                             \
  __attribute__((target("avx2,fma"))) static void NAME(float *out, float *att, const float *v, int first, \
                                                       int last, int stride, float inverse) {             \
    __m256 acc[CHUNKS];                                                                                   \
    for (int c = 0; c < CHUNKS; c++) acc[c] = _mm256_setzero_ps();                                        \
    for (int j = first; j <= last; j++) {                                                                 \
      const float p = att[j] * inverse;                                                                   \
      att[j] = p;                                                                                         \
      const __m256 weight = _mm256_set1_ps(p);                                                            \
      const float *value = v + (size_t)j * stride;                                                        \
      for (int c = 0; c < CHUNKS; c++) acc[c] = _mm256_fmadd_ps(weight, _mm256_loadu_ps(value + 8 * c), acc[c]); \
    }                                                                                                     \
    for (int c = 0; c < CHUNKS; c++) _mm256_storeu_ps(out + 8 * c, acc[c]);                               \
  }
DEFINE_WEIGHTED_VALUES(weighted_values_32, 4)
DEFINE_WEIGHTED_VALUES(weighted_values_64, 8)

// Head sizes 32 and 64: scores 8 keys at a time, values summed in registers.
__attribute__((target("avx2,fma"))) static void query_row_avx2(float *out, float *att, const float *q,
                                                               const float *k, const float *v, int first,
                                                               int last, int Tk, int hs, int kv_row_stride,
                                                               float scale) {
  if (hs != 32 && hs != 64) {
    query_row_avx2_any(out, att, q, k, v, first, last, Tk, hs, kv_row_stride, scale);
    return;
  }
  const __m256 vscale = _mm256_set1_ps(scale);
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int j = first;
  for (; j + 8 <= last + 1; j += 8) {
    const __m256 s = _mm256_mul_ps(scores8(q, k + (size_t)j * kv_row_stride, kv_row_stride, hs), vscale);
    _mm256_storeu_ps(att + j, s);
    vmax = _mm256_max_ps(vmax, s);
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, vmax);
  float maximum = -INFINITY;
  for (int i = 0; i < 8; i++) maximum = lanes[i] > maximum ? lanes[i] : maximum;
  for (; j <= last; j++) {
    const float dot = dot_avx2(q, k + (size_t)j * kv_row_stride, hs) * scale;
    att[j] = dot;
    maximum = dot > maximum ? dot : maximum;
  }
  const float inverse = 1.0f / exp_shifted_avx2(att, first, last, maximum);
  for (int i = 0; i < first; i++) att[i] = 0.0f;
  for (int i = last + 1; i < Tk; i++) att[i] = 0.0f;
  if (hs == 32) {
    weighted_values_32(out, att, v, first, last, kv_row_stride, inverse);
  } else {
    weighted_values_64(out, att, v, first, last, kv_row_stride, inverse);
  }
}

void ck_attention_query_row(float *out, float *att, const float *q, const float *k, const float *v,
                            int first, int last, int Tk, int hs, int kv_row_stride, float scale) {
  if (first > last) {
    for (int i = 0; i < hs; i++) out[i] = 0.0f;
    for (int j = 0; j < Tk; j++) att[j] = 0.0f;
    return;
  }
  if (ck_has_avx2()) {
    query_row_avx2(out, att, q, k, v, first, last, Tk, hs, kv_row_stride, scale);
  } else {
    query_row_portable(out, att, q, k, v, first, last, Tk, hs, kv_row_stride, scale);
  }
}
