// The float-weight matmul's parts, for tests and benchmarks: matmul (cpu_ops.h) for F32, F16
// and BF16 weights at a chosen instruction-set level; matmul() picks the best the CPU has.
//
// Design: two paths by batch size. Few tokens (decode) are memory-bound, so a matrix-vector
// kernel streams each weight row once, 8 rows at a time (AVX-512), widening F16/BF16 in
// registers. Many tokens (prompt processing) are compute-bound, so a GEMM in the manner of
// GotoBLAS/BLIS (Goto & van de Geijn 2008, "Anatomy of high-performance matrix
// multiplication") packs x into token panels and blocks of W, converted to f32, into output
// panels, and runs a register-blocked outer-product micro-kernel on them. Output rows are
// split over the thread pool; each thread packs its own weights, so every weight is read once
// per call.
//
// Arithmetic: products and sums in float32 (F16/BF16 weights are widened exactly; x is never
// rounded). Every output is 4 interleaved FMA chains over i (i mod 4) summed in a fixed order
// (gemm_float.h), on both paths, at AVX2 and AVX-512 alike, and on any thread split, so a
// token's result is bit-identical whatever batch it is computed in (the engine's logits do not
// depend on prompt chunking). Against the exact sum:
// |y − y_exact| <= ~(n_in / 4 + 2) · 2^-24 · Σ_i |W[o][i] · x[t][i]|.
#pragma once

#include <cstdint>

#include "prism/kernels/dtype.h"
#include "prism/kernels/thread_pool.h"

namespace prism::kernels {

/// Instruction-set levels of the float matmul kernels, lowest first.
enum class float_isa { portable, avx2, avx512 };

/// The best level this CPU allows (cpu_caps(), so PRISM_CPU_FEATURES caps it too).
float_isa float_isa_best();
const char* float_isa_name(float_isa isa);

/// Batches of at least this many tokens take the blocked GEMM; smaller ones the
/// matrix-vector kernel.
inline constexpr int64_t matmul_float_gemm_min_tokens = 8;

/// matmul (cpu_ops.h): y[t][o] = Σ_i W[o][i] · x[t][i], W n_out rows of n_in F32, F16 or BF16
/// elements, x [n_tokens, n_in] and y [n_tokens, n_out] float32, computed at level `isa`,
/// which must not exceed float_isa_best(). Uses thread-local scratch (GEMM: about n_tokens ·
/// n_in floats, plus 128 (AVX-512) or 256 (AVX2) rows of W as f32 per thread); no allocation
/// in steady state.
void matmul_float_at(float_isa isa, ggml_type wtype, const void* w, int64_t n_in, int64_t n_out,
                     const float* x, int64_t n_tokens, float* y, thread_pool& pool);

}  // namespace prism::kernels
