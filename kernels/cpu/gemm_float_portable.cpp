// Portable (plain C++) kernels of the float-weight matmul (see gemm_float.h): the slow twins
// of the AVX2 / AVX-512 files and the path for CPUs without them. Same structure and
// packed layouts; weights are widened with the reference conversions of dtype.h.
#include <algorithm>

#include "gemm_float.h"

namespace prism::kernels::detail {

namespace {

constexpr int64_t mr = 4, nr = 16, kc_block = 256;

/// n_in elements of one weight row as float32 (F32 rows are used in place).
const float* row_as_f32(ggml_type t, const uint8_t* row, int64_t n_in, aligned_floats& buf) {
    if (t == ggml_type::f32) return reinterpret_cast<const float*>(row);
    float* dst = buf.get(static_cast<size_t>(n_in));
    dequantize_row_ref(t, row, dst, n_in);
    return dst;
}

/// Each output is a sequential chain over i within K blocks of kc_block, blocks added in
/// order: the micro-kernel's arithmetic, so a token's result does not depend on the batch.
void gemv_rows(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_in, int64_t n_out,
               const float* x, int64_t n_tokens, float* y, int64_t o0, int64_t o1) {
    thread_local aligned_floats buf;
    for (int64_t o = o0; o < o1; ++o) {
        const float* wr = row_as_f32(t, w + o * w_row, n_in, buf);
        for (int64_t tok = 0; tok < n_tokens; ++tok) {
            const float* xr = x + tok * n_in;
            float total = 0.0f;
            for (int64_t k0 = 0; k0 < n_in; k0 += kc_block) {
                float acc = 0.0f;
                for (int64_t k = k0; k < std::min(n_in, k0 + kc_block); ++k) acc += xr[k] * wr[k];
                total = (k0 > 0 ? total : 0.0f) + acc;
            }
            y[tok * n_out + o] = total;
        }
    }
}

void pack_w(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t k0, int64_t kc,
            float* dst) {
    thread_local aligned_floats buf;
    float* seg = buf.get(static_cast<size_t>(kc));
    for (int64_t j = 0; j < nr; ++j) {
        if (j < n_rows)
            dequantize_row_ref(t, w + j * w_row + row_size(t, k0), seg, kc);
        else
            std::fill(seg, seg + kc, 0.0f);
        for (int64_t k = 0; k < kc; ++k) dst[k * nr + j] = seg[k];
    }
}

void pack_x(const float* x, int64_t n_in, int64_t n_rows, float* dst) {
    for (int64_t k = 0; k < n_in; ++k)
        for (int64_t r = 0; r < mr; ++r) dst[k * mr + r] = r < n_rows ? x[r * n_in + k] : 0.0f;
}

void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m, int64_t n,
           bool accumulate) {
    float acc[mr][nr] = {};
    for (int64_t k = 0; k < kc; ++k, a += mr, b += nr)
        for (int64_t r = 0; r < mr; ++r)
            for (int64_t j = 0; j < nr; ++j) acc[r][j] += a[r] * b[j];  // order: see gemv_rows
    for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < n; ++j)
            c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.0f) + acc[r][j];
}

}  // namespace

const float_kernels& float_kernels_portable() {
    static const float_kernels k{.mr = mr,
                                 .nr = nr,
                                 .kc = kc_block,
                                 .nc = 128,
                                 .gemv_rows = gemv_rows,
                                 .pack_w = pack_w,
                                 .pack_x = pack_x,
                                 .micro = micro};
    return k;
}

}  // namespace prism::kernels::detail
