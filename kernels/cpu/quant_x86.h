// The x86 quantized matmul row kernels (decode and small batches), written once for AVX2 and
// AVX-512 VNNI: `template <bool vnni>` picks the byte-product primitive, everything else is
// shared. Include inside a PRISM_TARGET_* region after all other headers (quant_avx2.cpp,
// quant_avx512_rows.cpp); the code has internal linkage, so each file gets its own copy
// compiled for its instruction set and the linker never mixes them.
//
// Byte products, 32 per 256-bit register, summed in groups of 4 into int32 lanes:
//   VNNI: vpdpbusd (unsigned × signed bytes, straight into int32);
//   AVX2: vpmaddubsw (pairs into int16) then vpmaddwd (pairs into int32). Every unsigned
//         operand here is <= 63, or a |w| <= 128 against |a| <= 127 (Q8_0), so the int16
//         pair sums (<= 32512) never saturate.
// Q8_0 / Q4_0 (blocks of 32): one float update per block and token. Groups of 8 blocks get
// their scale products d_w · d_a as one vector, and the Q4_0 / VNNI-Q8_0 offset correction
// (weights stored as w + offset, see act_q8_0::bias) as one float FMA per 8 blocks. Q4_0 is
// unpacked two blocks per register, matching the rows_q4_pairs activation order. (Four
// blocks per 512-bit register measured 15% slower on Zen 4 than two per 256-bit one.)
// K-quants: each 32 quants' int32 lanes are multiplied by their 16-element groups' scales
// (VNNI: vpdpwssd on lanes that fit int16, as 4 products are <= 4 · 63 · 127; AVX2:
// vpmaddwd on the int16 pair sums) and accumulated over the super-block in int32; mins
// (Q6_K: the −32 offset as 32 · scale) come from the activations' per-16 sums. One float
// update per super-block and token.
#pragma once

#include <algorithm>
#include <cstring>

#include "quant_impl.h"
#include "quant_simd.h"

namespace prism::kernels::detail {

namespace {

constexpr int64_t x86_token_group = 4;  // tokens sharing each decoded weight block

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

/// (v >> shift) & mask in every byte: a 16-bit shift only moves a neighbour's bits into
/// bits the mask drops.
inline __m256i byte_bits(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

/// acc + Σ_{j<4} u[4l + j] · s[4l + j] in each int32 lane l (u unsigned, s signed).
template <bool vnni> inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
    if constexpr (vnni)
        return _mm256_dpbusd_epi32(acc, u, s);
    else
        return _mm256_add_epi32(
            acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

/// acc + scale · (Σ_{j<4} u · s) per int32 lane, where `scale` is in the form scale_lanes()
/// makes for this level.
template <bool vnni>
inline __m256i dot_u8s8_scaled(__m256i acc, __m256i u, __m256i s, __m256i scale) {
    if constexpr (vnni)
        return _mm256_dpwssd_epi32(acc, _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s), scale);
    else
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scale));
}

/// Signed int32 scales (each within int16) in the form dot_u8s8_scaled takes: VNNI the
/// scale in the low int16 of each lane (vpdpwssd against lanes that fit int16), AVX2 the
/// scale in both int16 halves (vpmaddwd against int16 pair sums).
template <bool vnni> inline __m256i scale_lanes(__m256i s32) {
    const __m256i low = _mm256_and_si256(s32, _mm256_set1_epi32(0xffff));
    if constexpr (vnni)
        return low;
    else
        return _mm256_or_si256(low, _mm256_slli_epi32(s32, 16));
}

inline float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    lo = _mm_add_ps(lo, _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// --- Q8_0 / Q4_0 ---------------------------------------------------------------------------

/// The f16 scales of blocks [b, b + n) (n <= 8) of a Q8_0 / Q4_0 row as floats (0 past n).
/// Assembled in two general-purpose registers, which are otherwise idle here, rather than by
/// a chain of dependent vector inserts.
inline __m256 block_scales(const uint8_t* row, size_t block_bytes, int64_t b, int n) {
    uint64_t half[2] = {0, 0};
    for (int j = 0; j < 8; ++j)
        if (j < n) half[j / 4] |= uint64_t{load_u16(row + (b + j) * block_bytes)} << (16 * (j % 4));
    return _mm256_cvtph_ps(
        _mm_set_epi64x(static_cast<int64_t>(half[1]), static_cast<int64_t>(half[0])));
}

inline __m256i lane_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Rows [r0, r1) of y for the NT tokens from t0, Q8_0 / Q4_0 weights.
template <bool vnni, int NT>
void rows_q8(const quant_job& job, int64_t r0, int64_t r1, int64_t t0) {
    const bool q4 = job.wtype == ggml_type::q4_0;
    const bool pairs = job.layout == act_layout::rows_q4_pairs;
    // Q8_0 on VNNI runs as (w + 128) · a plus the bias; on AVX2 as |w| · sign(a, w).
    const bool biased = q4 || vnni;
    const size_t bb = q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    const int64_t nb = job.n_in / 32;
    act_row a[NT];
    for (int t = 0; t < NT; ++t) a[t] = job.row(t0 + t);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* wr = job.w + r * job.w_row;
        // Two accumulator sets, alternating between blocks, so consecutive FMAs do not wait
        // for each other.
        __m256 acc[2][NT], acc_bias[NT];
        for (int t = 0; t < NT; ++t) acc[0][t] = acc[1][t] = acc_bias[t] = _mm256_setzero_ps();
        // Blocks [b0, b0 + n), n <= 8; inlined twice, so full groups (n = 8) lose the masks.
        auto group = [&](int64_t b0, int n) __attribute__((always_inline)) {
            const __m256i mask = lane_mask(n);
            const __m256 dw = block_scales(wr, bb, b0, n);
            __m256 s[NT];  // d_w · d_a of the 8 blocks
            for (int t = 0; t < NT; ++t) {
                const __m256 da =
                    n == 8 ? _mm256_loadu_ps(a[t].d + b0) : _mm256_maskload_ps(a[t].d + b0, mask);
                s[t] = _mm256_mul_ps(dw, da);
                if (biased) {
                    const __m256i bias = n == 8 ? load256(a[t].bias + b0)
                                                : _mm256_maskload_epi32(a[t].bias + b0, mask);
                    acc_bias[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(bias), s[t], acc_bias[t]);
                }
            }
            auto pair = [&](int j, __m256* dst) {  // Q4_0 blocks j, j + 1 in one register pair
                const uint8_t* q = wr + (b0 + j) * bb + 2;
                const __m256i raw =
                    _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + bb)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
                const __m256i lo = _mm256_and_si256(raw, low4);
                const __m256i hi = byte_bits(raw, 4, 0x0f);
                const __m256i pick = _mm256_setr_epi32(j, j, j, j, j + 1, j + 1, j + 1, j + 1);
                for (int t = 0; t < NT; ++t) {
                    const int8_t* qa = a[t].qs + 32 * (b0 + j);
                    __m256i sum = dot_u8s8<vnni>(_mm256_setzero_si256(), lo, load256(qa));
                    sum = dot_u8s8<vnni>(sum, hi, load256(qa + 32));
                    dst[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum),
                                             _mm256_permutevar8x32_ps(s[t], pick), dst[t]);
                }
            };
            alignas(32) float sj[NT][8];
            for (int t = 0; t < NT; ++t) _mm256_store_ps(sj[t], s[t]);
            auto single = [&](int j, __m256* dst) {
                const uint8_t* q = wr + (b0 + j) * bb + 2;
                __m256i u, w_signed = _mm256_setzero_si256();
                if (q4) {
                    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
                    const __m128i l4 = _mm_set1_epi8(0x0f);
                    u = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), l4),
                                         _mm_and_si128(raw, l4));
                } else if (vnni) {
                    u = _mm256_xor_si256(load256(q), _mm256_set1_epi8(static_cast<char>(0x80)));
                } else {
                    w_signed = load256(q);
                    u = _mm256_abs_epi8(w_signed);
                }
                for (int t = 0; t < NT; ++t) {
                    __m256i av = load256(a[t].qs + 32 * (b0 + j));
                    if (!biased) av = _mm256_sign_epi8(av, w_signed);
                    const __m256i sum = dot_u8s8<vnni>(_mm256_setzero_si256(), u, av);
                    dst[t] =
                        _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(sj[t][j]), dst[t]);
                }
            };
            int j = 0;
            if (q4 && pairs) {
                for (; j + 4 <= n; j += 4) {
                    pair(j, acc[0]);
                    pair(j + 2, acc[1]);
                }
                if (j + 2 <= n) {
                    pair(j, acc[0]);
                    j += 2;
                }
            }
            for (; j + 2 <= n; j += 2) {
                single(j, acc[0]);
                single(j + 1, acc[1]);
            }
            if (j < n) single(j, acc[0]);
        };
        int64_t b0 = 0;
        for (; b0 + 8 <= nb; b0 += 8) group(b0, 8);
        if (b0 < nb) group(b0, static_cast<int>(nb - b0));
        for (int t = 0; t < NT; ++t)
            job.y[(t0 + t) * job.n_out + r] =
                hsum(_mm256_add_ps(_mm256_add_ps(acc[0][t], acc[1][t]), acc_bias[t]));
    }
}

// --- K-quants --------------------------------------------------------------------------------

/// The 256 unsigned quants of a Q4_K, Q5_K or Q6_K super-block, 32 per register in element
/// order, unsigned (Q6_K: the stored 6-bit values, its −32 offset handled as a min).
inline void decode_kq_quants(ggml_type t, const uint8_t* block, __m256i* q) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    if (t == ggml_type::q6_k) {
        const auto& b = *reinterpret_cast<const block_q6_k*>(block);
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load256(b.ql + 64 * h), ql1 = load256(b.ql + 64 * h + 32);
            const __m256i qh = load256(b.qh + 32 * h);
            q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                           _mm256_slli_epi16(byte_bits(qh, 0, 3), 4));
            q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                           _mm256_slli_epi16(byte_bits(qh, 2, 3), 4));
            q[4 * h + 2] =
                _mm256_or_si256(byte_bits(ql0, 4, 15), _mm256_slli_epi16(byte_bits(qh, 4, 3), 4));
            q[4 * h + 3] =
                _mm256_or_si256(byte_bits(ql1, 4, 15), _mm256_slli_epi16(byte_bits(qh, 6, 3), 4));
        }
        return;
    }
    const bool q5 = t == ggml_type::q5_k;
    const uint8_t* qs = q5 ? reinterpret_cast<const block_q5_k*>(block)->qs
                           : reinterpret_cast<const block_q4_k*>(block)->qs;
    for (int c = 0; c < 4; ++c) {
        const __m256i raw = load256(qs + 32 * c);
        q[2 * c] = _mm256_and_si256(raw, low4);
        q[2 * c + 1] = byte_bits(raw, 4, 15);
    }
    if (q5) {  // bit k of qh[l] is the fifth bit of element 32k + l: move it to bit 4
        const __m256i qh = load256(reinterpret_cast<const block_q5_k*>(block)->qh);
        const __m256i bit4 = _mm256_set1_epi8(0x10);
        for (int k = 0; k < 8; ++k) {
            const __m256i h = k < 4 ? _mm256_slli_epi16(qh, 4 - k) : _mm256_srli_epi16(qh, k - 4);
            q[k] = _mm256_or_si256(q[k], _mm256_and_si256(h, bit4));  // no bit crosses bytes
        }
    }
}

/// A K-quant super-block's scales in register form: per quant register k the scales of its
/// two 16-element groups (scale_lanes form), the per-16 mins as int16, d and dmin.
struct kq_scales_x86 {
    __m256i sc[8];
    __m256i m16;
    float d, dmin;
};

template <bool vnni>
inline void decode_kq_scales(ggml_type t, const uint8_t* block, kq_scales_x86& out) {
    if (t == ggml_type::q6_k) {
        const auto& b = *reinterpret_cast<const block_q6_k*>(block);
        out.d = out.dmin = _cvtsh_ss(b.d);
        const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
        out.m16 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(sc8), 5);  // m = 32 · sc
        const __m256i lo = scale_lanes<vnni>(_mm256_cvtepi8_epi32(sc8));
        const __m256i hi = scale_lanes<vnni>(_mm256_cvtepi8_epi32(_mm_srli_si128(sc8, 8)));
        for (int k = 0; k < 8; ++k) {
            const int g = 2 * (k % 4);
            const __m256i pick = _mm256_setr_epi32(g, g, g, g, g + 1, g + 1, g + 1, g + 1);
            out.sc[k] = _mm256_permutevar8x32_epi32(k < 4 ? lo : hi, pick);
        }
        return;
    }
    const auto& b = *reinterpret_cast<const block_q4_k*>(block);  // Q5_K starts alike
    out.d = _cvtsh_ss(b.d);
    out.dmin = _cvtsh_ss(b.dmin);
    const auto [sc, m] = unpack_scales_k4(b.scales);
    alignas(32) int32_t sc32[8];  // broadcast from memory: loads, no shuffles
    _mm256_store_si256(
        reinterpret_cast<__m256i*>(sc32),
        scale_lanes<vnni>(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(sc)))));
    for (int k = 0; k < 8; ++k) out.sc[k] = _mm256_set1_epi32(sc32[k]);
    const __m128i m8 =
        _mm_shuffle_epi8(_mm_cvtsi64_si128(static_cast<int64_t>(m)),
                         _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
    out.m16 = _mm256_cvtepu8_epi16(m8);  // each sub-block's min for both its 16-groups
}

/// Rows [r0, r1) of y for the NT tokens from t0, K-quant weights.
template <bool vnni, int NT>
void rows_kq(const quant_job& job, int64_t r0, int64_t r1, int64_t t0) {
    const size_t bb = type_info(job.wtype).type_size;
    const int64_t nsb = job.n_in / qk_k;
    act_row a[NT];
    for (int t = 0; t < NT; ++t) a[t] = job.row(t0 + t);
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* wr = job.w + r * job.w_row;
        __m256 acc[NT];
        for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
        for (int64_t sb = 0; sb < nsb; ++sb) {
            const uint8_t* blk = wr + sb * bb;
            kq_scales_x86 s;
            decode_kq_scales<vnni>(job.wtype, blk, s);
            __m256i q[8];
            decode_kq_quants(job.wtype, blk, q);
            for (int t = 0; t < NT; ++t) {
                const int8_t* qa = a[t].qs + qk_k * sb;
                __m256i isum[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};  // 2 chains
                for (int k = 0; k < 8; ++k)
                    isum[k & 1] =
                        dot_u8s8_scaled<vnni>(isum[k & 1], q[k], load256(qa + 32 * k), s.sc[k]);
                const __m256i msum = _mm256_madd_epi16(s.m16, load256(a[t].bsums + 16 * sb));
                const float da = a[t].d[sb];
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(isum[0], isum[1])),
                                         _mm256_set1_ps(s.d * da), acc[t]);
                acc[t] =
                    _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(s.dmin * da), acc[t]);
            }
        }
        for (int t = 0; t < NT; ++t) job.y[(t0 + t) * job.n_out + r] = hsum(acc[t]);
    }
}

/// All tokens, rows [r0, r1): groups of up to x86_token_group tokens share the decoding.
template <bool vnni> void rows_x86(const quant_job& job, int64_t r0, int64_t r1) {
    const bool k = is_kquant(job.wtype);
    for (int64_t t0 = 0; t0 < job.n_tokens; t0 += x86_token_group) {
        switch (std::min(x86_token_group, job.n_tokens - t0)) {
        case 1:
            k ? rows_kq<vnni, 1>(job, r0, r1, t0) : rows_q8<vnni, 1>(job, r0, r1, t0);
            break;
        case 2:
            k ? rows_kq<vnni, 2>(job, r0, r1, t0) : rows_q8<vnni, 2>(job, r0, r1, t0);
            break;
        case 3:
            k ? rows_kq<vnni, 3>(job, r0, r1, t0) : rows_q8<vnni, 3>(job, r0, r1, t0);
            break;
        default:
            k ? rows_kq<vnni, 4>(job, r0, r1, t0) : rows_q8<vnni, 4>(job, r0, r1, t0);
            break;
        }
    }
}

}  // namespace

}  // namespace prism::kernels::detail
