// Shared pieces of the x86 SIMD kernels: the PRISM_X86 guard, the target attributes that
// compile one function for AVX2+FMA+F16C or AVX-512 (chosen at run time from cpu_caps(), so
// the library still runs on CPUs without them), and horizontal sums.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PRISM_X86 1
#define PRISM_AVX2 __attribute__((target("avx2,fma,f16c")))
// AVX-512 F/BW/VL/DQ on top of the AVX2 set (chosen when cpu_caps().avx512).
#define PRISM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

namespace prism::kernels::detail {

/// Sum of the 8 lanes.
PRISM_AVX2 inline float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

/// Sum of the 16 lanes. (GCC 12's unmasked 512 → 256 extracts, and so _mm512_reduce_add_ps,
/// trip -Wuninitialized on an intentionally undefined operand; the zero-masked form does not.)
PRISM_AVX512 inline float hsum(__m512 v) {
    return hsum(_mm256_add_ps(_mm512_maskz_extractf32x8_ps(0xff, v, 0),
                              _mm512_maskz_extractf32x8_ps(0xff, v, 1)));
}

}  // namespace prism::kernels::detail
#endif
