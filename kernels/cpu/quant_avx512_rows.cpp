// AVX-512 VNNI quantized matmul row kernels (quant_impl.h): decode and small batches. The
// AVX2 decoders (quant_x86.h) feed vpdpbusd, which multiplies unsigned by signed bytes and
// sums groups of 4 straight into int32, in 256-bit EVEX form (on Zen 4, 512-bit vpdpbusd
// runs at half the rate, so 256-bit loses nothing and keeps one block per register).
//
// Q8_0 / Q4_0: vpdpbusd(|w|, sign(a, w)) per block, scaled by d_w · d_a into float lanes.
// K-quants: vpdpbusd(q, a) leaves 4 products per int32 lane (<= 4 · 63 · 127, so each lane
// fits int16), and vpdpwssd multiplies those lanes by their 16-element group's scale
// (placed in the low int16 of each lane) while accumulating the super-block in int32.
#include <algorithm>
#include <cstddef>

#include "quant_impl.h"
#include "quant_simd.h"

#ifdef PRISM_X86
PRISM_TARGET_AVX512_BEGIN
#include "quant_rows.h"
#include "quant_x86.h"

namespace prism::kernels::detail {

namespace {

void dot_q8_vnni(const q8_block_avx2& w, const act_q8_0& a, __m256& acc) {
    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
    const __m256i s =
        _mm256_dpbusd_epi32(_mm256_setzero_si256(), w.w_abs, _mm256_sign_epi8(av, w.w));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(w.d * a.d), acc);
}

struct kq_block_vnni {
    kq_block_avx2 k;
    __m256i sc32[8];  // per int32 lane: the group scale in the low int16, 0 in the high
};

void decode_kq_vnni(ggml_type t, const uint8_t* block, kq_block_vnni& out) {
    decode_kq_avx2(t, block, out.k);
    const __m256i low16 = _mm256_set1_epi32(0xffff);
    for (int k = 0; k < 8; ++k) out.sc32[k] = _mm256_and_si256(group_scales(out.k.sc, k), low16);
}

void dot_kq_vnni(const kq_block_vnni& w, const act_q8_k& a, __m256& acc) {
    __m256i isum = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + 32 * k));
        const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), w.k.q[k], av);
        isum = _mm256_dpwssd_epi32(isum, p, w.sc32[k]);
    }
    kq_accumulate(isum, w.k, a, acc);
}

}  // namespace

void quant_rows_avx512(const quant_job& job, int64_t r0, int64_t r1) {
    if (is_kquant(job.wtype))
        quant_rows_loop<kq_block_vnni, act_q8_k, __m256>(job, r0, r1, decode_kq_vnni, dot_kq_vnni,
                                                         hsum_avx2);
    else
        quant_rows_loop<q8_block_avx2, act_q8_0, __m256>(job, r0, r1, decode_q8_avx2, dot_q8_vnni,
                                                         hsum_avx2);
}

}  // namespace prism::kernels::detail

PRISM_TARGET_END
#endif
