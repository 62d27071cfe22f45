// Attention for a few new queries against cached keys and values (decode steps). sgemm per
// (batch, head) would pack the whole key cache for a single query row; here the scores, the
// masked softmax and the weighted sum of values are three short loops per query.
#include "ckernels.h"

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
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// e^x for 8 lanes (x ≤ 0 here: shifted scores): 2^n · p(r) with x = n·ln2 + r, |r| ≤ ln2/2,
// p a degree-6 polynomial (relative error ~2e-7, like expf's last bit or two).
__attribute__((target("avx2,fma"))) static inline __m256 exp_avx2(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// att[j] = e^(att[j] − maximum) for j in [first, last]; returns their sum.
__attribute__((target("avx2,fma"))) static inline float exp_shifted_avx2(float *att, int first, int last,
                                                                          float maximum) {
  __m256 shift = _mm256_set1_ps(maximum), total = _mm256_setzero_ps();
  int j = first;
  for (; j + 8 <= last + 1; j += 8) {
    __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(att + j), shift));
    _mm256_storeu_ps(att + j, e);
    total = _mm256_add_ps(total, e);
  }
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(total), _mm256_extractf128_ps(total, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  float sum = _mm_cvtss_f32(_mm_add_ss(s4, _mm_movehdup_ps(s4)));
  for (; j <= last; j++) {
    float e = expf(att[j] - maximum);
    att[j] = e;
    sum += e;
  }
  return sum;
}

static inline float exp_shifted_portable(float *att, int first, int last, float maximum) {
  float sum = 0.0f;
  for (int j = first; j <= last; j++) {
    float e = expf(att[j] - maximum);
    att[j] = e;
    sum += e;
  }
  return sum;
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
