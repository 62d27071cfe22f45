// out[i] = e^(scale·(inp[i] − shift)) over a row, returning the sum: the exponentials of the
// softmax, cross-entropy and token-filter kernels. The same arithmetic as Swift's `fastExp`
// (FastMath.swift), compiled for AVX2 as well as baseline x86-64 (Swift's loop ran 4 lanes wide).
#include "ckernels.h"

#include <immintrin.h>

#pragma clang fp contract(off)  // the Swift code's roundings exactly

#include "scalar_math.h"

// e^x: 0 below −87.3, +∞ above 88.72, NaN stays NaN (see fastExp).
static inline float fast_exp(float x) {
  const float low = -87.3f, high = 88.72f;
  const float raised = low >= x ? low : x;   // Swift's max(x, low)
  const float y = high < raised ? high : raised;  // Swift's min(·, high)
  uint32_t exponent;
  const float p = reduced_exp(y, &exponent);
  const uint32_t big = exponent == 128;  // 2ⁿ overflows before p < 1 scales it down: 2ⁿ⁻¹·2
  const float result = p * from_bits((exponent - big + 127) << 23) * (big ? 2.0f : 1.0f);
  // Selects, not branches, so that the loops below vectorize.
  float value = x < low ? 0.0f : result;
  value = x > high ? __builtin_inff() : value;
  return x != x ? x : value;
}

// The same e^x for 8 lanes, instruction for instruction (the scalar version does not
// vectorize: the compiler will not reorder the sum, and SLP gives up on the selects).
__attribute__((target("avx2,fma"))) static inline __m256 fast_exp8(__m256 x) {
  const __m256 rounding_shift = _mm256_set1_ps(12582912.0f);
  const __m256 low = _mm256_set1_ps(-87.3f), high = _mm256_set1_ps(88.72f);
  const __m256 raised = _mm256_blendv_ps(x, low, _mm256_cmp_ps(low, x, _CMP_GE_OQ));
  const __m256 y = _mm256_blendv_ps(raised, high, _mm256_cmp_ps(high, raised, _CMP_LT_OQ));
  const __m256 shifted = _mm256_add_ps(_mm256_mul_ps(y, _mm256_set1_ps(1.44269504f)), rounding_shift);
  const __m256 n = _mm256_sub_ps(shifted, rounding_shift);
  const __m256 r = _mm256_sub_ps(_mm256_sub_ps(y, _mm256_mul_ps(n, _mm256_set1_ps(0.693145751953125f))),
                                 _mm256_mul_ps(n, _mm256_set1_ps(1.428606765330187e-06f)));
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 120));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 24));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 6));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0.5f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
  const __m256i exponent = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(rounding_shift));
  const __m256i big = _mm256_cmpeq_epi32(exponent, _mm256_set1_epi32(128));  // all ones where n = 128
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_add_epi32(exponent, big), _mm256_set1_epi32(127)), 23);
  const __m256 factor = _mm256_blendv_ps(_mm256_set1_ps(1.0f), _mm256_set1_ps(2.0f), _mm256_castsi256_ps(big));
  const __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(bits)), factor);
  __m256 value = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(x, low, _CMP_LT_OQ));
  value = _mm256_blendv_ps(value, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, high, _CMP_GT_OQ));
  return _mm256_blendv_ps(value, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

__attribute__((target("avx2,fma"))) static float exp_row_avx2(float *out, const float *inp, long count,
                                                              float shift, float scale) {
  const __m256 vshift = _mm256_set1_ps(shift), vscale = _mm256_set1_ps(scale);
  __m256 total = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 e = fast_exp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(inp + i), vshift), vscale));
    _mm256_storeu_ps(out + i, e);
    total = _mm256_add_ps(total, e);
  }
  float partial[8];
  _mm256_storeu_ps(partial, total);
  float sum = 0.0f;
  for (int k = 0; k < 8; k++) sum += partial[k];
  for (; i < count; i++) {
    const float e = fast_exp((inp[i] - shift) * scale);
    out[i] = e;
    sum += e;
  }
  return sum;
}

static float exp_row_portable(float *out, const float *inp, long count, float shift, float scale) {
  float sum = 0.0f;
  for (long i = 0; i < count; i++) {
    const float e = fast_exp((inp[i] - shift) * scale);
    out[i] = e;
    sum += e;
  }
  return sum;
}

float ck_exp_shifted_row(float *out, const float *inp, long count, float shift, float scale) {
  return ck_has_avx2() ? exp_row_avx2(out, inp, count, shift, scale)
                       : exp_row_portable(out, inp, count, shift, scale);
}
