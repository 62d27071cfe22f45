// C kernels for the few hot loops that need explicit AVX2/FMA register blocking. Each picks an
// AVX2 path at run time when the CPU has it, and a portable path otherwise.
#ifndef MINILLM_CKERNELS_H
#define MINILLM_CKERNELS_H

/// out (N, OC) = inp (N, C) · weightᵀ + bias, with weight (OC, C) and bias (OC) or NULL.
/// For few rows N (decode steps): each weight row is streamed once.
void ck_matmul_few_rows(float *out, const float *inp, const float *weight, const float *bias,
                        int N, int C, int OC);

/// The same, restricted to output columns [o_begin, o_end) (for splitting across threads).
void ck_matmul_columns(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC, int o_begin, int o_end);

/// Repacks weight (OC, C) for `ck_matmul_panels`: panels of 8 rows, each (C, 8) (row o+k's
/// column c at c·8 + k), then the OC mod 8 leftover rows unchanged; OC·C floats in all.
void ck_pack_panels(float *panels, const float *weight, int C, int OC);

/// out (N, OC) = inp (N, C) · weightᵀ + bias, from weight packed by `ck_pack_panels`, for the
/// output columns [o_begin, o_end) (o_begin a multiple of 8). Each panel is streamed once
/// for up to 8 input rows.
void ck_matmul_panels(float *out, const float *inp, const float *panels, const float *bias, int N, int C,
                      int OC, int o_begin, int o_end);

/// One query of one head against keys/values rows 0..Tk-1 (row stride kv_row_stride):
/// att[j] = softmax over j in [first, last] of scale·q·k_j (0 elsewhere), out = Σ_j att[j]·v_j.
/// first > last gives zeros. out, q: (hs); att: (Tk).
void ck_attention_query_row(float *out, float *att, const float *q, const float *k, const float *v,
                            int first, int last, int Tk, int hs, int kv_row_stride, float scale);

/// Causal attention for one (batch, head) and many queries. Query t (absolute position
/// past + t, past = Tk − Tq) sees keys [first, past + t]; a query with none outputs zeros.
/// att (Tq, Tk) gets the probabilities (0 outside the visible keys); out (Tq, ·) the outputs.
/// q, k, v, out: rows of hs floats at the given row strides. Both calls keep a per-thread
/// workspace (a few (Tq, Tk) matrices) for the next call. Returns 0, or −1 when out of memory.
int ck_attention_forward_head(float *out, float *att, const float *q, const float *k, const float *v,
                              int first, int Tq, int Tk, int hs, int q_row_stride, int kv_row_stride,
                              int out_row_stride, float scale);

/// Backward of `ck_attention_forward_head`: accumulates into dq, dk, dv (the layouts of q, k, v).
/// dout has out's layout; att is what the forward saved. Returns 0, or −1 when out of memory.
int ck_attention_backward_head(float *dq, float *dk, float *dv, const float *dout, const float *att,
                               const float *q, const float *k, const float *v, int first, int Tq, int Tk,
                               int hs, int q_row_stride, int kv_row_stride, int out_row_stride, float scale);

/// One AdamW step on `count` parameters p with gradients g and moments m, v (none overlapping):
/// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= decay·p + lr·(m/c1) / (√(v/c2) + ε), with the
/// bias corrections c1 = 1 − β1^t, c2 = 1 − β2^t and decay = lr·weight_decay (0 for no decay).
void ck_adamw_update(float *p, const float *g, float *m, float *v, long count, float learning_rate, float beta1,
                     float beta2, float epsilon, float decay, float correction1, float correction2);

/// The largest of x[0..n) (−∞ for n = 0; NaNs are skipped).
float ck_row_maximum(const float *x, long n);

/// GELU (tanh approximation): out = 0.5·x·(1 + tanh(scale·(x + 0.044715·x³))), scale = √(2/π)
/// as the caller rounds it. out and inp must not overlap.
void ck_gelu_forward(float *out, const float *inp, long count, float scale);

/// Backward of `ck_gelu_forward`: dinp += gelu'(inp)·dout (no overlaps).
void ck_gelu_backward(float *dinp, const float *inp, const float *dout, long count, float scale);

/// out[i] = e^(scale·(inp[i] − shift)) for i < count (the arithmetic of Swift's `fastExp`);
/// returns Σ out[i]. out may equal inp.
float ck_exp_shifted_row(float *out, const float *inp, long count, float shift, float scale);

/// 1 when the AVX2/FMA path is in use on this CPU.
int ck_has_avx2(void);

/// 1 when this CPU has the AVX-512 subsets OpenBLAS's SkylakeX kernels use (F, CD, BW, DQ, VL).
int ck_has_avx512_skylakex(void);

/// 1 when this CPU also has AVX-512 BF16 (OpenBLAS's Cooperlake kernels).
int ck_has_avx512_bf16(void);

#endif
