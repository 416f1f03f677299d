// AVX-512 kernels of the float-weight matmul (see gemm_float.h), for CPUs with AVX-512
// F/BW/VL/DQ (chosen at run time). F16 weights widen with vcvtph2ps, BF16 by a 16-bit shift;
// tails use masked loads and stores, so no element is read or written past its row.
//
// Micro-kernel: 12 tokens × 32 outputs = 24 zmm accumulators, two W vectors and a broadcast
// x element per k step (24 FMAs to 2 loads + 12 broadcasts), leaving registers for the
// compiler's addressing. Zen 4 issues one 512-bit FMA per cycle (two 256-bit halves), so a
// step takes 24 cycles and the 4-cycle FMA latency is hidden many times over.
#include <algorithm>

#include "gemm_float.h"
#include "simd_x86.h"

// GCC 12's AVX-512 intrinsics start from _mm*_undefined_*(), which -Wuninitialized reports
// once they are inlined (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace prism::kernels::detail {

#ifdef PRISM_X86

namespace {

constexpr int64_t mr = 12, nr = 32, kc_block = 2048;

/// 16 weights of a row from element i, widened to f32; Masked loads only the lanes in m.
template <ggml_type T, bool Masked>
PRISM_AVX512 inline __m512 load_w16(const uint8_t* row, int64_t i, __mmask16 m) {
    if constexpr (T == ggml_type::f32) {
        const float* p = reinterpret_cast<const float*>(row) + i;
        return Masked ? _mm512_maskz_loadu_ps(m, p) : _mm512_loadu_ps(p);
    } else {
        const auto* p = reinterpret_cast<const uint16_t*>(row) + i;
        const __m256i h = Masked ? _mm256_maskz_loadu_epi16(m, p)
                                 : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        if constexpr (T == ggml_type::f16) return _mm512_cvtph_ps(h);
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
}

PRISM_AVX512 inline __mmask16 first_lanes(int64_t n) {
    return n >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << n) - 1);
}

// --- 16 × 16 tiles of W, transposed in registers ---------------------------------------

/// Transposes the 16 × 16 matrix whose rows are r[0..15]: afterwards r[c] is column c.
PRISM_AVX512 inline void transpose16(__m512 r[16]) {
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // Per 128-bit lane L: t[4i .. 4i + 3] hold rows 4i .. 4i + 3 interleaved in pairs.
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    // Now lane L of r[4i + j] is rows 4i .. 4i + 3 of column 4L + j; gather the lanes.
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
        const __m512 ab02 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        const __m512 ab13 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
        const __m512 cd02 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        const __m512 cd13 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
        t[j] = _mm512_shuffle_f32x4(ab02, cd02, 0x88);
        t[8 + j] = _mm512_shuffle_f32x4(ab02, cd02, 0xdd);
        t[4 + j] = _mm512_shuffle_f32x4(ab13, cd13, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(ab13, cd13, 0xdd);
    }
#pragma GCC unroll 16
    for (int c = 0; c < 16; ++c) r[c] = t[c];
}

/// Rows w .. w + (rows - 1) · w_row (rows <= 16, the rest zero), elements k .. k + 15
/// (lanes m), transposed: afterwards r[c] holds element k + c of each row.
template <ggml_type T, bool Masked>
PRISM_AVX512 inline void load_tile(const uint8_t* w, size_t w_row, int64_t rows, int64_t k,
                                   __mmask16 m, __m512 r[16]) {
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j)
        r[j] = j < rows ? load_w16<T, Masked>(w + j * w_row, k, m) : _mm512_setzero_ps();
    transpose16(r);
}

// --- matrix-vector: 16 rows × NT tokens per pass, in the micro-kernel's order -----------

/// y[t][j] = Σ_i W[j][i] · x[t][i] for j < rows (<= 16), t < NT. Each output is a
/// sequential FMA chain over i within K blocks of kc_block, blocks added in order: exactly
/// the micro-kernel's arithmetic, so a token's result does not depend on the batch size.
template <ggml_type T, int NT>
PRISM_AVX512 void gemv_group(const uint8_t* w, size_t w_row, int64_t rows, int64_t n_in,
                             const float* x, float* y, int64_t ldy) {
    __m512 total[NT], r[16];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) total[t] = _mm512_setzero_ps();
    for (int64_t k0 = 0; k0 < n_in; k0 += kc_block) {
        const int64_t kc = std::min(kc_block, n_in - k0);
        __m512 acc[NT];
#pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 16 <= kc; k += 16) {
            load_tile<T, false>(w, w_row, rows, k0 + k, 0, r);
            const float* xk = x + k0 + k;
#pragma GCC unroll 16
            for (int c = 0; c < 16; ++c)
#pragma GCC unroll 8
                for (int t = 0; t < NT; ++t)
                    acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(xk[t * n_in + c]), r[c], acc[t]);
        }
        if (k < kc) {
            load_tile<T, true>(w, w_row, rows, k0 + k, first_lanes(kc - k), r);
            const float* xk = x + k0 + k;
            for (int64_t c = 0; c < kc - k; ++c)
#pragma GCC unroll 8
                for (int t = 0; t < NT; ++t)
                    acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(xk[t * n_in + c]), r[c], acc[t]);
        }
#pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) total[t] = k0 == 0 ? acc[t] : _mm512_add_ps(acc[t], total[t]);
    }
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + t * ldy, first_lanes(rows), total[t]);
}

struct gemv_group_kernel {
    static constexpr int64_t size = 16;
    template <ggml_type T, int NT>
    static void run(const uint8_t* w, size_t w_row, int64_t rows, int64_t n_in, const float* x,
                    float* y, int64_t ldy) {
        gemv_group<T, NT>(w, w_row, rows, n_in, x, y, ldy);
    }
};

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
                                 .kc = kc_block,
                                 .nc = 256,
                                 .gemv_rows = gemv_rows_by_groups<gemv_group_kernel>,
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
