// y = x · Wᵀ for a weight matrix of any computable type (see cpu_ops.h). Work is split
// over output rows so each thread streams its own slice of W exactly once per call. For a
// single token the fused dot_row kernels read quantized bytes directly; for several tokens
// each weight row is dequantized once into thread-local scratch and reused for every token.
#include <algorithm>
#include <vector>

#include "matmul_impl.h"
#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

namespace {

// Below this many multiply-adds the threads cost more than they save.
constexpr int64_t parallel_threshold = 1 << 16;

void matmul_rows(ggml_type wtype, const uint8_t* w, size_t w_row, int64_t n_in, int64_t n_out,
                 const float* x, int64_t n_tokens, float* y, int64_t r0, int64_t r1) {
    if (n_tokens == 1 || wtype == ggml_type::f32) {
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t t = 0; t < n_tokens; ++t)
                y[t * n_out + r] = dot_row(wtype, w + r * w_row, x + t * n_in, n_in);
        return;
    }
    thread_local std::vector<float> row;
    row.resize(static_cast<size_t>(n_in));
    for (int64_t r = r0; r < r1; ++r) {
        dequantize_row_ref(wtype, w + r * w_row, row.data(), n_in);
        for (int64_t t = 0; t < n_tokens; ++t)
            y[t * n_out + r] = dot_row(ggml_type::f32, row.data(), x + t * n_in, n_in);
    }
}

}  // namespace

namespace detail {

void matmul_generic(ggml_type wtype, const uint8_t* wb, int64_t n_in, int64_t n_out, const float* x,
                    int64_t n_tokens, float* y, thread_pool& pool) {
    const size_t w_row = row_size(wtype, n_in);
    if (n_in * n_out * n_tokens < parallel_threshold) {
        matmul_rows(wtype, wb, w_row, n_in, n_out, x, n_tokens, y, 0, n_out);
        return;
    }
    pool.parallel_for(n_out, [&](int64_t r0, int64_t r1, int) {
        matmul_rows(wtype, wb, w_row, n_in, n_out, x, n_tokens, y, r0, r1);
    });
}

}  // namespace detail

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
        detail::matmul_quant(wtype, wb, n_in, n_out, x, n_tokens, y, pool);
        return;
    }
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
