// Internal parts of the float-weight matmul (see prism/kernels/matmul_float.h): the kernels
// one instruction-set level provides, and the drivers that pack and thread them.
//
// Arithmetic contract (what makes a token's result independent of its batch): output
// y[t][o] is the sum of 4 partial chains, chain l accumulating W[o][i] · x[t][i] for
// i ≡ l (mod 4) in increasing i with one FMA per step (portable: multiply, then add), summed
// as (c0 + c2) + (c1 + c3). The matrix-vector kernel and the GEMM micro-kernel follow it
// exactly; zero padding only adds +0 to a chain (a chain starting at +0 never holds −0), so it
// changes no bit. Four chains (not one, not a full vector) are the compromise between the two:
// the GEMM stays an outer product whose only per-step operand traffic besides W is a
// broadcast of 4 x values, and the matrix-vector kernel only regroups 128-bit quads.
//
// GEMM terms: C = A · B with A = x [M = n_tokens, K = n_in], B = Wᵀ [K, N = n_out] and
// C = y [M, N]. Packed panels (float32, 64-byte aligned, zero-padded) are a sequence of
// steps, step s = elements 4s .. 4s + 3, n_steps = (chunk / 4) · ceil(K / chunk):
//   x panel (tokens t0 .. t0 + mr - 1):  [n_steps][mr][4], x[t0 + r][4s + l]
//   W panel (outputs o0 .. o0 + nr - 1): [n_steps][nr][4], W[o0 + j][4s + l] as f32
// so the micro-kernel reads each operand as one sequential stream, whatever the row stride.
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
    int64_t chunk;  ///< elements the packers handle at once (a multiple of 4)
    int64_t mr;     ///< tokens per micro-tile
    int64_t nr;     ///< outputs per micro-tile
    int64_t nc;     ///< outputs per packed W block (a multiple of nr)

    /// Matrix-vector kernel: y[t][o] for all t < n_tokens and o in [o0, o1), reading rows
    /// o0 .. o1 of W (w_row bytes each) and x directly; y has row stride n_out.
    void (*gemv_rows)(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_in, int64_t n_out,
                      const float* x, int64_t n_tokens, float* y, int64_t o0, int64_t o1);
    /// Packs one W panel from rows w .. w + (n_rows - 1) · w_row (n_rows <= nr; the other
    /// rows of the panel are zero) of n_in elements, converted to float32.
    void (*pack_w)(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t n_in,
                   float* dst);
    /// Packs one x panel from tokens x .. x + (n_rows - 1) · n_in (n_rows <= mr).
    void (*pack_x)(const float* x, int64_t n_in, int64_t n_rows, float* dst);
    /// Micro-kernel: C[r][j] = y of token r, output j of the panels a (x) and b (W) over
    /// n_steps steps, for r < m, j < n (m <= mr, n <= nr); C has row stride ldc.
    void (*micro)(int64_t n_steps, const float* a, const float* b, float* c, int64_t ldc, int64_t m,
                  int64_t n);
};

const float_kernels& float_kernels_portable();
const float_kernels& float_kernels_avx2();
const float_kernels& float_kernels_avx512();

/// matmul through kern.gemv_rows, parallel over blocks of output rows.
void gemv_float(const float_kernels& kern, ggml_type t, const uint8_t* w, int64_t n_in,
                int64_t n_out, const float* x, int64_t n_tokens, float* y, thread_pool& pool);
/// matmul through the packed GEMM; output panels are split over the pool.
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

/// Calls f.template operator()<N>(args...) with N the compile-time twin of n in [1, Max].
template <int Max, class F> void with_count(int64_t n, F&& f) {
    if constexpr (Max > 1)
        if (n < Max) return with_count<Max - 1>(n, f);
    f.template operator()<Max>();
}

/// A level's float_kernels::gemv_rows from its block kernel
///   Block::run<T, R, NT>(w, w_row, n_in, x, y, ldy): y[t · ldy + j] for j < R rows
///   (R <= Block::rows), t < NT tokens (NT <= 4), rows w + j · w_row, tokens x + t · n_in.
/// Rows go Block::rows at a time (then the rest), tokens four at a time (then the rest).
template <class Block>
void gemv_rows_by_blocks(ggml_type type, const uint8_t* w, size_t w_row, int64_t n_in,
                         int64_t n_out, const float* x, int64_t n_tokens, float* y, int64_t o0,
                         int64_t o1) {
    with_float_type(type, [&]<ggml_type T>() {
        for (int64_t o = o0; o < o1; o += Block::rows)
            with_count<Block::rows>(std::min<int64_t>(Block::rows, o1 - o), [&]<int R>() {
                for (int64_t t = 0; t < n_tokens; t += 4)
                    with_count<4>(std::min<int64_t>(4, n_tokens - t), [&]<int NT>() {
                        Block::template run<T, R, NT>(w + o * w_row, w_row, n_in, x + t * n_in,
                                                      y + t * n_out + o, n_out);
                    });
            });
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
