// out (N, OC) = inp (N, C) · weightᵀ + bias with weight (OC, C): the decode-step matmul.
// OpenBLAS packs the whole weight on every call, which dominates when N is about 8. Here each
// block of 4 weight rows is streamed once (sequentially, in its natural layout) and dotted with
// every input row, 2 input rows at a time, with 8 accumulators held in registers.
#include "ckernels.h"

#include <immintrin.h>
#include <stddef.h>

__attribute__((target("avx2,fma"))) static inline float horizontal_sum(__m256 v) {
  __m128 low = _mm256_castps256_ps128(v);
  __m128 high = _mm256_extractf128_ps(v, 1);
  __m128 sum = _mm_add_ps(low, high);
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// Outputs o..o+3 for input rows n..n+R-1 (R is 1 or 2); C8 = C rounded down to 8.
__attribute__((target("avx2,fma"))) static void dots_4x2(float *out, const float *inp,
                                                         const float *weight, const float *bias,
                                                         int n, int R, int o, int C, int OC) {
  const float *w0 = weight + (size_t)o * C, *w1 = w0 + C, *w2 = w1 + C, *w3 = w2 + C;
  const float *x0 = inp + (size_t)n * C;
  const float *x1 = R == 2 ? x0 + C : x0;
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
  __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  int c = 0;
  for (; c + 8 <= C; c += 8) {
    __m256 v0 = _mm256_loadu_ps(x0 + c), v1 = _mm256_loadu_ps(x1 + c);
    __m256 u = _mm256_loadu_ps(w0 + c);
    a00 = _mm256_fmadd_ps(u, v0, a00);
    a10 = _mm256_fmadd_ps(u, v1, a10);
    u = _mm256_loadu_ps(w1 + c);
    a01 = _mm256_fmadd_ps(u, v0, a01);
    a11 = _mm256_fmadd_ps(u, v1, a11);
    u = _mm256_loadu_ps(w2 + c);
    a02 = _mm256_fmadd_ps(u, v0, a02);
    a12 = _mm256_fmadd_ps(u, v1, a12);
    u = _mm256_loadu_ps(w3 + c);
    a03 = _mm256_fmadd_ps(u, v0, a03);
    a13 = _mm256_fmadd_ps(u, v1, a13);
  }
  float s[2][4] = {{horizontal_sum(a00), horizontal_sum(a01), horizontal_sum(a02), horizontal_sum(a03)},
                   {horizontal_sum(a10), horizontal_sum(a11), horizontal_sum(a12), horizontal_sum(a13)}};
  for (; c < C; c++) {
    s[0][0] += w0[c] * x0[c]; s[0][1] += w1[c] * x0[c]; s[0][2] += w2[c] * x0[c]; s[0][3] += w3[c] * x0[c];
    s[1][0] += w0[c] * x1[c]; s[1][1] += w1[c] * x1[c]; s[1][2] += w2[c] * x1[c]; s[1][3] += w3[c] * x1[c];
  }
  for (int r = 0; r < R; r++) {
    for (int k = 0; k < 4; k++) {
      out[(size_t)(n + r) * OC + o + k] = s[r][k] + (bias ? bias[o + k] : 0.0f);
    }
  }
}


// The four sums of a, b, c, d (each 8 lanes) as one 4-lane vector.
__attribute__((target("avx2,fma"))) static inline __m128 sum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  __m256 ab = _mm256_hadd_ps(a, b);   // a01 a23 b01 b23 | a45 a67 b45 b67
  __m256 cd = _mm256_hadd_ps(c, d);
  __m256 abcd = _mm256_hadd_ps(ab, cd);  // a0123 b0123 c0123 d0123 | a4567 ...
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// Outputs o..o+3 for input rows n..n+2: 12 accumulators, each weight chunk loaded once for 3 rows.
__attribute__((target("avx2,fma"))) static void dots_4x3(float *out, const float *inp,
                                                         const float *weight, const float *bias,
                                                         int n, int o, int C, int OC) {
  const float *w0 = weight + (size_t)o * C, *w1 = w0 + C, *w2 = w1 + C, *w3 = w2 + C;
  const float *x0 = inp + (size_t)n * C, *x1 = x0 + C, *x2 = x1 + C;
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
  __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  __m256 a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  int c = 0;
  for (; c + 8 <= C; c += 8) {
    __m256 v0 = _mm256_loadu_ps(x0 + c), v1 = _mm256_loadu_ps(x1 + c), v2 = _mm256_loadu_ps(x2 + c);
    __m256 u = _mm256_loadu_ps(w0 + c);
    a00 = _mm256_fmadd_ps(u, v0, a00); a10 = _mm256_fmadd_ps(u, v1, a10); a20 = _mm256_fmadd_ps(u, v2, a20);
    u = _mm256_loadu_ps(w1 + c);
    a01 = _mm256_fmadd_ps(u, v0, a01); a11 = _mm256_fmadd_ps(u, v1, a11); a21 = _mm256_fmadd_ps(u, v2, a21);
    u = _mm256_loadu_ps(w2 + c);
    a02 = _mm256_fmadd_ps(u, v0, a02); a12 = _mm256_fmadd_ps(u, v1, a12); a22 = _mm256_fmadd_ps(u, v2, a22);
    u = _mm256_loadu_ps(w3 + c);
    a03 = _mm256_fmadd_ps(u, v0, a03); a13 = _mm256_fmadd_ps(u, v1, a13); a23 = _mm256_fmadd_ps(u, v2, a23);
  }
  float s[3][4];
  _mm_storeu_ps(s[0], sum4(a00, a01, a02, a03));
  _mm_storeu_ps(s[1], sum4(a10, a11, a12, a13));
  _mm_storeu_ps(s[2], sum4(a20, a21, a22, a23));
  for (; c < C; c++) {
    for (int k = 0; k < 4; k++) {
      float w = weight[(size_t)(o + k) * C + c];
      s[0][k] += w * x0[c]; s[1][k] += w * x1[c]; s[2][k] += w * x2[c];
    }
  }
  for (int r = 0; r < 3; r++) {
    for (int k = 0; k < 4; k++) out[(size_t)(n + r) * OC + o + k] = s[r][k] + (bias ? bias[o + k] : 0.0f);
  }
}

// Plain loops for the leftover outputs and for CPUs without AVX2.
static void dots_portable(float *out, const float *inp, const float *weight, const float *bias,
                          int N, int C, int OC, int o_begin, int o_end) {
  for (int o = o_begin; o < o_end; o++) {
    const float *w = weight + (size_t)o * C;
    for (int n = 0; n < N; n++) {
      const float *x = inp + (size_t)n * C;
      float sum = 0.0f;
      for (int c = 0; c < C; c++) sum += w[c] * x[c];
      out[(size_t)n * OC + o] = sum + (bias ? bias[o] : 0.0f);
    }
  }
}

void ck_matmul_columns(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC, int o_begin, int o_end) {
  int vectorized = o_begin;
  if (ck_has_avx2()) {
    vectorized = o_begin + (o_end - o_begin) / 4 * 4;
    for (int o = o_begin; o < vectorized; o += 4) {
      // Ask for the weight rows two blocks ahead now, so DRAM latency hides behind this block.
      if (o + 12 <= o_end) {  // blocks o+8…o+11 exist
        const char *next = (const char *)(weight + (size_t)(o + 2 * 4) * C);
        for (size_t b = 0; b < (size_t)4 * C * sizeof(float); b += 64) _mm_prefetch(next + b, _MM_HINT_T0);
      }
      int n = 0;
      for (; n + 3 <= N; n += 3) dots_4x3(out, inp, weight, bias, n, o, C, OC);
      for (; n < N; n += 2) dots_4x2(out, inp, weight, bias, n, N - n >= 2 ? 2 : 1, o, C, OC);
    }
  }
  if (vectorized < o_end) dots_portable(out, inp, weight, bias, N, C, OC, vectorized, o_end);
}

void ck_matmul_few_rows(float *out, const float *inp, const float *weight, const float *bias,
                        int N, int C, int OC) {
  ck_matmul_columns(out, inp, weight, bias, N, C, OC, 0, OC);
}
