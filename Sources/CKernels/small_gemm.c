// C = alpha·A·B (+ C) for attention blocks: 4 rows × 16 columns of C in 8 AVX2 accumulators;
// each step broadcasts one element of A per row and loads two 8-wide pieces of a row of B.
#include "small_gemm.h"
#include "ckernels.h"

#include <immintrin.h>
#include <stddef.h>

// Lane mask with the first `count` (0...8) lanes on.
__attribute__((target("avx2,fma"))) static inline __m256i first_lanes(int count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lanes);
}

// Rows i..i+3 (rows at or past `rows` repeat the last real one and are not stored), columns
// j..j+width-1 with width ≤ 16; B and C columns beyond `width` are neither read nor written.
__attribute__((target("avx2,fma"))) static void tile_4x16(
    float *c, int ldc, const float *a, int rs, int cs, const float *b, int ldb, int rows, int width,
    int k, float alpha, int accumulate) {
  const float *a0 = a, *a1 = rows > 1 ? a + rs : a0, *a2 = rows > 2 ? a + 2 * (size_t)rs : a1,
              *a3 = rows > 3 ? a + 3 * (size_t)rs : a2;
  const __m256i mask0 = first_lanes(width < 8 ? width : 8);
  const __m256i mask1 = first_lanes(width > 8 ? width - 8 : 0);
  const int full = width == 16;
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
  __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < k; p++) {
    const float *row = b + (size_t)p * ldb;
    __m256 b0, b1;
    if (full) {
      b0 = _mm256_loadu_ps(row);
      b1 = _mm256_loadu_ps(row + 8);
    } else {
      b0 = _mm256_maskload_ps(row, mask0);
      b1 = _mm256_maskload_ps(row + 8, mask1);
    }
    const size_t at = (size_t)p * cs;
    __m256 x = _mm256_broadcast_ss(a0 + at);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a1 + at);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a2 + at);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a3 + at);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
  }
  __m256 acc[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
  const __m256 scale = _mm256_set1_ps(alpha);
  for (int r = 0; r < rows; r++) {
    float *out = c + (size_t)r * ldc;
    __m256 v0 = _mm256_mul_ps(acc[r][0], scale), v1 = _mm256_mul_ps(acc[r][1], scale);
    if (full) {
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(out));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(out + 8));
      }
      _mm256_storeu_ps(out, v0);
      _mm256_storeu_ps(out + 8, v1);
    } else {
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(out, mask0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(out + 8, mask1));
      }
      _mm256_maskstore_ps(out, mask0, v0);
      _mm256_maskstore_ps(out + 8, mask1, v1);
    }
  }
}

__attribute__((target("avx2,fma"))) static void small_gemm_avx2(
    float *c, int ldc, const float *a, int rs, int cs, const float *b, int ldb, int m, int n, int k,
    float alpha, int accumulate) {
  for (int i = 0; i < m; i += 4) {
    const int rows = m - i < 4 ? m - i : 4;
    for (int j = 0; j < n; j += 16) {
      const int width = n - j < 16 ? n - j : 16;
      tile_4x16(c + (size_t)i * ldc + j, ldc, a + (size_t)i * rs, rs, cs, b + j, ldb, rows, width, k,
                alpha, accumulate);
    }
  }
}

// The same product with plain loops (CPUs without AVX2, and the reference in tests).
static void small_gemm_portable(float *c, int ldc, const float *a, int rs, int cs, const float *b,
                                int ldb, int m, int n, int k, float alpha, int accumulate) {
  for (int i = 0; i < m; i++) {
    float *out = c + (size_t)i * ldc;
    for (int j = 0; j < n; j++) {
      float sum = 0.0f;
      for (int p = 0; p < k; p++) sum += a[(size_t)i * rs + (size_t)p * cs] * b[(size_t)p * ldb + j];
      out[j] = alpha * sum + (accumulate ? out[j] : 0.0f);
    }
  }
}

void ck_small_gemm(float *c, int ldc, const float *a, int a_row_stride, int a_col_stride,
                   const float *b, int ldb, int m, int n, int k, float alpha, int accumulate) {
  if (m <= 0 || n <= 0) return;
  if (ck_has_avx2()) {
    small_gemm_avx2(c, ldc, a, a_row_stride, a_col_stride, b, ldb, m, n, k, alpha, accumulate);
  } else {
    small_gemm_portable(c, ldc, a, a_row_stride, a_col_stride, b, ldb, m, n, k, alpha, accumulate);
  }
}
