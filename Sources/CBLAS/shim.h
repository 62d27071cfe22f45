// CBLAS shim: OpenBLAS's CBLAS interface plus its thread-control extensions.
#ifndef MINILLM_CBLAS_SHIM_H
#define MINILLM_CBLAS_SHIM_H
#include <cblas.h>

static inline int cblas_shim_row_major(void) { return CblasRowMajor; }
#endif
