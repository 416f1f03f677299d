// AVX-512 kernels of the float-weight matmul (see gemm_float.h), for CPUs with AVX-512
// F/BW/VL/DQ (chosen at run time). F16 weights widen with vcvtph2ps, BF16 by a 16-bit shift;
// tails use masked loads and stores, so no element is read or written past its row.
//
// Micro-kernel: 12 tokens × 32 outputs = 24 zmm accumulators, two W vectors and a broadcast
// x element per k step (24 FMAs to 2 loads + 12 broadcasts), leaving registers for the
// compiler's addressing. Zen 4 issues one 512-bit FMA per cycle (two 256-bit halves), so a
// step takes 24 cycles and the 4-cycle FMA latency is hidden many times over.
#include <algorithm>

#include "gemm_float_avx512.h"

namespace prism::kernels::detail {

#ifdef PRISM_X86

namespace {

constexpr int64_t mr = 12, nr = 32;

// --- packing ---------------------------------------------------------------------------

template <ggml_type T>
PRISM_AVX512 void pack_w_t(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t k0, int64_t kc,
                           float* dst) {
    for (int64_t h = 0; h < nr / 16; ++h) {
        const int64_t rows = std::clamp<int64_t>(n_rows - 16 * h, 0, 16);
        const uint8_t* wh = w + 16 * h * w_row;
        for (int64_t k = 0; k < kc; k += 16) {
            const int64_t kk = std::min<int64_t>(16, kc - k);
            __m512 r[16];
            load_tile<T, true>(wh, w_row, rows, k0 + k, first_lanes(kk), r);
            float* d = dst + k * nr + 16 * h;
            if (kk == 16) {
#pragma GCC unroll 16
                for (int c = 0; c < 16; ++c) _mm512_store_ps(d + c * nr, r[c]);
            } else {
                alignas(64) float cols[16][16];
#pragma GCC unroll 16
                for (int c = 0; c < 16; ++c) _mm512_store_ps(cols[c], r[c]);
                for (int64_t c = 0; c < kk; ++c)
                    _mm512_store_ps(d + c * nr, _mm512_load_ps(cols[c]));
            }
        }
    }
}

void pack_w(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t k0, int64_t kc,
            float* dst) {
    with_float_type(t, [&]<ggml_type T>() { pack_w_t<T>(w, w_row, n_rows, k0, kc, dst); });
}

PRISM_AVX512 void pack_x(const float* x, int64_t n_in, int64_t n_rows, float* dst) {
    const auto* xb = reinterpret_cast<const uint8_t*>(x);
    const size_t x_row = static_cast<size_t>(n_in) * sizeof(float);
    for (int64_t k = 0; k < n_in; k += 16) {
        const int64_t kk = std::min<int64_t>(16, n_in - k);
        __m512 r[16];
        load_tile<ggml_type::f32, true>(xb, x_row, n_rows, k, first_lanes(kk), r);
        for (int64_t c = 0; c < kk; ++c)
            _mm512_mask_storeu_ps(dst + (k + c) * mr, first_lanes(mr), r[c]);
    }
}

// --- micro-kernel ------------------------------------------------------------------------

template <int M>
PRISM_AVX512 void micro_t(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                          int64_t n, bool accumulate) {
    __m512 c0[M], c1[M];
#pragma GCC unroll 16
    for (int r = 0; r < M; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, a += mr, b += nr) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
        for (int r = 0; r < M; ++r) {
            const __m512 ar = _mm512_set1_ps(a[r]);
            c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
        }
    }
    const __mmask16 m0 = first_lanes(n), m1 = first_lanes(std::max<int64_t>(n - 16, 0));
#pragma GCC unroll 16
    for (int r = 0; r < M; ++r) {
        float* cr = c + r * ldc;
        if (accumulate) {
            c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(m0, cr));
            c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(m1, cr + 16));
        }
        _mm512_mask_storeu_ps(cr, m0, c0[r]);
        _mm512_mask_storeu_ps(cr + 16, m1, c1[r]);
    }
}

void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m, int64_t n,
           bool accumulate) {
    using fn = void (*)(int64_t, const float*, const float*, float*, int64_t, int64_t, bool);
    static constexpr fn by_rows[mr] = {micro_t<1>, micro_t<2>,  micro_t<3>,  micro_t<4>,
                                       micro_t<5>, micro_t<6>,  micro_t<7>,  micro_t<8>,
                                       micro_t<9>, micro_t<10>, micro_t<11>, micro_t<12>};
    by_rows[m - 1](kc, a, b, c, ldc, n, accumulate);
}

}  // namespace

const float_kernels& float_kernels_avx512() {
    static const float_kernels k{.mr = mr,
                                 .nr = nr,
                                 .kc = avx512_kc_block,
                                 .nc = 256,
                                 .gemv_rows = gemv_rows_avx512,
                                 .pack_w = pack_w,
                                 .pack_x = pack_x,
                                 .micro = micro};
    return k;
}

#else

const float_kernels& float_kernels_avx512() {
    return float_kernels_portable();
}

#endif

}  // namespace prism::kernels::detail
