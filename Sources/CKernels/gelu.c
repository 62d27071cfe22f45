// GELU (tanh approximation) forward and backward over a run of floats. The same arithmetic as
// the Swift `fastTanh` (FastMath.swift), step for step, compiled for AVX2 as well as baseline
// x86-64: Swift builds for baseline x86-64, so its loop ran 4 lanes wide.
#include "ckernels.h"

#pragma clang fp contract(off)  // the Swift code's roundings exactly

#include "scalar_math.h"

// tanh(x) = sign(x)·(1 − e)/(1 + e) with e = e^(−2|x|), |x| capped at 9.
static inline float fast_tanh(float x) {
  const float magnitude = from_bits(to_bits(x) & 0x7FFFFFFFu);
  const float capped = 9.0f < magnitude ? 9.0f : magnitude;
  uint32_t exponent;
  const float p = reduced_exp(-2 * capped, &exponent);
  const float e = p * from_bits((exponent + 127) << 23);
  const float t = (1 - e) / (1 + e);
  return from_bits(to_bits(t) | (to_bits(x) & 0x80000000u));
}

#define GELU_FORWARD_LOOP                                        \
  for (long i = 0; i < count; i++) {                             \
    const float x = inp[i];                                      \
    const float t = fast_tanh(scale * (x + 0.044715f * x * x * x)); \
    out[i] = 0.5f * x * (1 + t);                                 \
  }

// in the forward pass this was: out = 0.5·x·(1 + tanh(u)), u = scale·(x + 0.044715·x³)
#define GELU_BACKWARD_LOOP                                                                  \
  for (long i = 0; i < count; i++) {                                                        \
    const float x = inp[i];                                                                 \
    const float t = fast_tanh(scale * (x + 0.044715f * x * x * x));                         \
    const float sech2 = 1 - t * t;                                                          \
    const float local = 0.5f * (1 + t) + 0.5f * x * sech2 * scale * (1 + 3 * 0.044715f * x * x); \
    dinp[i] += local * dout[i];                                                             \
  }

__attribute__((target("avx2,fma"))) static void forward_avx2(float *restrict out, const float *restrict inp,
                                                             long count, float scale) {
  GELU_FORWARD_LOOP
}
static void forward_portable(float *restrict out, const float *restrict inp, long count, float scale) {
  GELU_FORWARD_LOOP
}
__attribute__((target("avx2,fma"))) static void backward_avx2(float *restrict dinp, const float *restrict inp,
                                                              const float *restrict dout, long count, float scale) {
  GELU_BACKWARD_LOOP
}
static void backward_portable(float *restrict dinp, const float *restrict inp, const float *restrict dout,
                              long count, float scale) {
  GELU_BACKWARD_LOOP
}

void ck_gelu_forward(float *out, const float *inp, long count, float scale) {
  if (ck_has_avx2()) {
    forward_avx2(out, inp, count, scale);
  } else {
    forward_portable(out, inp, count, scale);
  }
}

void ck_gelu_backward(float *dinp, const float *inp, const float *dout, long count, float scale) {
  if (ck_has_avx2()) {
    backward_avx2(dinp, inp, dout, count, scale);
  } else {
    backward_portable(dinp, inp, dout, count, scale);
  }
}
