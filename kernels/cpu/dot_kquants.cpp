// Fused dequantize-and-dot kernels for the K-quant formats (Q4_K, Q5_K, Q6_K) against a
// float vector, AVX2+FMA+F16C, selected at run time by dot_row (dot.cpp); the portable path
// and the reference twin (dot_row_ref) dequantize with kquants.cpp instead.
//
// Source: the block layouts of ggml-common.h (documented in kquants.h). Unlike ggml's
// kernels, which first quantize x to 8 bits (Q8_K) and use integer dot products, these keep
// x in float: 32 quants at a time are widened to int32 and converted to float in registers,
// so the result matches the float reference to rounding (tested at relative L2 < 1e-5).
// Q4_K/Q5_K apply w = d·sc·q − dmin·m per element (one FMA), Q6_K sums q·x per 16-element
// sub-block and scales the sum once.
#include "dot_kquants.h"

#include "prism/kernels/dtype.h"
#include "simd_x86.h"

#ifdef PRISM_X86

namespace prism::kernels::detail {

namespace {

/// The 8 weights q · scale − min of the low 8 unsigned bytes of q.
PRISM_AVX2 inline __m256 weights_8(__m128i q, __m256 scale, __m256 min) {
    return _mm256_fmsub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q)), scale, min);
}

/// acc + Σ (q[i] · scale − min) · x[i] over 32 unsigned 8-bit quants q.
PRISM_AVX2 inline __m256 fma_sub_block_32(__m256i q, float scale, float min, const float* x,
                                          __m256 acc) {
    const __m256 vd = _mm256_set1_ps(scale), vm = _mm256_set1_ps(min);
    const __m128i q0 = _mm256_castsi256_si128(q), q1 = _mm256_extracti128_si256(q, 1);
    __m256 s0 = _mm256_mul_ps(weights_8(q0, vd, vm), _mm256_loadu_ps(x));
    __m256 s1 = _mm256_mul_ps(weights_8(_mm_srli_si128(q0, 8), vd, vm), _mm256_loadu_ps(x + 8));
    s0 = _mm256_fmadd_ps(weights_8(q1, vd, vm), _mm256_loadu_ps(x + 16), s0);
    s1 = _mm256_fmadd_ps(weights_8(_mm_srli_si128(q1, 8), vd, vm), _mm256_loadu_ps(x + 24), s1);
    return _mm256_add_ps(acc, _mm256_add_ps(s0, s1));
}

/// Σ q[i] · x[i] over 16 signed 8-bit quants (the low 16 bytes of q).
PRISM_AVX2 inline __m256 dot_16(__m128i q, const float* x) {
    const __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
    const __m256 b = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
    return _mm256_fmadd_ps(b, _mm256_loadu_ps(x + 8), _mm256_mul_ps(a, _mm256_loadu_ps(x)));
}

/// acc + Σ over 32 signed quants: the first 16 scaled by sa, the last 16 by sb.
PRISM_AVX2 inline __m256 fma_q6_32(__m256i q, float sa, float sb, const float* x, __m256 acc) {
    acc = _mm256_fmadd_ps(_mm256_set1_ps(sa), dot_16(_mm256_castsi256_si128(q), x), acc);
    return _mm256_fmadd_ps(_mm256_set1_ps(sb), dot_16(_mm256_extracti128_si256(q, 1), x + 16), acc);
}

}  // namespace

PRISM_AVX2 float dot_q4_k_avx2(const block_q4_k* w, const float* x, int64_t n) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / qk_k; ++i, x += qk_k) {
        const block_q4_k& b = w[i];
        const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
        for (int c = 0; c < 4; ++c) {  // 64 elements: sub-blocks 2c (low nibbles) and 2c + 1
            uint8_t sc_lo, m_lo, sc_hi, m_hi;
            get_scale_min_k4(2 * c, b.scales, sc_lo, m_lo);
            get_scale_min_k4(2 * c + 1, b.scales, sc_hi, m_hi);
            const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
            const __m256i lo = _mm256_and_si256(raw, low4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
            acc0 = fma_sub_block_32(lo, d * sc_lo, dmin * m_lo, x + 64 * c, acc0);
            acc1 = fma_sub_block_32(hi, d * sc_hi, dmin * m_hi, x + 64 * c + 32, acc1);
        }
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

PRISM_AVX2 float dot_q5_k_avx2(const block_q5_k* w, const float* x, int64_t n) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i bit0 = _mm256_set1_epi8(1), bit1 = _mm256_set1_epi8(2);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / qk_k; ++i, x += qk_k) {
        const block_q5_k& b = w[i];
        const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
        // Bits 2c and 2c + 1 of each qh byte; shifted down by 2 per chunk (16-bit shifts
        // only move bits 0-1 of a byte's neighbour into its bits 6-7, which stay unused).
        __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
        for (int c = 0; c < 4; ++c) {
            uint8_t sc_lo, m_lo, sc_hi, m_hi;
            get_scale_min_k4(2 * c, b.scales, sc_lo, m_lo);
            get_scale_min_k4(2 * c + 1, b.scales, sc_hi, m_hi);
            const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
            const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(qh, bit0), 4);  // 0 or 16
            const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(qh, bit1), 3);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(raw, low4), h_lo);
            const __m256i hi =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), low4), h_hi);
            acc0 = fma_sub_block_32(lo, d * sc_lo, dmin * m_lo, x + 64 * c, acc0);
            acc1 = fma_sub_block_32(hi, d * sc_hi, dmin * m_hi, x + 64 * c + 32, acc1);
            qh = _mm256_srli_epi16(qh, 2);
        }
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

PRISM_AVX2 float dot_q6_k_avx2(const block_q6_k* w, const float* x, int64_t n) {
    const __m256i low4 = _mm256_set1_epi8(0x0f), two_bits = _mm256_set1_epi8(0x03);
    const __m256i offset = _mm256_set1_epi8(32);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / qk_k; ++i, x += qk_k) {
        const block_q6_k& b = w[i];
        const float d = fp16_to_fp32(b.d);
        for (int h = 0; h < 2; ++h) {  // halves of 128 elements
            const auto* ql = reinterpret_cast<const __m256i*>(b.ql + 64 * h);
            const __m256i ql0 = _mm256_loadu_si256(ql), ql1 = _mm256_loadu_si256(ql + 1);
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
            // Bits 2k..2k+1 of qh, moved to bits 4-5: a 16-bit shift right by 2k carries the
            // neighbour byte's bits only into bits >= 8 - 2k >= 2, which the mask drops.
            const __m256i t0 = _mm256_slli_epi16(_mm256_and_si256(qh, two_bits), 4);
            const __m256i t1 =
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), two_bits), 4);
            const __m256i t2 =
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), two_bits), 4);
            const __m256i t3 =
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), two_bits), 4);
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(ql0, low4), t0);
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(ql1, low4), t1);
            const __m256i q3 =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), t2);
            const __m256i q4 =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4), t3);
            const int8_t* sc = b.scales + 8 * h;
            const float* xh = x + 128 * h;
            acc0 = fma_q6_32(_mm256_sub_epi8(q1, offset), d * sc[0], d * sc[1], xh, acc0);
            acc1 = fma_q6_32(_mm256_sub_epi8(q2, offset), d * sc[2], d * sc[3], xh + 32, acc1);
            acc0 = fma_q6_32(_mm256_sub_epi8(q3, offset), d * sc[4], d * sc[5], xh + 64, acc0);
            acc1 = fma_q6_32(_mm256_sub_epi8(q4, offset), d * sc[6], d * sc[7], xh + 96, acc1);
        }
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

}  // namespace prism::kernels::detail

#endif
