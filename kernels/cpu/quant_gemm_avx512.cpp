// Blocked GEMM for block-quantized weights on AVX-512 VNNI (quant_impl.h): prompt
// processing, where each weight is used by many tokens.
//
// Design (the classic packed-panel GEMM, as in BLIS / oneDNN, with ggml's block scales):
// the output rows are cut into panels of 16. A panel's weights are decoded once per call
// into a "lanes = rows" layout in thread-local scratch that stays in L2: for every 4
// consecutive quants of a block, one 64-byte vector holds those 4 bytes of each of the 16
// rows (unsigned: Q8_0 stored as w + 128, Q4_0 as its nibble, K-quants as their unsigned q).
// The micro-kernel then runs vpdpbusd with that vector against the same 4 activation bytes
// of each of 8 tokens broadcast from memory, so one instruction does 64 multiply-adds of
// one token for 16 rows, and the int32 lanes already are per-row block sums: the scales
// are applied per block (Q8_0 / Q4_0: one convert and two float ops per token) or per
// K-quant group, never by horizontal sums. Activations come in tiles of 8 tokens with their
// blocks interleaved (quant_impl.h), so every broadcast address is an immediate offset.
//
// Corrections: Q8_0 / Q4_0 start each block's int32 sum at the activation block's bias
// (−offset · Σ a). K-quants subtract dmin · Σ_g m_g · Σ_{i in g} a_i per super-block, the
// int16 sums of 16 activations against the packed int16 mins through vpdpwssd.
//
// Cache blocking: a packed panel (16 rows × n_in: 36 KiB for Q8_0 at n_in 2048, 130 KiB for
// K-quants at 5632) stays in L2 while every token tile streams past it, so each weight byte
// comes from DRAM once per call; a tile's activations (8 tokens × n_in bytes) stay in L1.
// Packing is an 8 × 8 dword transpose per 16 rows and 32 quants (K-quants decode their
// quants with quant_x86.h first). Registers are 512-bit: on Zen 4 a 512-bit vpdpbusd runs
// at half the rate of a 256-bit one, the same multiply-adds per cycle for half the
// instructions (measured: 64 multiply-adds per cycle and core either way).
#include <algorithm>
#include <cstring>
#include <vector>

#include "quant_impl.h"
#include "quant_simd.h"

#ifdef PRISM_X86
PRISM_TARGET_AVX512_BEGIN
#include "quant_x86.h"

namespace prism::kernels::detail {

namespace {

constexpr int R = static_cast<int>(gemm_rows);    // 16 rows = int32 lanes of a zmm
constexpr int T = static_cast<int>(gemm_tokens);  // tokens per micro-kernel call

/// A packed Q8_0 / Q4_0 block of 16 rows.
struct alignas(64) panel_q8 {
    uint8_t q[8][4 * R];  // q[k][4r + j] = unsigned quant 4k + j of row r
    float d[R];
};
/// A packed K-quant super-block of 16 rows.
struct alignas(64) panel_kq {
    uint8_t q[64][4 * R];  // q[v][4r + j] = quant 4v + j of row r
    float dsc[16][R];      // d · sc of each group (Q4_K / Q5_K: 8 groups of 32; Q6_K: 16 of 16)
    int16_t m[8][2 * R];   // m[i][2r + j] = min of 16-element group 2i + j of row r
    float dmin[R];
};

inline __m512i bcast32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}
inline __m512 bcast_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, sizeof v);
    return _mm512_set1_ps(v);
}

// --- packing -------------------------------------------------------------------------------

/// out[k] lane r = dword k of rows[r], for 16 rows of 8 dwords: an 8 × 8 transpose in each
/// 256-bit half (rows 0-7 in the low half, 8-15 in the high half).
inline void transpose_16x8(const __m256i* rows, __m512i* out) {
    __m512i z[8], t[8], u[8];
    for (int i = 0; i < 8; ++i)
        z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(rows[i]), rows[i + 8], 1);
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm512_unpacklo_epi32(z[2 * i], z[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(z[2 * i], z[2 * i + 1]);
    }
    for (int i = 0; i < 2; ++i) {  // rows 4i..4i+3: dwords (0|4), (1|5), (2|6), (3|7)
        u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int k = 0; k < 4; ++k) {
        out[k] = _mm512_permutex2var_epi64(u[k], lo, u[k + 4]);
        out[k + 4] = _mm512_permutex2var_epi64(u[k], hi, u[k + 4]);
    }
}

/// Rows [r0, r0 + n) (n <= 16) of Q8_0 / Q4_0 weights into nb packed blocks; missing rows
/// get zero quants and scales.
void pack_q8(const quant_job& job, int64_t r0, int n, panel_q8* out) {
    const size_t bb = type_info(job.wtype).type_size;
    const int64_t nb = job.n_in / 32;
    const bool q8 = job.wtype == ggml_type::q8_0;
    const __m128i low4 = _mm_set1_epi8(0x0f);
    for (int64_t b = 0; b < nb; ++b) {
        __m256i rows[R];
        panel_q8& p = out[b];
        for (int r = 0; r < R; ++r) {
            if (r >= n) {
                rows[r] = _mm256_setzero_si256();
                p.d[r] = 0.0f;
                continue;
            }
            const uint8_t* blk = job.w + (r0 + r) * job.w_row + b * bb;
            const uint8_t* qs = blk + sizeof(uint16_t);
            if (q8) {
                rows[r] = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs)),
                                           _mm256_set1_epi8(static_cast<char>(0x80)));
            } else {
                const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
                rows[r] = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), low4),
                                           _mm_and_si128(raw, low4));
            }
            p.d[r] = _cvtsh_ss(load_u16(blk));
        }
        __m512i cols[8];
        transpose_16x8(rows, cols);
        for (int k = 0; k < 8; ++k) _mm512_store_si512(p.q[k], cols[k]);
    }
}

/// Row r's scales of one K-quant super-block into the panel.
void pack_kq_scales(ggml_type t, const uint8_t* block, int r, panel_kq& p) {
    if (t == ggml_type::q6_k) {
        const auto& b = *reinterpret_cast<const block_q6_k*>(block);
        const float d = _cvtsh_ss(b.d);
        for (int g = 0; g < 16; ++g) {
            p.dsc[g][r] = d * b.scales[g];
            p.m[g / 2][2 * r + g % 2] = static_cast<int16_t>(32 * b.scales[g]);
        }
        p.dmin[r] = d;
        return;
    }
    const auto& b = *reinterpret_cast<const block_q4_k*>(block);  // Q5_K starts alike
    const float d = _cvtsh_ss(b.d);
    const auto [sc, m] = unpack_scales_k4(b.scales);
    for (int j = 0; j < 8; ++j) {
        p.dsc[j][r] = d * static_cast<float>((sc >> (8 * j)) & 0xff);
        p.m[j][2 * r] = p.m[j][2 * r + 1] = static_cast<int16_t>((m >> (8 * j)) & 0xff);
    }
    p.dmin[r] = _cvtsh_ss(b.dmin);
}

void pack_kq(const quant_job& job, int64_t r0, int n, panel_kq* out) {
    const int64_t nsb = job.n_in / qk_k;
    const size_t bb = type_info(job.wtype).type_size;
    alignas(32) __m256i q[8][R];  // q[k][r]: quants 32k..32k+31 of row r
    for (int64_t s = 0; s < nsb; ++s) {
        panel_kq& p = out[s];
        for (int r = 0; r < R; ++r) {
            if (r >= n) {
                for (auto& k : q) k[r] = _mm256_setzero_si256();
                for (auto& g : p.dsc) g[r] = 0.0f;
                for (auto& i : p.m) i[2 * r] = i[2 * r + 1] = 0;
                p.dmin[r] = 0.0f;
                continue;
            }
            const uint8_t* blk = job.w + (r0 + r) * job.w_row + s * bb;
            __m256i qr[8];
            decode_kq_quants(job.wtype, blk, qr);
            for (int k = 0; k < 8; ++k) q[k][r] = qr[k];
            pack_kq_scales(job.wtype, blk, r, p);
        }
        for (int k = 0; k < 8; ++k) {
            __m512i cols[8];
            transpose_16x8(q[k], cols);
            for (int i = 0; i < 8; ++i) _mm512_store_si512(p.q[8 * k + i], cols[i]);
        }
    }
}

// --- micro-kernels -------------------------------------------------------------------------

/// Stores acc[t] (16 rows) of the valid tokens; rows past n_rows are masked off.
inline void store_tile(const quant_job& job, const __m512* acc, int64_t t0, int64_t r0,
                       int n_rows) {
    const __mmask16 mask = static_cast<__mmask16>((1u << n_rows) - 1);
    const int nt = static_cast<int>(std::min<int64_t>(T, job.n_tokens - t0));
    for (int t = 0; t < nt; ++t)
        _mm512_mask_storeu_ps(job.y + (t0 + t) * job.n_out + r0, mask, acc[t]);
}

/// One tile of 8 tokens × 16 rows over all of n_in, Q8_0 / Q4_0.
void kernel_q8(const quant_job& job, const panel_q8* panel, const uint8_t* act, int64_t t0,
               int64_t r0, int n_rows) {
    constexpr int ab = sizeof(act_q8_0);
    const int64_t nb = job.n_in / 32;
    __m512 acc[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b, act += T * ab) {
        const panel_q8& p = panel[b];
        __m512i s[T];
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) s[t] = bcast32(act + t * ab + offsetof(act_q8_0, bias));
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const __m512i w = _mm512_load_si512(p.q[k]);
#pragma GCC unroll 8
            for (int t = 0; t < T; ++t)
                s[t] = _mm512_dpbusd_epi32(s[t], w, bcast32(act + t * ab + 8 + 4 * k));
        }
        const __m512 dw = _mm512_load_ps(p.d);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
            const __m512 scale = _mm512_mul_ps(dw, bcast_f32(act + t * ab));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[t]), scale, acc[t]);
        }
    }
    store_tile(job, acc, t0, r0, n_rows);
}

/// One tile of 8 tokens × 16 rows over all of n_in, K-quants with groups of G elements.
template <int G>
void kernel_kq(const quant_job& job, const panel_kq* panel, const uint8_t* act, int64_t t0,
               int64_t r0, int n_rows) {
    constexpr int ab = sizeof(act_q8_k);
    constexpr int qs = offsetof(act_q8_k, qs), bsums = offsetof(act_q8_k, bsums);
    const int64_t nsb = job.n_in / qk_k;
    __m512 acc[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t sb = 0; sb < nsb; ++sb, act += T * ab) {
        const panel_kq& p = panel[sb];
        __m512 fs[T];
        __m512i s[T];
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) fs[t] = _mm512_setzero_ps();
        for (int g = 0; g < qk_k / G; ++g) {
#pragma GCC unroll 8
            for (int t = 0; t < T; ++t) s[t] = _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int k = 0; k < G / 4; ++k) {
                const int v = g * (G / 4) + k;
                const __m512i w = _mm512_load_si512(p.q[v]);
#pragma GCC unroll 8
                for (int t = 0; t < T; ++t)
                    s[t] = _mm512_dpbusd_epi32(s[t], w, bcast32(act + t * ab + qs + 4 * v));
            }
            const __m512 dsc = _mm512_load_ps(p.dsc[g]);
#pragma GCC unroll 8
            for (int t = 0; t < T; ++t)
                fs[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[t]), dsc, fs[t]);
        }
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) s[t] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int i = 0; i < 8; ++i) {
            const __m512i m = _mm512_load_si512(p.m[i]);
#pragma GCC unroll 8
            for (int t = 0; t < T; ++t)
                s[t] = _mm512_dpwssd_epi32(s[t], m, bcast32(act + t * ab + bsums + 4 * i));
        }
        const __m512 dmin = _mm512_load_ps(p.dmin);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
            const __m512 da = bcast_f32(act + t * ab);
            acc[t] = _mm512_fmadd_ps(fs[t], da, acc[t]);
            acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(s[t]), _mm512_mul_ps(dmin, da), acc[t]);
        }
    }
    store_tile(job, acc, t0, r0, n_rows);
}

/// Packs each panel in [p0, p1) into thread-local scratch, then runs `kernel` over every
/// tile of tokens.
template <class Panel, class Pack, class Kernel>
void gemm_panels(const quant_job& job, int64_t p0, int64_t p1, int64_t n_blocks, Pack pack,
                 Kernel kernel) {
    thread_local std::vector<Panel> scratch;
    scratch.resize(static_cast<size_t>(n_blocks));
    const int64_t tile_bytes = T * static_cast<int64_t>(job.act_stride);
    for (int64_t p = p0; p < p1; ++p) {
        const int64_t r0 = p * R;
        const int n_rows = static_cast<int>(std::min<int64_t>(R, job.n_out - r0));
        pack(job, r0, n_rows, scratch.data());
        for (int64_t t0 = 0; t0 < job.n_tokens; t0 += T)
            kernel(job, scratch.data(), job.act + t0 / T * tile_bytes, t0, r0, n_rows);
    }
}

}  // namespace

void quant_gemm_avx512(const quant_job& job, int64_t p0, int64_t p1) {
    switch (job.wtype) {
    case ggml_type::q8_0:
    case ggml_type::q4_0:
        gemm_panels<panel_q8>(job, p0, p1, job.n_in / 32, pack_q8, kernel_q8);
        return;
    case ggml_type::q6_k:
        gemm_panels<panel_kq>(job, p0, p1, job.n_in / qk_k, pack_kq, kernel_kq<16>);
        return;
    default:
        gemm_panels<panel_kq>(job, p0, p1, job.n_in / qk_k, pack_kq, kernel_kq<32>);
        return;
    }
}

}  // namespace prism::kernels::detail

PRISM_TARGET_END
#endif
