// Internal interface of the quantized matmul (matmul_quant.cpp drives, the quant_*.cpp files
// hold the kernels per instruction-set level): the job description they share, the layout
// of the quantized activations, and the generic form the K-quant kernels unpack to.
#pragma once

#include <cstddef>
#include <cstdint>

#include "prism/kernels/matmul_quant.h"

namespace prism::kernels::detail {

/// One quantized matmul, activations already quantized. Tokens are grouped in tiles of
/// `tile` (1 for the row kernels, gemm_tokens for the blocked GEMM): activation block b of
/// token t sits at act + (t / tile) · tile · act_row + (b · tile + t % tile) · act_block,
/// i.e. a tile stores its tokens' blocks interleaved, block-major. With tile 1 that is plain
/// rows of act_row bytes. Tokens past n_tokens in the last tile are zero blocks.
struct quant_job {
    ggml_type wtype;
    const uint8_t* w;  ///< n_out rows of w_row bytes
    size_t w_row;
    int64_t n_in, n_out, n_tokens;
    const uint8_t* act;  ///< act_q8_0 or act_q8_k blocks, laid out as above
    size_t act_block;    ///< sizeof(act_q8_0) or sizeof(act_q8_k)
    size_t act_row;      ///< bytes of one token's blocks
    int64_t tile;
    float* y;  ///< [n_tokens, n_out]

    /// Activation blocks of token t (tile 1 only).
    const uint8_t* act_token(int64_t t) const { return act + t * act_row; }
};

/// True for Q4_K, Q5_K, Q6_K (activations act_q8_k), false for Q8_0, Q4_0 (act_q8_0).
inline bool is_kquant(ggml_type t) {
    return t == ggml_type::q4_k || t == ggml_type::q5_k || t == ggml_type::q6_k;
}
/// The offset weights are stored with in the unsigned-times-signed integer kernels.
inline int act_offset(ggml_type t) {
    return t == ggml_type::q8_0 ? 128 : 8;
}

/// Quantizes n_tokens rows of n_in floats into the tiled layout above (tokens [t0, t1) only,
/// so callers can split the work; t1 may reach the end of the last tile to zero-fill it).
void quantize_act_tiled(ggml_type wtype, const float* x, int64_t n_in, int64_t n_tokens,
                        int64_t tile, uint8_t* out, int64_t t0, int64_t t1);

/// A K-quant super-block in one generic form: w[i] = d · sc[i / 16] · q[i] − dmin · m[i / 16]
/// with unsigned q. Q4_K / Q5_K: sc and m are the 6-bit sub-block scale and min, repeated
/// for both halves of each 32-element sub-block. Q6_K: q is the stored 6-bit value, sc the
/// signed 8-bit scale, m = 32 · sc and dmin = d (the −32 offset as a min).
struct kq_block {
    float d, dmin;
    int16_t sc[16];
    int16_t m[16];
    uint8_t q[256];
};
/// d, dmin, sc and m of a K-quant super-block (everything but q).
void unpack_kq_scales(ggml_type t, const uint8_t* block, kq_block& out);
void unpack_kq(ggml_type t, const uint8_t* block, kq_block& out);

// Row kernels: y[t][r] for r in [r0, r1) and every token, activations in tile 1 layout.
void quant_rows_portable(const quant_job& job, int64_t r0, int64_t r1);
void quant_rows_avx2(const quant_job& job, int64_t r0, int64_t r1);
void quant_rows_avx512(const quant_job& job, int64_t r0, int64_t r1);

/// Blocked GEMM (AVX-512 VNNI): panels of gemm_rows output rows, tiles of gemm_tokens
/// tokens; computes panels [p0, p1). Activations in tile gemm_tokens layout.
inline constexpr int64_t gemm_rows = 16;
inline constexpr int64_t gemm_tokens = 8;
void quant_gemm_avx512(const quant_job& job, int64_t p0, int64_t p1);

}  // namespace prism::kernels::detail
