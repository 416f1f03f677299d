// The quantized matmul's parts, for tests and benchmarks: the 8-bit activation formats it
// multiplies block-quantized weights with, their quantizers, and matmul at a chosen
// instruction-set level (matmul() in cpu_ops.h picks the best one the CPU has).
//
// Design (the scheme of llama.cpp's ggml-cpu, written anew): each call first quantizes the
// activation rows x once, to 8-bit blocks with one float scale each, then multiplies
// integer weight quants by integer activation quants (exact int32 sums per block) and
// applies both scales in float. Q8_0 and Q4_0 weights meet Q8_0-style activation blocks of
// 32; Q4_K, Q5_K and Q6_K meet Q8_K-style super-blocks of 256 whose per-16 sums carry the
// K-quants' min / offset terms. Decode and small batches stream each weight row once
// through row kernels (several tokens per decoded block); from 6 tokens (Q8_0, Q4_0) or 12
// (K-quants) AVX-512 VNNI runs a blocked GEMM over packed 16-row weight panels.
//
// Error this adds to matmul (on top of the weights' own quantization): activation x_i in a
// block with scale d = max|x| / 127 becomes x̂_i = d · round(x_i / d), |x_i − x̂_i| <= d / 2,
// so |y − y_exact| <= Σ_blocks (d_b / 2) · Σ_{i in b} |w_i|, plus float32 rounding of the
// per-block scaling (relative ~1e-6 of Σ |w_i x̂_i|). For Gaussian-like activations that is
// an RMS relative error of about 0.5% per output with blocks of 32 and 0.7% with blocks of
// 256 (max|x| ≈ 2σ and 3σ); llama.cpp makes the same trade.
#pragma once

#include <cstdint>

#include "prism/kernels/dtype.h"
#include "prism/kernels/thread_pool.h"

namespace prism::kernels {

/// Instruction-set levels of the quantized matmul kernels, lowest first.
enum class quant_isa { portable, avx2, avx512_vnni };

/// The best level this CPU allows (cpu_caps(), so PRISM_CPU_FEATURES caps it too).
quant_isa quant_isa_best();
const char* quant_isa_name(quant_isa isa);

/// True for the weight types matmul_quant_at handles: Q8_0, Q4_0, Q4_K, Q5_K, Q6_K.
bool matmul_quant_supports(ggml_type wtype);

/// matmul (cpu_ops.h: y[t][o] = Σ_i W[o][i] · x[t][i]; W is n_out rows of
/// row_size(wtype, n_in) bytes, x is [n_tokens, n_in], y is [n_tokens, n_out], float32) with
/// activations quantized as described above, computed at level `isa`, which must not exceed
/// quant_isa_best(). n_in must be a multiple of the weight type's block size; otherwise, or
/// for another type or level, throws std::invalid_argument. Scratch is thread-local and only
/// grows: about n_tokens · n_in bytes of activations in the calling thread and, for the
/// GEMM, one packed panel per worker (about 16 · n_in · 1.2 bytes); no allocation in steady
/// state.
void matmul_quant_at(quant_isa isa, ggml_type wtype, const void* w, int64_t n_in, int64_t n_out,
                     const float* x, int64_t n_tokens, float* y, thread_pool& pool);

// --- activation formats ------------------------------------------------------------------

/// 32 activations as d · qs[i]. `bias` = −offset · Σ qs: the integer correction for weights
/// stored unsigned as w + offset (Q8_0: 128, Q4_0: 8), so Σ w·qs = Σ (w + offset)·qs + bias.
struct act_q8_0 {
    float d;
    int32_t bias;
    int8_t qs[32];
};
/// 256 activations as d · qs[i]; bsums[g] = Σ qs[16g .. 16g + 15].
struct act_q8_k {
    float d;
    int16_t bsums[16];
    int8_t qs[256];
};
static_assert(sizeof(act_q8_0) == 40);
static_assert(sizeof(act_q8_k) == 292);

/// Quantizes n floats (a multiple of 32) into n / 32 blocks: d = max|x| / 127,
/// qs = round-half-even(x / d) (0 for an all-zero block).
void quantize_act_q8_0(const float* x, int64_t n, int offset, act_q8_0* out);
/// Quantizes n floats (a multiple of 256) into n / 256 super-blocks, same rounding.
void quantize_act_q8_k(const float* x, int64_t n, act_q8_k* out);

}  // namespace prism::kernels
