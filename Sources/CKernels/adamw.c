// One AdamW step over a flat run of parameters. The Swift loop did not vectorize (it cannot
// prove that parameters, gradients and moments do not overlap); here they are `restrict` and the
// loop is compiled for AVX2 as well as for baseline x86-64.
#include "ckernels.h"

#pragma clang fp contract(off)  // the same roundings as the plain formula, on every CPU

// sqrtf would be a library call (it may set errno), which keeps the loop scalar; the
// elementwise builtin is the plain, correctly rounded square root instruction.
#if __has_builtin(__builtin_elementwise_sqrt)
#define SQRT(x) __builtin_elementwise_sqrt(x)
#else
#define SQRT(x) __builtin_sqrtf(x)
#endif

#define ADAMW_LOOP                                                                   \
  for (long i = 0; i < count; i++) {                                                 \
    const float grad = g[i];                                                         \
    const float mi = beta1 * m[i] + (1.0f - beta1) * grad;                           \
    const float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;                    \
    m[i] = mi;                                                                       \
    v[i] = vi;                                                                       \
    const float m_hat = mi / correction1;                                            \
    const float v_hat = vi / correction2;                                            \
    p[i] -= decay * p[i] + learning_rate * m_hat / (SQRT(v_hat) + epsilon);          \
  }

__attribute__((target("avx2,fma"))) static void adamw_avx2(
    float *restrict p, const float *restrict g, float *restrict m, float *restrict v, long count,
    float learning_rate, float beta1, float beta2, float epsilon, float decay, float correction1,
    float correction2) {
  ADAMW_LOOP
}

static void adamw_portable(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                           long count, float learning_rate, float beta1, float beta2, float epsilon, float decay,
                           float correction1, float correction2) {
  ADAMW_LOOP
}

void ck_adamw_update(float *p, const float *g, float *m, float *v, long count, float learning_rate, float beta1,
                     float beta2, float epsilon, float decay, float correction1, float correction2) {
  if (ck_has_avx2()) {
    adamw_avx2(p, g, m, v, count, learning_rate, beta1, beta2, epsilon, decay, correction1, correction2);
  } else {
    adamw_portable(p, g, m, v, count, learning_rate, beta1, beta2, epsilon, decay, correction1, correction2);
  }
}
