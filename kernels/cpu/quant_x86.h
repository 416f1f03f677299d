// x86 decoders shared by the AVX2 and AVX-512 quantized matmul kernels: weight blocks to
// bytes in registers, and a horizontal sum. Include inside a PRISM_TARGET_* region (after
// the other headers); the functions have internal linkage, so each file gets its own copy
// compiled for its instruction set.
#pragma once

#include <cstddef>

#include "quant_impl.h"
#include "quant_simd.h"

namespace prism::kernels::detail {

namespace {

/// A Q8_0 or Q4_0 block's 32 weights as signed bytes (Q4_0: nibble − 8, low nibbles first).
inline __m256i decode_q8_weights(ggml_type t, const uint8_t* block) {
    if (t == ggml_type::q8_0)
        return _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(reinterpret_cast<const block_q8_0*>(block)->qs));
    const __m128i raw =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + offsetof(block_q4_0, qs)));
    const __m128i low4 = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(raw, low4);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low4);
    return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
}

inline __m256i load256(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

/// (v >> shift) & mask in every byte: a 16-bit shift only moves a neighbour's bits into
/// bits the mask drops.
inline __m256i byte_bits(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

/// The 256 unsigned quants of a Q4_K, Q5_K or Q6_K super-block, 32 per register in element
/// order (see kq_block).
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
    const __m256i qh =
        q5 ? load256(reinterpret_cast<const block_q5_k*>(block)->qh) : _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
        const __m256i raw = load256(qs + 32 * c);
        q[2 * c] = _mm256_or_si256(_mm256_and_si256(raw, low4),
                                   _mm256_slli_epi16(byte_bits(qh, 2 * c, 1), 4));
        q[2 * c + 1] = _mm256_or_si256(byte_bits(raw, 4, 15),
                                       _mm256_slli_epi16(byte_bits(qh, 2 * c + 1, 1), 4));
    }
}

/// Sum of the 8 lanes.
inline float hsum_avx2(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    lo = _mm_add_ps(lo, _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

/// Q8_0 / Q4_0 block as signed bytes, their magnitudes, and the scale.
struct q8_block_avx2 {
    __m256i w, w_abs;
    float d;
};

inline void decode_q8_avx2(ggml_type t, const uint8_t* block, q8_block_avx2& out) {
    out.w = decode_q8_weights(t, block);
    out.w_abs = _mm256_abs_epi8(out.w);
    out.d = fp16_to_fp32(*reinterpret_cast<const uint16_t*>(block));  // d leads both layouts
}

/// A K-quant super-block: quants (32 per register), the group scales arranged for
/// group_scales(), the per-16 mins, d and dmin.
struct kq_block_avx2 {
    __m256i q[8];
    __m256i sc;  // int16: sc[0], sc[2], ..., sc[14] | sc[1], sc[3], ..., sc[15]
    __m256i m;   // int16: m[0..15]
    float d, dmin;
};

inline void decode_kq_avx2(ggml_type t, const uint8_t* block, kq_block_avx2& out) {
    kq_block s;
    unpack_kq_scales(t, block, s);
    alignas(32) int16_t sc[16];
    for (int g = 0; g < 8; ++g) {
        sc[g] = s.sc[2 * g];
        sc[g + 8] = s.sc[2 * g + 1];
    }
    out.sc = _mm256_load_si256(reinterpret_cast<const __m256i*>(sc));
    out.m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.m));
    out.d = s.d;
    out.dmin = s.dmin;
    decode_kq_quants(t, block, out.q);
}

/// [sc[2k] × 8 | sc[2k + 1] × 8]: the scales of the two groups in quant register k.
inline __m256i group_scales(__m256i sc, int k) {
    const __m256i pick = _mm256_set1_epi16(static_cast<int16_t>((2 * k) | ((2 * k + 1) << 8)));
    return _mm256_shuffle_epi8(sc, pick);
}

/// acc + d_a · (d · isum − dmin · Σ_g m_g · bsums_g): a K-quant super-block's contribution
/// from its scaled integer sum isum (int32 lanes), the mins taken from the activations'
/// per-16 sums.
inline void kq_accumulate(__m256i isum, const kq_block_avx2& w, const act_q8_k& a, __m256& acc) {
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
    const __m256i msum = _mm256_madd_epi16(w.m, bs);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(w.d * a.d), acc);
    acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(w.dmin * a.d), acc);
}

}  // namespace

}  // namespace prism::kernels::detail
