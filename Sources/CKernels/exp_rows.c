// out[i] = e^(scale·(inp[i] − shift)) over a row, returning the sum: the exponentials of the
// softmax, cross-entropy and token-filter kernels. The same arithmetic as Swift's `fastExp`
// (FastMath.swift), compiled for AVX2 as well as baseline x86-64 (Swift's loop ran 4 lanes wide).
#include "ckernels.h"

#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)  // the Swift code's roundings exactly

static inline float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

// e^x: 0 below −87.3, +∞ above 88.72, NaN stays NaN (see fastExp).
static inline float fast_exp(float x) {
  const float rounding_shift = 12582912.0f;  // 1.5·2²³
  const float low = -87.3f, high = 88.72f;
  const float raised = low >= x ? low : x;   // Swift's max(x, low)
  const float y = high < raised ? high : raised;  // Swift's min(·, high)
  const float shifted = y * 1.44269504f + rounding_shift;
  const float n = shifted - rounding_shift;
  const float r = (y - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1;
  p = p * r + 1;
  const uint32_t exponent = to_bits(shifted) - to_bits(rounding_shift);
  const uint32_t big = exponent == 128;  // 2ⁿ overflows before p < 1 scales it down: 2ⁿ⁻¹·2
  const float result = p * from_bits((exponent - big + 127) << 23) * (big ? 2.0f : 1.0f);
  if (x != x) return x;
  return x < low ? 0.0f : (x > high ? __builtin_inff() : result);
}

#define EXP_ROW_LOOP                                                  \
  float partial[8] = {0};                                             \
  long i = 0;                                                         \
  for (; i + 8 <= count; i += 8) {                                    \
    for (int k = 0; k < 8; k++) {                                     \
      const float e = fast_exp((inp[i + k] - shift) * scale);         \
      out[i + k] = e;                                                 \
      partial[k] += e;                                                \
    }                                                                 \
  }                                                                   \
  float sum = 0.0f;                                                   \
  for (int k = 0; k < 8; k++) sum += partial[k];                      \
  for (; i < count; i++) {                                            \
    const float e = fast_exp((inp[i] - shift) * scale);               \
    out[i] = e;                                                       \
    sum += e;                                                         \
  }                                                                   \
  return sum;

__attribute__((target("avx2,fma"))) static float exp_row_avx2(float *out, const float *inp, long count,
                                                              float shift, float scale) {
  EXP_ROW_LOOP
}

static float exp_row_portable(float *out, const float *inp, long count, float shift, float scale) {
  EXP_ROW_LOOP
}

float ck_exp_shifted_row(float *out, const float *inp, long count, float shift, float scale) {
  return ck_has_avx2() ? exp_row_avx2(out, inp, count, shift, scale)
                       : exp_row_portable(out, inp, count, shift, scale);
}
