// AVX2 quantized matmul row kernels (quant_impl.h), the x86 baseline without VNNI: 8-bit
// products through vpmaddubsw (unsigned × signed bytes, pairwise sums to int16) and
// vpmaddwd (int16 pairs to int32). The decoders here are shared with the AVX-512 level.
//
// Q8_0 / Q4_0: weights become signed bytes w (Q4_0: nibble − 8); vpmaddubsw(|w|, sign(a, w))
// gives w · a without saturating (|w| <= 128, |a| <= 127: pair sums <= 32512), as ggml's
// AVX2 kernels do. Each block's int32 lanes are scaled by d_w · d_a into float lanes.
// K-quants: the unsigned quants of 32 elements (two 16-element groups) times activations
// via vpmaddubsw (<= 2 · 63 · 127), then vpmaddwd with the groups' scales accumulates the
// whole super-block in int32; the mins (and Q6_K's −32 offset) come from the activations'
// per-16 sums, so one float update per super-block and token remains.
#include <algorithm>
#include <cstddef>

#include "quant_impl.h"
#include "quant_simd.h"

#ifdef PRISM_X86
PRISM_TARGET_AVX2_BEGIN
#include "quant_rows.h"
#include "quant_x86.h"

namespace prism::kernels::detail {

namespace {

void dot_q8_avx2(const q8_block_avx2& w, const act_q8_0& a, __m256& acc) {
    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
    const __m256i p = _mm256_maddubs_epi16(w.w_abs, _mm256_sign_epi8(av, w.w));
    const __m256i s = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(w.d * a.d), acc);
}

void dot_kq_avx2(const kq_block_avx2& w, const act_q8_k& a, __m256& acc) {
    __m256i isum = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + 32 * k));
        const __m256i p = _mm256_maddubs_epi16(w.q[k], av);
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, group_scales(w.sc, k)));
    }
    kq_accumulate(isum, w, a, acc);
}

}  // namespace

void quant_rows_avx2(const quant_job& job, int64_t r0, int64_t r1) {
    if (is_kquant(job.wtype))
        quant_rows_loop<kq_block_avx2, act_q8_k, __m256>(job, r0, r1, decode_kq_avx2, dot_kq_avx2,
                                                         hsum_avx2);
    else
        quant_rows_loop<q8_block_avx2, act_q8_0, __m256>(job, r0, r1, decode_q8_avx2, dot_q8_avx2,
                                                         hsum_avx2);
}

}  // namespace prism::kernels::detail

PRISM_TARGET_END
#endif
