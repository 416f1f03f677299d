// matmul for float weights (F32, F16, BF16); see prism/kernels/matmul_float.h for the design
// and gemm_float.h for the kernels each instruction-set level provides.
#include "prism/kernels/matmul_float.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "gemm_float.h"
#include "matmul_impl.h"
#include "prism/kernels/cpu_features.h"

namespace prism::kernels {

float_isa float_isa_best() {
    const auto& caps = cpu_caps();
    if (caps.avx512) return float_isa::avx512;
    if (caps.avx2) return float_isa::avx2;
    return float_isa::portable;
}

const char* float_isa_name(float_isa isa) {
    switch (isa) {
    case float_isa::avx512:
        return "AVX-512";
    case float_isa::avx2:
        return "AVX2";
    default:
        return "portable";
    }
}

void matmul_float_at(float_isa isa, ggml_type wtype, const void* w, int64_t n_in, int64_t n_out,
                     const float* x, int64_t n_tokens, float* y, thread_pool& pool) {
    if (wtype != ggml_type::f32 && wtype != ggml_type::f16 && wtype != ggml_type::bf16)
        throw std::invalid_argument("matmul_float_at: weight type " +
                                    std::string(type_name(wtype)) + " is not F32, F16 or BF16");
    if (isa > float_isa_best())
        throw std::invalid_argument(std::string("matmul_float_at: this CPU cannot run ") +
                                    float_isa_name(isa));
    if (n_tokens <= 0 || n_out <= 0) return;
    if (n_in <= 0) {
        std::fill(y, y + n_tokens * n_out, 0.0f);
        return;
    }
    const auto& kern = isa == float_isa::avx512 ? detail::float_kernels_avx512()
                       : isa == float_isa::avx2 ? detail::float_kernels_avx2()
                                                : detail::float_kernels_portable();
    const auto* wb = static_cast<const uint8_t*>(w);
    if (n_tokens < matmul_float_gemm_min_tokens)
        detail::gemv_float(kern, wtype, wb, n_in, n_out, x, n_tokens, y, pool);
    else
        detail::gemm_float(kern, wtype, wb, n_in, n_out, x, n_tokens, y, pool);
}

namespace detail {

void matmul_float(ggml_type wtype, const uint8_t* w, int64_t n_in, int64_t n_out, const float* x,
                  int64_t n_tokens, float* y, thread_pool& pool) {
    matmul_float_at(float_isa_best(), wtype, w, n_in, n_out, x, n_tokens, y, pool);
}

}  // namespace detail

}  // namespace prism::kernels
