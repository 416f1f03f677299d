// Internal parts of the float-weight matmul (see prism/kernels/matmul_float.h): the kernels
// one instruction-set level provides, and the drivers that block, pack and thread them.
//
// GEMM terms: C = A · B with A = x [M = n_tokens, K = n_in], B = Wᵀ [K, N = n_out] and
// C = y [M, N]. Packed layouts (float32, 64-byte aligned):
//   x panel p (tokens p·mr ..): K steps of mr floats, x[p·mr + r][k] at [k·mr + r]
//   W panel (outputs o0 .. o0 + nr) over k0 .. k0 + kc: kc steps of nr floats,
//       W[o0 + j][k0 + k] at [k·nr + j]; rows past n_out are zero
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "prism/kernels/dtype.h"
#include "prism/kernels/thread_pool.h"

namespace prism::kernels::detail {

struct float_kernels {
    int64_t mr;  ///< tokens per micro-tile (x panel width)
    int64_t nr;  ///< outputs per micro-tile (W panel width)
    int64_t kc;  ///< K block: an x micro-panel (mr · kc floats) stays in L1
    int64_t nc;  ///< N block: a packed W block (nc · kc floats) stays in L2

    /// Matrix-vector kernel: y[t][o] for all t < n_tokens and o in [o0, o1), reading rows
    /// o0 .. o1 of W (w_row bytes each) directly; y has row stride n_out.
    void (*gemv_rows)(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_in, int64_t n_out,
                      const float* x, int64_t n_tokens, float* y, int64_t o0, int64_t o1);
    /// Packs one W panel: rows w .. w + (n_rows - 1) · w_row (n_rows <= nr; the rest of the
    /// panel is zero), elements k0 .. k0 + kc, converted to float32, into dst[kc · nr].
    void (*pack_w)(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t k0,
                   int64_t kc, float* dst);
    /// Packs one x panel: tokens x .. x + (n_rows - 1) · n_in (n_rows <= mr; the rest of
    /// the panel is zero), all n_in elements, into dst[n_in · mr].
    void (*pack_x)(const float* x, int64_t n_in, int64_t n_rows, float* dst);
    /// Micro-kernel: C[r][j] (+)= Σ_k a[k·mr + r] · b[k·nr + j] for r < m, j < n (m <= mr,
    /// n <= nr); C has row stride ldc; `accumulate` adds to C instead of overwriting it.
    void (*micro)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m,
                  int64_t n, bool accumulate);
};

const float_kernels& float_kernels_portable();
const float_kernels& float_kernels_avx2();
const float_kernels& float_kernels_avx512();

/// matmul through kern.gemv_rows, parallel over blocks of output rows.
void gemv_float(const float_kernels& kern, ggml_type t, const uint8_t* w, int64_t n_in,
                int64_t n_out, const float* x, int64_t n_tokens, float* y, thread_pool& pool);
/// matmul through the packed, blocked GEMM; output panels are split over the pool.
void gemm_float(const float_kernels& kern, ggml_type t, const uint8_t* w, int64_t n_in,
                int64_t n_out, const float* x, int64_t n_tokens, float* y, thread_pool& pool);

/// Calls f.template operator()<T>() with T the compile-time twin of t (F32, F16 or BF16).
template <class F> void with_float_type(ggml_type t, F&& f) {
    switch (t) {
    case ggml_type::f32:
        return f.template operator()<ggml_type::f32>();
    case ggml_type::f16:
        return f.template operator()<ggml_type::f16>();
    default:
        return f.template operator()<ggml_type::bf16>();
    }
}

/// A level's float_kernels::gemv_rows, built from its row-group kernel:
///   Group::prepare(x, n_in, n_tokens): x in the layout run reads (per call and thread),
///       token t at + t · Group::token_stride(n_in);
///   Group::run<T, NT>(w, w_row, rows, n_in, xt, x_stride, y, ldy): y[t · ldy + j] for
///       j < rows <= Group::size, t < NT <= 4, from rows w + j · w_row and the prepared
///       tokens xt + t · x_stride.
/// Output rows go in groups of Group::size, tokens four at a time.
template <class Group>
void gemv_rows_by_groups(ggml_type type, const uint8_t* w, size_t w_row, int64_t n_in,
                         int64_t n_out, const float* x, int64_t n_tokens, float* y, int64_t o0,
                         int64_t o1) {
    const float* xp = Group::prepare(x, n_in, n_tokens);
    const int64_t x_stride = Group::token_stride(n_in);
    with_float_type(type, [&]<ggml_type T>() {
        for (int64_t o = o0; o < o1; o += Group::size) {
            const int64_t rows = std::min<int64_t>(Group::size, o1 - o);
            auto run = [&]<int NT>(int64_t t) {
                Group::template run<T, NT>(w + o * w_row, w_row, rows, n_in, xp + t * x_stride,
                                           x_stride, y + t * n_out + o, n_out);
            };
            int64_t t = 0;
            for (; t + 4 <= n_tokens; t += 4) run.template operator()<4>(t);
            switch (n_tokens - t) {
            case 3:
                run.template operator()<3>(t);
                break;
            case 2:
                run.template operator()<2>(t);
                break;
            case 1:
                run.template operator()<1>(t);
                break;
            default:
                break;
            }
        }
    });
}

/// Element i of an F32, F16 or BF16 weight row as float32 (scalar; for tails).
template <ggml_type T> inline float weight_at(const uint8_t* row, int64_t i) {
    if constexpr (T == ggml_type::f32) {
        float v;
        std::memcpy(&v, row + 4 * i, 4);
        return v;
    } else {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        return T == ggml_type::f16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
}

/// Grow-only float scratch whose data() is 64-byte aligned (keep one per thread).
class aligned_floats {
public:
    float* get(size_t n) {
        if (m_buf.size() < n + 16) m_buf.resize(n + 16);
        const auto p = reinterpret_cast<uintptr_t>(m_buf.data());
        return reinterpret_cast<float*>((p + 63) & ~uintptr_t{63});
    }

private:
    std::vector<float> m_buf;
};

}  // namespace prism::kernels::detail
