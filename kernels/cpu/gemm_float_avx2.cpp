// AVX2 kernels of the float-weight matmul (see gemm_float.h), for CPUs with AVX2 + FMA +
// F16C but not AVX-512 (chosen at run time). Same structure as gemm_float_avx512.cpp at
// half the width: F16 widens with vcvtph2ps, BF16 by a 16-bit shift; tails go through a
// small zero-padded buffer, so no element is read or written past its row.
//
// Micro-kernel: 6 tokens × 16 outputs = 12 ymm accumulators plus two W vectors and one
// broadcast, fitting AVX2's 16 registers (the Haswell-era BLIS / OpenBLAS shape).
#include <algorithm>

#include "gemm_float.h"
#include "simd_x86.h"

namespace prism::kernels::detail {

#ifdef PRISM_X86

namespace {

constexpr int64_t mr = 6, nr = 16, kc_block = 2048;

/// 8 weights of a row from element i, widened to f32.
template <ggml_type T> PRISM_AVX2 inline __m256 load_w8(const uint8_t* row, int64_t i) {
    if constexpr (T == ggml_type::f32) {
        return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
    } else {
        const __m128i h = _mm_loadu_si128(
            reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + i));
        if constexpr (T == ggml_type::f16) return _mm256_cvtph_ps(h);
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
}

/// Like load_w8 for the n < 8 elements from i, zero-padded (reads only those n).
template <ggml_type T>
PRISM_AVX2 inline __m256 load_w8_tail(const uint8_t* row, int64_t i, int64_t n) {
    alignas(32) float buf[8] = {};
    for (int64_t j = 0; j < n; ++j) buf[j] = weight_at<T>(row, i + j);
    return _mm256_load_ps(buf);
}

// --- 8 × 8 tiles of W, transposed in registers -----------------------------------------

/// Transposes the 8 × 8 matrix whose rows are r[0..7]: afterwards r[c] is column c.
PRISM_AVX2 inline void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i) {
        s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
        r[j] = _mm256_permute2f128_ps(s[j], s[4 + j], 0x20);
        r[4 + j] = _mm256_permute2f128_ps(s[j], s[4 + j], 0x31);
    }
}

/// Rows w .. w + (rows - 1) · w_row (rows <= 8, the rest zero), elements k .. k + kk - 1
/// (kk <= 8, the rest zero), transposed: afterwards r[c] holds element k + c of each row.
template <ggml_type T>
PRISM_AVX2 inline void load_tile(const uint8_t* w, size_t w_row, int64_t rows, int64_t k,
                                 int64_t kk, __m256 r[8]) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j)
        r[j] = j >= rows ? _mm256_setzero_ps()
               : kk == 8 ? load_w8<T>(w + j * w_row, k)
                         : load_w8_tail<T>(w + j * w_row, k, kk);
    transpose8(r);
}

// --- matrix-vector: 8 rows × NT tokens per pass, in the micro-kernel's order ------------

/// y[t][j] = Σ_i W[j][i] · x[t][i] for j < rows (<= 8), t < NT, with the micro-kernel's
/// arithmetic (see gemm_float_avx512.cpp's gemv_group).
template <ggml_type T, int NT>
PRISM_AVX2 void gemv_group(const uint8_t* w, size_t w_row, int64_t rows, int64_t n_in,
                           const float* x, int64_t x_stride, float* y, int64_t ldy) {
    __m256 total[NT], r[8];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) total[t] = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < n_in; k0 += kc_block) {
        const int64_t kc = std::min(kc_block, n_in - k0);
        __m256 acc[NT];
#pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) {
            load_tile<T>(w, w_row, rows, k0 + k, 8, r);
            const float* xk = x + k0 + k;
#pragma GCC unroll 8
            for (int c = 0; c < 8; ++c)
#pragma GCC unroll 8
                for (int t = 0; t < NT; ++t)
                    acc[t] =
                        _mm256_fmadd_ps(_mm256_broadcast_ss(xk + t * x_stride + c), r[c], acc[t]);
        }
        if (k < kc) {
            load_tile<T>(w, w_row, rows, k0 + k, kc - k, r);
            const float* xk = x + k0 + k;
            for (int64_t c = 0; c < kc - k; ++c)
#pragma GCC unroll 8
                for (int t = 0; t < NT; ++t)
                    acc[t] =
                        _mm256_fmadd_ps(_mm256_broadcast_ss(xk + t * x_stride + c), r[c], acc[t]);
        }
#pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) total[t] = k0 == 0 ? acc[t] : _mm256_add_ps(acc[t], total[t]);
    }
    alignas(32) float out[8];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
        if (rows == 8) {
            _mm256_storeu_ps(y + t * ldy, total[t]);
        } else {
            _mm256_store_ps(out, total[t]);
            std::copy(out, out + rows, y + t * ldy);
        }
    }
}

struct gemv_group_kernel {
    static constexpr int64_t size = 8;
    static const float* prepare(const float* x, int64_t, int64_t) { return x; }
    static int64_t token_stride(int64_t n_in) { return n_in; }
    template <ggml_type T, int NT>
    static void run(const uint8_t* w, size_t w_row, int64_t rows, int64_t n_in, const float* x,
                    int64_t x_stride, float* y, int64_t ldy) {
        gemv_group<T, NT>(w, w_row, rows, n_in, x, x_stride, y, ldy);
    }
};

// --- packing ---------------------------------------------------------------------------

template <ggml_type T>
PRISM_AVX2 void pack_w_t(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t k0, int64_t kc,
                         float* dst) {
    for (int64_t h = 0; h < nr / 8; ++h) {
        const int64_t rows = std::clamp<int64_t>(n_rows - 8 * h, 0, 8);
        const uint8_t* wh = w + 8 * h * w_row;
        for (int64_t k = 0; k < kc; k += 8) {
            const int64_t kk = std::min<int64_t>(8, kc - k);
            __m256 r[8];
            load_tile<T>(wh, w_row, rows, k0 + k, kk, r);
            float* d = dst + k * nr + 8 * h;
            if (kk == 8) {
#pragma GCC unroll 8
                for (int c = 0; c < 8; ++c) _mm256_store_ps(d + c * nr, r[c]);
            } else {
                alignas(32) float cols[8][8];
#pragma GCC unroll 8
                for (int c = 0; c < 8; ++c) _mm256_store_ps(cols[c], r[c]);
                for (int64_t c = 0; c < kk; ++c)
                    _mm256_store_ps(d + c * nr, _mm256_load_ps(cols[c]));
            }
        }
    }
}

void pack_w(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t k0, int64_t kc,
            float* dst) {
    with_float_type(t, [&]<ggml_type T>() { pack_w_t<T>(w, w_row, n_rows, k0, kc, dst); });
}

PRISM_AVX2 void pack_x(const float* x, int64_t n_in, int64_t n_rows, float* dst) {
    const auto* xb = reinterpret_cast<const uint8_t*>(x);
    const size_t x_row = static_cast<size_t>(n_in) * sizeof(float);
    const __m256i first_mr = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    static_assert(mr == 6);
    for (int64_t k = 0; k < n_in; k += 8) {
        const int64_t kk = std::min<int64_t>(8, n_in - k);
        __m256 r[8];
        load_tile<ggml_type::f32>(xb, x_row, n_rows, k, kk, r);
        for (int64_t c = 0; c < kk; ++c) _mm256_maskstore_ps(dst + (k + c) * mr, first_mr, r[c]);
    }
}

// --- micro-kernel ------------------------------------------------------------------------

template <int M>
PRISM_AVX2 void micro_t(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                        int64_t n, bool accumulate) {
    __m256 c0[M], c1[M];
#pragma GCC unroll 8
    for (int r = 0; r < M; ++r) c0[r] = c1[r] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, a += mr, b += nr) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
        for (int r = 0; r < M; ++r) {
            const __m256 ar = _mm256_broadcast_ss(a + r);
            c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < M; ++r) {
        float* cr = c + r * ldc;
        if (n == nr) {
            if (accumulate) {
                c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(cr));
                c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(cr + 8));
            }
            _mm256_storeu_ps(cr, c0[r]);
            _mm256_storeu_ps(cr + 8, c1[r]);
        } else {
            alignas(32) float row[nr];
            _mm256_store_ps(row, c0[r]);
            _mm256_store_ps(row + 8, c1[r]);
            for (int64_t j = 0; j < n; ++j) cr[j] = (accumulate ? cr[j] : 0.0f) + row[j];
        }
    }
}

void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m, int64_t n,
           bool accumulate) {
    using fn = void (*)(int64_t, const float*, const float*, float*, int64_t, int64_t, bool);
    static constexpr fn by_rows[mr] = {micro_t<1>, micro_t<2>, micro_t<3>,
                                       micro_t<4>, micro_t<5>, micro_t<6>};
    by_rows[m - 1](kc, a, b, c, ldc, n, accumulate);
}

}  // namespace

const float_kernels& float_kernels_avx2() {
    static const float_kernels k{.mr = mr,
                                 .nr = nr,
                                 .kc = kc_block,
                                 .nc = 256,
                                 .gemv_rows = gemv_rows_by_groups<gemv_group_kernel>,
                                 .pack_w = pack_w,
                                 .pack_x = pack_x,
                                 .micro = micro};
    return k;
}

#else

const float_kernels& float_kernels_avx2() {
    return float_kernels_portable();
}

#endif

}  // namespace prism::kernels::detail
