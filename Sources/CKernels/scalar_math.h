// The scalar exponential core shared by the C loops that repeat Swift's FastMath arithmetic
// (exp_rows.c, gelu.c); include after `#pragma clang fp contract(off)` (internal header).
#ifndef MINILLM_SCALAR_MATH_H
#define MINILLM_SCALAR_MATH_H

#include <stdint.h>
#include <string.h>

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

// Swift's `reducedExp`: for y in [−87.3, 88.72], e^r (degree-6 polynomial, returned) and n
// (in *exponent) with y = n·ln2 + r, |r| ≤ ln2/2.
static inline float reduced_exp(float y, uint32_t *exponent) {
  const float rounding_shift = 12582912.0f;  // 1.5·2²³
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
  *exponent = to_bits(shifted) - to_bits(rounding_shift);
  return p;
}

#endif
