// Internal interface of the quantized matmul (matmul_quant.cpp drives, the quant_*.cpp files
// hold the kernels per instruction-set level): the job description they share, the layout
// of the quantized activations, and the generic form the K-quant kernels unpack to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "prism/kernels/matmul_quant.h"

namespace prism::kernels::detail {

/// How a call's quantized activations are laid out in scratch.
///   rows  (row kernels): each token's activations as a struct of arrays, act_row_bytes()
///         apart: qs[n_in] int8, then d[nb] float (one per block of 32, or per super-block
///         of 256), then Q8_0 / Q4_0: bias[nb] int32 (−offset · Σ qs, act_offset()), or
///         K-quants: bsums[nb][16] int16. Vector loads of quants and scales are contiguous.
///   rows_q4_pairs: as rows, but each pair of blocks (b, b + 1) stores its 64 quants as
///         b[0..15], b+1[0..15], b[16..31], b+1[16..31]: the order in which the x86 Q4_0
///         kernels unpack the two blocks' nibbles (an odd last block stays as it is).
///   tiles (blocked GEMM): tokens in tiles of T = gemm_tokens; activation block b of token
///         t (act_q8_0 / act_q8_k) sits at act + (t / T) · T · act_stride + (b · T + t % T) ·
///         sizeof(block): a tile's blocks interleaved block-major. Tokens past n_tokens in
///         the last tile are zero blocks.
enum class act_layout { rows, rows_q4_pairs, tiles };

/// One token's activations in the rows layouts.
struct act_row {
    const int8_t* qs;
    const float* d;
    const int32_t* bias;   ///< Q8_0 / Q4_0
    const int16_t* bsums;  ///< K-quants
};

/// True for Q4_K, Q5_K, Q6_K (activations act_q8_k), false for Q8_0, Q4_0 (act_q8_0).
inline bool is_kquant(ggml_type t) {
    return t == ggml_type::q4_k || t == ggml_type::q5_k || t == ggml_type::q6_k;
}
/// The offset weights are stored with in the unsigned-times-signed integer kernels.
inline int act_offset(ggml_type t) {
    return t == ggml_type::q8_0 ? 128 : 8;
}
/// Elements per activation block: 256 for the K-quants, else 32.
inline int64_t act_block_size(ggml_type t) {
    return is_kquant(t) ? 256 : 32;
}
/// Bytes of one token in the rows layouts (a multiple of 64).
inline size_t act_row_bytes(ggml_type t, int64_t n_in) {
    const int64_t nb = n_in / act_block_size(t);
    const int64_t bytes = n_in + nb * (is_kquant(t) ? 4 + 32 : 4 + 4);
    return static_cast<size_t>((bytes + 63) / 64 * 64);
}
/// The arrays of one token in the rows layouts, starting at base.
template <class Byte> inline act_row act_row_at(ggml_type t, int64_t n_in, Byte* base) {
    const int64_t nb = n_in / act_block_size(t);
    const auto* b = reinterpret_cast<const uint8_t*>(base);
    const auto* d = reinterpret_cast<const float*>(b + n_in);
    return {reinterpret_cast<const int8_t*>(b), d, reinterpret_cast<const int32_t*>(d + nb),
            reinterpret_cast<const int16_t*>(d + nb)};
}

/// One quantized matmul, activations already quantized (layout above).
struct quant_job {
    ggml_type wtype;
    const uint8_t* w;  ///< n_out rows of w_row bytes
    size_t w_row;
    int64_t n_in, n_out, n_tokens;
    const uint8_t* act;
    act_layout layout;
    size_t act_stride;  ///< rows: bytes per token; tiles: bytes of one token's blocks
    float* y;           ///< [n_tokens, n_out]

    /// Token t's activations (rows layouts).
    act_row row(int64_t t) const { return act_row_at(wtype, n_in, act + t * act_stride); }
};

/// Quantizes tokens [t0, t1) of x ([n_tokens, n_in]) into `out` in the given layout, so
/// callers can split the work; for tiles, t1 may reach the end of the last tile to fill its
/// padding with zero blocks.
void quantize_act(ggml_type wtype, act_layout layout, const float* x, int64_t n_in,
                  int64_t n_tokens, uint8_t* out, int64_t t0, int64_t t1);

/// The 8 six-bit scales (first) and mins (second) of a Q4_K / Q5_K `scales` array, byte j
/// of each word for sub-block j (the packing of kquants.h), unpacked 4 at a time in 32-bit
/// words: j < 4 from the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); j >= 4 from the
/// nibbles of bytes 8-11 plus the top 2 bits of bytes 0-3 / 4-7.
inline std::pair<uint64_t, uint64_t> unpack_scales_k4(const uint8_t* packed) {
    uint32_t w[3];
    std::memcpy(w, packed, sizeof w);
    const uint64_t sc =
        (w[0] & 0x3f3f3f3fu) | uint64_t{(w[2] & 0x0f0f0f0fu) | ((w[0] >> 2) & 0x30303030u)} << 32;
    const uint64_t m = (w[1] & 0x3f3f3f3fu) |
                       uint64_t{((w[2] >> 4) & 0x0f0f0f0fu) | ((w[1] >> 2) & 0x30303030u)} << 32;
    return {sc, m};
}

// Row kernels: y[t][r] for r in [r0, r1) and every token, activations in a rows layout
// (rows_q4_pairs for Q4_0 on x86, else rows).
void quant_rows_portable(const quant_job& job, int64_t r0, int64_t r1);
void quant_rows_avx2(const quant_job& job, int64_t r0, int64_t r1);
void quant_rows_avx512(const quant_job& job, int64_t r0, int64_t r1);

/// Blocked GEMM (AVX-512 VNNI): panels of gemm_rows output rows, tiles of gemm_tokens
/// tokens; computes panels [p0, p1). Activations in the tiles layout.
inline constexpr int64_t gemm_rows = 16;
inline constexpr int64_t gemm_tokens = 8;
void quant_gemm_avx512(const quant_job& job, int64_t p0, int64_t p1);

}  // namespace prism::kernels::detail
