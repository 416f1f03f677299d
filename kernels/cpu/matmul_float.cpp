// matmul for float weights (F32, F16, BF16); see matmul_impl.h.
#include "matmul_impl.h"

namespace prism::kernels::detail {

void matmul_float(ggml_type wtype, const uint8_t* w, int64_t n_in, int64_t n_out, const float* x,
                  int64_t n_tokens, float* y, thread_pool& pool) {
    matmul_generic(wtype, w, n_in, n_out, x, n_tokens, y, pool);
}

}  // namespace prism::kernels::detail
