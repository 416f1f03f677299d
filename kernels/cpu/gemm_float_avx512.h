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

/// Rows w .. w + (rows - 1) · w_row (rows <= 16, the rest zero; AllRows: rows == 16),
/// elements k .. k + 15 (lanes m), transposed: afterwards r[c] holds element k + c of each row.
template <ggml_type T, bool Masked, bool AllRows = false>
PRISM_AVX512 inline void load_tile(const uint8_t* w, size_t w_row, int64_t rows, int64_t k,
                                   __mmask16 m, __m512 r[16]) {
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j)
        r[j] = AllRows || j < rows ? load_w16<T, Masked>(w + j * w_row, k, m) : _mm512_setzero_ps();
    transpose16(r);
}

#endif

}  // namespace prism::kernels::detail
