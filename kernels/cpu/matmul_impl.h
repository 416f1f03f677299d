// Internal split of matmul (cpu_ops.h) by weight family, so each family's kernels live in
// their own files: float weights (F32, F16, BF16) in matmul_float.cpp, block-quantized
// weights (Q8_0, Q4_0, K-quants) in matmul_quant.cpp. Arguments as for matmul().
#pragma once

#include <cstdint>

#include "prism/kernels/cpu_ops.h"

namespace prism::kernels::detail {

void matmul_float(ggml_type wtype, const uint8_t* w, int64_t n_in, int64_t n_out, const float* x,
                  int64_t n_tokens, float* y, thread_pool& pool);
void matmul_quant(ggml_type wtype, const uint8_t* w, int64_t n_in, int64_t n_out, const float* x,
                  int64_t n_tokens, float* y, thread_pool& pool);

}  // namespace prism::kernels::detail
