// e^x for 8 float lanes with AVX2/FMA, shared by the attention kernels (internal header).
#ifndef MINILLM_SIMD_EXP_H
#define MINILLM_SIMD_EXP_H

#include <immintrin.h>
#include <math.h>

// e^x for x ≤ 0 (shifted scores): 2^n · p(r) with x = n·ln2 + r, |r| ≤ ln2/2, p a degree-6
// polynomial (relative error ~2e-7, like expf's last bit or two). Inputs below −87 give ~0.
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

// Sum of the 8 lanes.
__attribute__((target("avx2,fma"))) static inline float lane_sum_avx2(__m256 v) {
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s4, _mm_movehdup_ps(s4)));
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
  float sum = lane_sum_avx2(total);
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

#endif
