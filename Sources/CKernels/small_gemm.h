// A small strided matrix product for the attention kernels (internal header).
#ifndef MINILLM_SMALL_GEMM_H
#define MINILLM_SMALL_GEMM_H

// C (m, n) = alpha · A (m, k) · B (k, n) (+ C when accumulate), all in registers tile by tile,
// no packing: sized for attention blocks (m a few rows, n and k up to a few hundred).
// A(i, p) is a[i·a_row_stride + p·a_col_stride] (either stride may be 1, so Aᵀ works too);
// B and C are row-major with leading dimensions ldb and ldc.
void ck_small_gemm(float *c, int ldc, const float *a, int a_row_stride, int a_col_stride,
                   const float *b, int ldb, int m, int n, int k, float alpha, int accumulate);

#endif
