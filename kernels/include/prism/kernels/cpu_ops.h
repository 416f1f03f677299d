// CPU ops used by the Llama forward. Each op lives in its own file under kernels/cpu/ and
// has a plain reference twin (suffix _ref) that tests compare it against on random inputs.
// All float buffers are row-major, float32, caller-owned; no op allocates per call except
// thread-local scratch.
#pragma once

#include <cstdint>

#include "prism/kernels/dtype.h"
#include "prism/kernels/thread_pool.h"

namespace prism::kernels {

// --- matmul.cpp: y = x · Wᵀ ----------------------------------------------------------
/// Reference dot product of one weight row (row_size(t, n) bytes, any computable type) with
/// x: dequantize_row_ref then a double-precision sum.
double dot_row_ref(ggml_type t, const void* w, const float* x, int64_t n);
/// y[t][o] = Σ_i W[o][i] · x[t][i] for t < n_tokens, o < n_out. W is n_out rows of
/// row_size(wtype, n_in) bytes (GGUF shape [n_in, n_out]); x is [n_tokens, n_in]; y is
/// [n_tokens, n_out]. Float weights: matmul_float.h; quantized: matmul_quant.h; a type with
/// no kernel throws std::invalid_argument. Block-quantized weights (Q8_0, Q4_0, Q4_K,
/// Q5_K, Q6_K) multiply the activations rounded to 8 bits per block: each x_i moves by at
/// most half its block's step max|x| / 127, about 0.5% relative error in y (matmul_quant.h).
/// matmul_ref uses the float activations.
void matmul(ggml_type wtype, const void* w, int64_t n_in, int64_t n_out, const float* x,
            int64_t n_tokens, float* y, thread_pool& pool);
void matmul_ref(ggml_type wtype, const void* w, int64_t n_in, int64_t n_out, const float* x,
                int64_t n_tokens, float* y);

// --- rms_norm.cpp (Zhang & Sennrich 2019) ----------------------------------------------
/// y[t] = x[t] / sqrt(mean(x[t]²) + eps) * weight, for n_tokens rows of n floats.
/// y may alias x.
void rms_norm(const float* x, const float* weight, float* y, int64_t n_tokens, int64_t n,
              float eps);

// --- rope.cpp (Su et al. 2021, RoFormer) -------------------------------------------------
enum class rope_pairing { adjacent, half };
/// Rotates the first n_rot dims of each head in place: x is [n_tokens, n_heads, head_dim];
/// pair i (i < n_rot/2) turns by angle pos[t] · theta^(-2i / n_rot). `adjacent` pairs
/// (x[2i], x[2i+1]) (GGUF / llama2.c); `half` pairs (x[i], x[i + n_rot/2]) (HF / NeoX).
void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t n_rot,
          const int32_t* pos, float theta, rope_pairing pairing);

// --- softmax.cpp -------------------------------------------------------------------------
/// In-place numerically stable softmax of n floats (max subtracted; -inf gives 0).
void softmax(float* x, int64_t n);

// --- attention.cpp ---------------------------------------------------------------------
/// Causal scaled dot-product attention of one query position for the `group` query heads
/// that share one KV head (grouped-query attention), against the first n_kv cached positions.
///   q:     [group, head_dim]                      out: [group, head_dim]
///   kt:    keys of this KV head, transposed: element (p, d) at kt[d * kt_stride + p]
///          (kt_stride >= n_kv)
///   v:     values of this KV head: element (p, d) at v[p * v_stride + d]
///   probs: [group rows of probs_stride >= n_kv floats]; row g receives head g's
///          post-softmax probabilities over the n_kv positions (capture reads them here).
/// Scores are scaled by 1/sqrt(head_dim). SIMD (AVX-512 / AVX2) when the CPU has it.
void attention_group(const float* q, const float* kt, int64_t kt_stride, const float* v,
                     int64_t v_stride, int64_t n_kv, int64_t group, int64_t head_dim, float* probs,
                     int64_t probs_stride, float* out);

// --- swiglu.cpp (Shazeer 2020) -----------------------------------------------------------
/// gate[i] = silu(gate[i]) * up[i] over n floats.
void swiglu(float* gate, const float* up, int64_t n);

// --- add.cpp -------------------------------------------------------------------------------
/// y[i] += x[i] over n floats.
void add_inplace(float* y, const float* x, int64_t n);

}  // namespace prism::kernels
