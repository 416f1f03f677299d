// AVX-512 matrix-vector kernel of the float-weight matmul (float_kernels::gemv_rows, see
// gemm_float.h): few tokens against 16 weight rows at a time, each weight read once.
//
// Arithmetic: each output must come out bit-identical to the GEMM micro-kernel's, so that a
// token's logits do not depend on how a prompt is batched. The micro-kernel computes every
// output as one sequential FMA chain over k (per K block of avx512_kc_block, blocks added in
// order), so here too each zmm lane is one output row and each FMA one k: 16 × 16 tiles of
// 16 rows are transposed in registers, and column c of a tile meets x[k + c] of every lane.
//
// Skew: rows of 2 or 4 KiB multiples (n_in = 1024, 2048 ...) put all 16 rows of a tile in
// the same L1 set, which thrashes (8 ways) and halves the speed. So lane j runs j tiles
// behind lane 0: the rows of one step sit one tile apart in their cache sets. The x operand
// then differs per lane; it is read as one vector from a copy of x laid out for the skew
// (built once per call), and lanes outside their row's range see zero weights and zero x,
// which adds +0 to a chain and changes no bit (a chain that starts at +0 never holds −0).
#include "gemm_float_avx512.h"

namespace prism::kernels::detail {

#ifdef PRISM_X86

namespace {

constexpr int64_t kc_block = avx512_kc_block;
constexpr int64_t skew = 15;                    // lane j is j tiles behind lane 0
constexpr int64_t xr_len = kc_block / 16 + 32;  // >= tiles per block + 2 · skew
constexpr int64_t xr_block = 16 * xr_len;       // floats per token and K block

/// One token's x over one K block [k0, k0 + kc) for the skewed sweep: at step i, lane j
/// works on tile u = i - j and needs x[k0 + 16u + c] for column c; it finds it at
/// xr[c · xr_len + p0 - i + j] with p0 = n_tiles - 1 + skew, so a step reads 16 lanes with
/// one load. Positions outside the block are zero.
void build_xr(const float* x, int64_t k0, int64_t kc, float* xr) {
    const int64_t n_tiles = (kc + 15) / 16, p0 = n_tiles - 1 + skew;
    for (int64_t c = 0; c < 16; ++c)
        for (int64_t p = 0; p < xr_len; ++p) {
            const int64_t u = p0 - p, k = 16 * u + c;
            xr[c * xr_len + p] = u >= 0 && u < n_tiles && k < kc ? x[k0 + k] : 0.0f;
        }
}

/// acc[t] (+)= the sequential FMA chains of rows w .. w + (rows - 1) · w_row (AllRows:
/// rows == 16) over elements k0 .. k0 + kc, for NT tokens whose x blocks are built by
/// build_xr at xr + t · xr_stride.
template <ggml_type T, int NT, bool AllRows>
PRISM_AVX512 void skewed_block(const uint8_t* w, size_t w_row, int64_t rows, int64_t k0, int64_t kc,
                               const float* xr, int64_t xr_stride, __m512 acc_io[NT]) {
    constexpr int64_t es = T == ggml_type::f32 ? 4 : 2;  // bytes per weight
    const int64_t n_tiles = (kc + 15) / 16, p0 = n_tiles - 1 + skew;
    const __mmask16 last = first_lanes(kc - 16 * (n_tiles - 1));
    __m512 acc[NT], r[16];
    raw16<T> raw[16];
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) acc[t] = acc_io[t];
    // In the steady state row j reads at w + j · w_row + (k0 + 16 (i - j)) · es: four bases
    // four rows apart, plus 0, 1, 2 or 3 row steps of `step` bytes (few registers).
    const int64_t step = static_cast<int64_t>(w_row) - 16 * es, step3 = 3 * step;
    for (int64_t i = 0; i < n_tiles + skew; ++i) {
        if (AllRows && i >= skew && i < n_tiles - 1) {  // every lane on a full tile
            const uint8_t* base = w + (k0 + 16 * i) * es;
#pragma GCC unroll 4
            for (int q = 0; q < 4; ++q) {
                const uint8_t* b = base + 4 * q * step;
                raw[4 * q] = load_raw16<T, false>(b, 0, 0);
                raw[4 * q + 1] = load_raw16<T, false>(b + step, 0, 0);
                raw[4 * q + 2] = load_raw16<T, false>(b + 2 * step, 0, 0);
                raw[4 * q + 3] = load_raw16<T, false>(b + step3, 0, 0);
            }
        } else {
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j) {
                const int64_t u = i - j;
                raw[j] = (AllRows || j < rows) && u >= 0 && u < n_tiles
                             ? load_raw16<T, true>(w + j * w_row, k0 + 16 * u,
                                                   u == n_tiles - 1 ? last : __mmask16{0xffff})
                             : zero_raw16<T>();
            }
        }
        widen_transpose<T>(raw, r);
        const float* xi = xr + p0 - i;
#pragma GCC unroll 16
        for (int c = 0; c < 16; ++c)
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t)
                acc[t] =
                    _mm512_fmadd_ps(_mm512_loadu_ps(xi + t * xr_stride + c * xr_len), r[c], acc[t]);
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) acc_io[t] = acc[t];
}

/// y[t · ldy + j] for j < rows (<= 16), t < NT: each output the micro-kernel's chain.
template <ggml_type T, int NT, bool AllRows>
PRISM_AVX512 void gemv_group(const uint8_t* w, size_t w_row, int64_t rows, int64_t n_in,
                             const float* xr, int64_t xr_stride, float* y, int64_t ldy) {
    __m512 total[NT], acc[NT];
    for (int64_t k0 = 0, b = 0; k0 < n_in; k0 += kc_block, ++b) {
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
        skewed_block<T, NT, AllRows>(w, w_row, rows, k0, std::min(kc_block, n_in - k0),
                                     xr + b * xr_block, xr_stride, acc);
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) total[t] = k0 == 0 ? acc[t] : _mm512_add_ps(acc[t], total[t]);
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + t * ldy, first_lanes(rows), total[t]);
}

struct gemv_group_kernel {
    static constexpr int64_t size = 16;

    /// x rearranged by build_xr for every token and K block (thread-local scratch).
    static const float* prepare(const float* x, int64_t n_in, int64_t n_tokens) {
        thread_local aligned_floats buf;
        const int64_t stride = token_stride(n_in);
        float* xr = buf.get(static_cast<size_t>(n_tokens * stride));
        for (int64_t t = 0; t < n_tokens; ++t)
            for (int64_t k0 = 0, b = 0; k0 < n_in; k0 += kc_block, ++b)
                build_xr(x + t * n_in, k0, std::min(kc_block, n_in - k0),
                         xr + t * stride + b * xr_block);
        return xr;
    }
    static int64_t token_stride(int64_t n_in) {
        return (n_in + kc_block - 1) / kc_block * xr_block;
    }

    template <ggml_type T, int NT>
    static void run(const uint8_t* w, size_t w_row, int64_t rows, int64_t n_in, const float* xr,
                    int64_t xr_stride, float* y, int64_t ldy) {
        if (rows == size)
            gemv_group<T, NT, true>(w, w_row, rows, n_in, xr, xr_stride, y, ldy);
        else
            gemv_group<T, NT, false>(w, w_row, rows, n_in, xr, xr_stride, y, ldy);
    }
};

}  // namespace

void gemv_rows_avx512(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_in, int64_t n_out,
                      const float* x, int64_t n_tokens, float* y, int64_t o0, int64_t o1) {
    gemv_rows_by_groups<gemv_group_kernel>(t, w, w_row, n_in, n_out, x, n_tokens, y, o0, o1);
}

#endif

}  // namespace prism::kernels::detail
