// The K-quant sub-block fits (kquants.cpp's fit_scale_min for Q4_K / Q5_K and
// fit_symmetric_scale for Q6_K) for 16 sub-blocks at once, one per AVX-512 lane: the fast
// twins behind quantize_row_q4_k / q5_k / q6_k (kquants.h).
// Each lane runs exactly the scalar fit's float operations in the same order (no fused
// multiply-adds, sums in element order, the same rounding trick), so its results are
// bit-identical to fit_scale_min's; only the 16 fits are interleaved.
#pragma once

#include <cstdint>

#include "simd_x86.h"

namespace prism::kernels::detail {

#ifdef PRISM_X86
/// x and w are [32][16] (element l of sub-block j at 16 l + j), 64-byte aligned; the fit
/// of sub-block j goes to L[32 j .. 32 j + 31] (levels in [0, nmax]), scale[j] and
/// the_min[j], as fit_scale_min(32, nmax, ..., rmin, rdelta, nstep) gives them. Needs
/// AVX-512 F (cpu_caps().avx512).
void fit_scale_min_x16(const float* x, const float* w, int nmax, float rmin, float rdelta,
                       int nstep, uint8_t* L, float* scale, float* the_min);

/// The Q6_K sub-block fit (fit_symmetric_scale(16, nmax, ...)) for 16 sub-blocks of 16:
/// x is [16][16] (element l of sub-block j at 16 l + j), 64-byte aligned; levels (with
/// nmax added, or 0 for an all-zero sub-block) go to L[16 j .. 16 j + 15], scales to
/// scale[j].
void fit_symmetric_scale_x16(const float* x, int nmax, int8_t* L, float* scale);
#endif

}  // namespace prism::kernels::detail
