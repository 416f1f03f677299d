// Pieces shared by the AVX-512 float-matmul kernels (gemm_float_avx512.cpp,
// gemv_float_avx512.cpp): loading 16 weights of any float type as f32, and 16 × 16 tiles
// of rows transposed in registers. Internal; include after every other header.
#pragma once

#include <algorithm>
#include <cstdint>

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

/// K block of the AVX-512 GEMM and matrix-vector kernels (they must agree: see
/// gemv_float_avx512.cpp).
inline constexpr int64_t avx512_kc_block = 2048;

/// The AVX-512 float_kernels::gemv_rows (gemv_float_avx512.cpp).
void gemv_rows_avx512(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_in, int64_t n_out,
                      const float* x, int64_t n_tokens, float* y, int64_t o0, int64_t o1);

/// A row's 16 weights as loaded, before widening: __m512 for F32, __m256i for F16 / BF16.
template <ggml_type T> struct raw16_of { using type = __m256i; };
template <> struct raw16_of<ggml_type::f32> { using type = __m512; };
template <ggml_type T> using raw16 = typename raw16_of<T>::type;

/// 16 weights of a row from element i, as stored; Masked loads only the lanes in m (others 0).
template <ggml_type T, bool Masked>
PRISM_AVX512 inline raw16<T> load_raw16(const uint8_t* row, int64_t i, __mmask16 m) {
    if constexpr (T == ggml_type::f32) {
        const float* p = reinterpret_cast<const float*>(row) + i;
        return Masked ? _mm512_maskz_loadu_ps(m, p) : _mm512_loadu_ps(p);
    } else {
        const auto* p = reinterpret_cast<const uint16_t*>(row) + i;
        return Masked ? _mm256_maskz_loadu_epi16(m, p)
                      : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    }
}

template <ggml_type T> PRISM_AVX512 inline raw16<T> zero_raw16() {
    if constexpr (T == ggml_type::f32)
        return _mm512_setzero_ps();
    else
        return _mm256_setzero_si256();
}

/// 16 F16 or BF16 values widened to f32.
template <ggml_type T> PRISM_AVX512 inline __m512 widen16(__m256i h) {
    if constexpr (T == ggml_type::f16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

PRISM_AVX512 inline __mmask16 first_lanes(int64_t n) {
    return n >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << n) - 1);
}

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

/// Transposes 16 rows of 16 F16 / BF16 values (h[j] = row j) into 16 f32 columns r[c],
/// shuffling 16-bit values before widening (48 shuffles instead of the 64 of transpose16).
template <ggml_type T>
PRISM_AVX512 inline void transpose16_halves(const __m256i h[16], __m512 r[16]) {
    __m512i z[8], a[8], b[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j)  // 128-bit lanes: row j elements 0-7, 8-15, row j+8 0-7, 8-15
        z[j] = _mm512_inserti64x4(_mm512_castsi256_si512(h[j]), h[j + 8], 1);
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {  // pairs of rows, 16-bit interleave
        a[2 * p] = _mm512_unpacklo_epi16(z[2 * p], z[2 * p + 1]);
        a[2 * p + 1] = _mm512_unpackhi_epi16(z[2 * p], z[2 * p + 1]);
    }
#pragma GCC unroll 2
    for (int q = 0; q < 2; ++q)  // quads of rows, 32-bit interleave: element pairs
#pragma GCC unroll 2
        for (int e = 0; e < 2; ++e) {
            b[4 * q + 2 * e] = _mm512_unpacklo_epi32(a[4 * q + e], a[4 * q + 2 + e]);
            b[4 * q + 2 * e + 1] = _mm512_unpackhi_epi32(a[4 * q + e], a[4 * q + 2 + e]);
        }
    // b[4q + m]: rows 4q .. 4q + 3 of elements 2m, 2m + 1 (lanes 0, 2) and 8 + 2m, 9 + 2m.
    const __m512i order = _mm512_setr_epi64(0, 1, 4, 5, 2, 3, 6, 7);
#pragma GCC unroll 4
    for (int m = 0; m < 4; ++m) {
        // Rows 0-7 of one element per 128-bit lane, then lanes 0, 2 (element e) together.
        const __m512i lo = _mm512_permutexvar_epi64(order, _mm512_unpacklo_epi64(b[m], b[4 + m]));
        const __m512i hi = _mm512_permutexvar_epi64(order, _mm512_unpackhi_epi64(b[m], b[4 + m]));
        r[2 * m] = widen16<T>(_mm512_castsi512_si256(lo));
        r[2 * m + 8] = widen16<T>(_mm512_extracti64x4_epi64(lo, 1));
        r[2 * m + 1] = widen16<T>(_mm512_castsi512_si256(hi));
        r[2 * m + 9] = widen16<T>(_mm512_extracti64x4_epi64(hi, 1));
    }
}

/// Widens and transposes 16 raw rows: afterwards r[c] holds element c of every row.
template <ggml_type T>
PRISM_AVX512 inline void widen_transpose(const raw16<T> raw[16], __m512 r[16]) {
    if constexpr (T == ggml_type::f32) {
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) r[j] = raw[j];
        transpose16(r);
    } else {
        transpose16_halves<T>(raw, r);
    }
}

/// Rows w .. w + (rows - 1) · w_row (rows <= 16, the rest zero; AllRows: rows == 16),
/// elements k .. k + 15 (lanes m), transposed: afterwards r[c] holds element k + c of each row.
template <ggml_type T, bool Masked, bool AllRows = false>
PRISM_AVX512 inline void load_tile(const uint8_t* w, size_t w_row, int64_t rows, int64_t k,
                                   __mmask16 m, __m512 r[16]) {
    raw16<T> raw[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j)
        raw[j] = AllRows || j < rows ? load_raw16<T, Masked>(w + j * w_row, k, m) : zero_raw16<T>();
    widen_transpose<T>(raw, r);
}

#endif

}  // namespace prism::kernels::detail
