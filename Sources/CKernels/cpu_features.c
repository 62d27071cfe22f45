// Which x86-64 instruction set extensions this CPU has, read once with the compiler's CPUID
// helpers. The kernels pick their AVX2 paths from it; BLASCorePin picks OpenBLAS's kernel set.
#include "ckernels.h"

int ck_has_avx2(void) {
  static int cached = -1;
  if (cached < 0) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    cached = 0;
#endif
  }
  return cached;
}

int ck_has_avx512_skylakex(void) {
  static int cached = -1;
  if (cached < 0) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    cached = ck_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl");
#else
    cached = 0;
#endif
  }
  return cached;
}

int ck_has_avx512_bf16(void) {
  static int cached = -1;
  if (cached < 0) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    cached = ck_has_avx512_skylakex() && __builtin_cpu_supports("avx512bf16");
#else
    cached = 0;
#endif
  }
  return cached;
}
