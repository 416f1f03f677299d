// Portable (plain C++) kernels of the float-weight matmul (see gemm_float.h for the shared
// arithmetic): the slow twins of the AVX2 / AVX-512 files and the path for CPUs without
// them. Same chains and packed layouts, one 4-element step at a time; weights are widened
// with the reference conversions of dtype.h.
#include <algorithm>

#include "gemm_float.h"

namespace prism::kernels::detail {

namespace {

constexpr int64_t chunk = 4, mr = 2, nr = 4;

using chains = float[4];

/// (c0 + c2) + (c1 + c3), as gemm_float.h fixes it.
float reduce_chains(const chains& c) {
    return (c[0] + c[2]) + (c[1] + c[3]);
}

/// Elements i .. i + 3 of a row as f32, zero past n_in.
template <ggml_type T> void load_step(const uint8_t* row, int64_t i, int64_t n_in, chains& out) {
    for (int64_t l = 0; l < 4; ++l) out[l] = i + l < n_in ? weight_at<T>(row, i + l) : 0.0f;
}

struct gemv_block {
    static constexpr int rows = 2;

    template <ggml_type T, int R, int NT>
    static void run(const uint8_t* w, size_t w_row, int64_t n_in, const float* x, float* y,
                    int64_t ldy) {
        float acc[R][NT][4] = {};
        for (int64_t i = 0; i < n_in; i += chunk) {
            chains xv[NT], wv;
            for (int t = 0; t < NT; ++t)
                load_step<ggml_type::f32>(reinterpret_cast<const uint8_t*>(x + t * n_in), i, n_in,
                                          xv[t]);
            for (int r = 0; r < R; ++r) {
                load_step<T>(w + r * w_row, i, n_in, wv);
                for (int t = 0; t < NT; ++t)
                    for (int l = 0; l < 4; ++l) acc[r][t][l] += xv[t][l] * wv[l];
            }
        }
        for (int r = 0; r < R; ++r)
            for (int t = 0; t < NT; ++t) y[t * ldy + r] = reduce_chains(acc[r][t]);
    }
};

/// Rows w + j · w_row (j < n_rows, the rest zero) into the panel layout [n_steps][P][4].
template <ggml_type T, int64_t P>
void pack_rows(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t n_in, float* dst) {
    for (int64_t i = 0; i < n_in; i += chunk, dst += chunk * P)
        for (int64_t j = 0; j < P; ++j) {
            chains v = {};
            if (j < n_rows) load_step<T>(w + j * w_row, i, n_in, v);
            std::copy(v, v + 4, dst + j * 4);
        }
}

void pack_w(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t n_in, float* dst) {
    with_float_type(t, [&]<ggml_type T>() { pack_rows<T, nr>(w, w_row, n_rows, n_in, dst); });
}

void pack_x(const float* x, int64_t n_in, int64_t n_rows, float* dst) {
    pack_rows<ggml_type::f32, mr>(reinterpret_cast<const uint8_t*>(x), n_in * sizeof(float), n_rows,
                                  n_in, dst);
}

void micro(int64_t n_steps, const float* a, const float* b, float* c, int64_t ldc, int64_t m,
           int64_t n) {
    float acc[mr][nr][4] = {};
    for (int64_t s = 0; s < n_steps; ++s, a += 4 * mr, b += 4 * nr)
        for (int64_t t = 0; t < mr; ++t)
            for (int64_t o = 0; o < nr; ++o)
                for (int64_t l = 0; l < 4; ++l) acc[t][o][l] += a[4 * t + l] * b[4 * o + l];
    for (int64_t t = 0; t < m; ++t)
        for (int64_t o = 0; o < n; ++o) c[t * ldc + o] = reduce_chains(acc[t][o]);
}

}  // namespace

const float_kernels& float_kernels_portable() {
    static const float_kernels k{.chunk = chunk,
                                 .mr = mr,
                                 .nr = nr,
                                 .nc = 64,
                                 .gemv_rows = gemv_rows_by_blocks<gemv_block>,
                                 .pack_w = pack_w,
                                 .pack_x = pack_x,
                                 .micro = micro};
    return k;
}

}  // namespace prism::kernels::detail
