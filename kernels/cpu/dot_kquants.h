// AVX2 dot products of one K-quant weight row with a float vector (dot_kquants.cpp), called
// by dot_row (dot.cpp) when cpu_has_avx2(). n is a multiple of qk_k.
#pragma once

#include <cstdint>

#include "prism/kernels/kquants.h"

namespace prism::kernels::detail {

#if defined(__x86_64__) || defined(__i386__)
float dot_q4_k_avx2(const block_q4_k* w, const float* x, int64_t n);
float dot_q5_k_avx2(const block_q5_k* w, const float* x, int64_t n);
float dot_q6_k_avx2(const block_q6_k* w, const float* x, int64_t n);
#endif

}  // namespace prism::kernels::detail
