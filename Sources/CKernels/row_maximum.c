// The largest element of a row: 8 lanes at a time with AVX2 (Swift's SIMD pointwiseMax compiled
// to a generic per-lane call).
#include "ckernels.h"

#include <immintrin.h>
#include <math.h>

__attribute__((target("avx2,fma"))) static float row_maximum_avx2(const float *x, long n) {
  __m256 lanes = _mm256_set1_ps(-INFINITY);
  long i = 0;
  for (; i + 8 <= n; i += 8) lanes = _mm256_max_ps(lanes, _mm256_loadu_ps(x + i));
  float partial[8];
  _mm256_storeu_ps(partial, lanes);
  float maximum = -INFINITY;
  for (int k = 0; k < 8; k++) maximum = partial[k] > maximum ? partial[k] : maximum;
  for (; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
  return maximum;
}

static float row_maximum_portable(const float *x, long n) {
  float maximum = -INFINITY;
  for (long i = 0; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
  return maximum;
}

float ck_row_maximum(const float *x, long n) {
  return ck_has_avx2() ? row_maximum_avx2(x, n) : row_maximum_portable(x, n);
}
