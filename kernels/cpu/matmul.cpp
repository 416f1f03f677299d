// y = x · Wᵀ for a weight matrix of any computable type (see cpu_ops.h): the dispatcher to
// the float kernels (matmul_float.cpp) and the quantized ones (matmul_quant.cpp), and the
// plain reference both are tested against.
#include <stdexcept>
#include <string>
#include <vector>

#include "matmul_impl.h"
#include "prism/kernels/cpu_ops.h"
#include "prism/kernels/matmul_quant.h"

namespace prism::kernels {

void matmul(ggml_type wtype, const void* w, int64_t n_in, int64_t n_out, const float* x,
            int64_t n_tokens, float* y, thread_pool& pool) {
    const auto* wb = static_cast<const uint8_t*>(w);
    switch (wtype) {
    case ggml_type::f32:
    case ggml_type::f16:
    case ggml_type::bf16:
        detail::matmul_float(wtype, wb, n_in, n_out, x, n_tokens, y, pool);
        return;
    default:
        if (!matmul_quant_supports(wtype))
            throw std::invalid_argument("matmul: weight type " + std::string(type_name(wtype)) +
                                        " has no kernel");
        detail::matmul_quant(wtype, wb, n_in, n_out, x, n_tokens, y, pool);
        return;
    }
}

double dot_row_ref(ggml_type t, const void* w, const float* x, int64_t n) {
    std::vector<float> buf(static_cast<size_t>(n));
    dequantize_row_ref(t, w, buf.data(), n);
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(buf[i]) * x[i];
    return acc;
}

void matmul_ref(ggml_type wtype, const void* w, int64_t n_in, int64_t n_out, const float* x,
                int64_t n_tokens, float* y) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const size_t w_row = row_size(wtype, n_in);
    for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t r = 0; r < n_out; ++r)
            y[t * n_out + r] =
                static_cast<float>(dot_row_ref(wtype, wb + r * w_row, x + t * n_in, n_in));
}

}  // namespace prism::kernels
