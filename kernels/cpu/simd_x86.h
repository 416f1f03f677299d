// Shared pieces of the x86 SIMD kernels (dot.cpp, dot_kquants.cpp, gemm_float_*.cpp): the
// PRISM_X86 guard, the target attributes that compile one function for AVX2+FMA+F16C or for
// AVX-512 F/BW/VL/DQ (chosen at run time through cpu_caps(), so the library still runs on
// CPUs without them), and a horizontal sum.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PRISM_X86 1
#define PRISM_AVX2 __attribute__((target("avx2,fma,f16c")))
#define PRISM_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq")))

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

}  // namespace prism::kernels::detail
#endif
