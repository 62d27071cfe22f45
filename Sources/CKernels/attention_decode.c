// Attention for a few new queries against cached keys and values (decode steps). sgemm per
// (batch, head) would pack the whole key cache for a single query row; here the scores, the
// masked softmax and the weighted sum of values are three short loops per query.
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

DEFINE_QUERY_ROW(query_row_avx2, __attribute__((target("avx2,fma"))), dot_avx2, exp_shifted_avx2)
DEFINE_QUERY_ROW(query_row_portable, , dot_portable, exp_shifted_portable)

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
