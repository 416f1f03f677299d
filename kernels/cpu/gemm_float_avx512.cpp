// AVX-512 kernels of the float-weight matmul (see gemm_float.h for the shared arithmetic),
// for CPUs with AVX-512 F/BW/VL/DQ (chosen at run time). A zmm register holds the 4 chains
// of 4 outputs: lane 4j + l is chain l of output j. F16 weights widen with vcvtph2ps, BF16 by
// a 16-bit shift; tails use masked loads, so nothing past a row is read.
//
// Micro-kernel: 12 tokens × 8 outputs = 24 zmm accumulators; per step two W vectors
// (8 outputs × 4 elements) and, per token, a broadcast of its 4 x values: 24 FMAs to 2 loads
// and 12 broadcast loads, and 27 of the 32 registers. Zen 4 issues one 512-bit FMA per cycle,
// so a step takes 24 cycles.
//
// Matrix-vector: 8 rows × up to 4 tokens per pass. Per 16 elements the 4 rows of a group
// are loaded once, regrouped into the chain layout by a 4 × 4 transpose of quads (F16/BF16:
// of 16-bit quads, before widening, with half-width shuffles) and used by every token. Eight
// rows stay within L1's 8 ways when the row stride is a multiple of 4 KiB (n_in = 2048 ...).
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

constexpr int64_t chunk = 16, mr = 12, nr = 8;

PRISM_AVX512 inline __mmask16 first_lanes(int64_t n) {
    return n >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << n) - 1);
}

/// 16 F16 or BF16 values widened to f32.
template <ggml_type T> PRISM_AVX512 inline __m512 widen16(__m256i h) {
    if constexpr (T == ggml_type::f16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

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
        return widen16<T>(h);
    }
}

/// 4 rows of 16 elements (z[r] = quads 0..3 of row r) to the chain layout: afterwards z[s]
/// holds quad s of rows 0..3.
PRISM_AVX512 inline void transpose_quads(__m512 z[4]) {
    const __m512 t0 = _mm512_shuffle_f32x4(z[0], z[1], 0x44),
                 t1 = _mm512_shuffle_f32x4(z[0], z[1], 0xee);
    const __m512 t2 = _mm512_shuffle_f32x4(z[2], z[3], 0x44),
                 t3 = _mm512_shuffle_f32x4(z[2], z[3], 0xee);
    z[0] = _mm512_shuffle_f32x4(t0, t2, 0x88);
    z[1] = _mm512_shuffle_f32x4(t0, t2, 0xdd);
    z[2] = _mm512_shuffle_f32x4(t1, t3, 0x88);
    z[3] = _mm512_shuffle_f32x4(t1, t3, 0xdd);
}

/// Sums the chains of 4 outputs, (c0 + c2) + (c1 + c3), into lanes 0..3.
PRISM_AVX512 inline __m128 reduce_chains(__m512 v) {
    const __m512 s = _mm512_add_ps(v, _mm512_permute_ps(v, 0x4e));
    const __m512 r = _mm512_add_ps(s, _mm512_permute_ps(s, 0xb1));
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(
        _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), r));
}

/// Rows w + j · w_row (j < n_rows <= P, the rest zero), elements i .. i + 15 (lanes m),
/// in the chain layout: z[4g + s] holds quad s of rows 4g .. 4g + 3.
template <ggml_type T, int P, bool Masked>
PRISM_AVX512 inline void load_groups(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t i,
                                     __mmask16 m, __m512 z[P]) {
    if constexpr (T == ggml_type::f32) {
#pragma GCC unroll 12
        for (int j = 0; j < P; ++j)
            z[j] = j < n_rows ? load_w16<T, Masked>(w + j * w_row, i, m) : _mm512_setzero_ps();
#pragma GCC unroll 3
        for (int g = 0; g < P / 4; ++g) transpose_quads(z + 4 * g);
    } else {
        // Regroup the 16-bit quads (64 bits each) before widening: half-width shuffles.
#pragma GCC unroll 3
        for (int g = 0; g < P / 4; ++g) {
            __m256i h[4];
#pragma GCC unroll 4
            for (int r = 0; r < 4; ++r) {
                const auto* p = reinterpret_cast<const uint16_t*>(w + (4 * g + r) * w_row) + i;
                h[r] = 4 * g + r >= n_rows ? _mm256_setzero_si256()
                       : Masked            ? _mm256_maskz_loadu_epi16(m, p)
                                : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
            }
            const __m256i a0 = _mm256_unpacklo_epi64(h[0], h[1]),
                          a1 = _mm256_unpackhi_epi64(h[0], h[1]);
            const __m256i a2 = _mm256_unpacklo_epi64(h[2], h[3]),
                          a3 = _mm256_unpackhi_epi64(h[2], h[3]);
            z[4 * g] = widen16<T>(_mm256_permute2x128_si256(a0, a2, 0x20));
            z[4 * g + 1] = widen16<T>(_mm256_permute2x128_si256(a1, a3, 0x20));
            z[4 * g + 2] = widen16<T>(_mm256_permute2x128_si256(a0, a2, 0x31));
            z[4 * g + 3] = widen16<T>(_mm256_permute2x128_si256(a1, a3, 0x31));
        }
    }
}

// --- matrix-vector ---------------------------------------------------------------------

/// acc[g][t] += the chain steps of elements i .. i + 15 for rows 4g .. 4g + 3 (of R) and
/// tokens t < NT (Masked: lanes m only, the rest zero).
template <ggml_type T, int R, int NT, bool Masked>
PRISM_AVX512 inline void gemv_chunk(const uint8_t* w, size_t w_row, int64_t n_in, const float* x,
                                    int64_t i, __mmask16 m, __m512 (&acc)[(R + 3) / 4][NT]) {
    constexpr int G = (R + 3) / 4;
    __m512 z[4 * G];
    load_groups<T, 4 * G, Masked>(w, w_row, R, i, m, z);
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) {
        __m512 xq[4];
        if constexpr (Masked) {
            const __m512 xv = _mm512_maskz_loadu_ps(m, x + t * n_in + i);
            xq[0] = _mm512_shuffle_f32x4(xv, xv, 0x00);
            xq[1] = _mm512_shuffle_f32x4(xv, xv, 0x55);
            xq[2] = _mm512_shuffle_f32x4(xv, xv, 0xaa);
            xq[3] = _mm512_shuffle_f32x4(xv, xv, 0xff);
        } else {
#pragma GCC unroll 4
            for (int s = 0; s < 4; ++s)
                xq[s] = _mm512_broadcast_f32x4(_mm_loadu_ps(x + t * n_in + i + 4 * s));
        }
#pragma GCC unroll 2
        for (int g = 0; g < G; ++g)
#pragma GCC unroll 4
            for (int s = 0; s < 4; ++s) acc[g][t] = _mm512_fmadd_ps(xq[s], z[4 * g + s], acc[g][t]);
    }
}

struct gemv_block {
    static constexpr int rows = 8;

    template <ggml_type T, int R, int NT>
    PRISM_AVX512 static void run(const uint8_t* w, size_t w_row, int64_t n_in, const float* x,
                                 float* y, int64_t ldy) {
        constexpr int G = (R + 3) / 4;
        __m512 acc[G][NT];
#pragma GCC unroll 2
        for (int g = 0; g < G; ++g)
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t) acc[g][t] = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + chunk <= n_in; i += chunk)
            gemv_chunk<T, R, NT, false>(w, w_row, n_in, x, i, 0xffff, acc);
        if (i < n_in) gemv_chunk<T, R, NT, true>(w, w_row, n_in, x, i, first_lanes(n_in - i), acc);
#pragma GCC unroll 2
        for (int g = 0; g < G; ++g)
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t)
                _mm_mask_storeu_ps(y + t * ldy + 4 * g,
                                   static_cast<__mmask8>((1u << std::min(4, R - 4 * g)) - 1),
                                   reduce_chains(acc[g][t]));
    }
};

// --- packing -----------------------------------------------------------------------------

/// Rows w + j · w_row (j < n_rows, the rest zero) into the panel layout [n_steps][P][4].
template <ggml_type T, int P>
PRISM_AVX512 void pack_rows(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t n_in,
                            float* dst) {
    for (int64_t i = 0; i < n_in; i += chunk, dst += chunk * P) {
        __m512 z[P];
        load_groups<T, P, true>(w, w_row, n_rows, i, first_lanes(n_in - i), z);
#pragma GCC unroll 4
        for (int s = 0; s < 4; ++s)
#pragma GCC unroll 3
            for (int g = 0; g < P / 4; ++g)
                _mm512_store_ps(dst + (s * P + 4 * g) * 4, z[4 * g + s]);
    }
}

void pack_w(ggml_type t, const uint8_t* w, size_t w_row, int64_t n_rows, int64_t n_in, float* dst) {
    with_float_type(t, [&]<ggml_type T>() { pack_rows<T, nr>(w, w_row, n_rows, n_in, dst); });
}

void pack_x(const float* x, int64_t n_in, int64_t n_rows, float* dst) {
    pack_rows<ggml_type::f32, mr>(reinterpret_cast<const uint8_t*>(x), n_in * sizeof(float), n_rows,
                                  n_in, dst);
}

// --- micro-kernel ------------------------------------------------------------------------

template <int M>
PRISM_AVX512 void micro_t(int64_t n_steps, const float* a, const float* b, float* c, int64_t ldc,
                          int64_t n) {
    __m512 acc[M][2];
#pragma GCC unroll 12
    for (int t = 0; t < M; ++t) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
    for (int64_t s = 0; s < n_steps; ++s, a += 4 * mr, b += 4 * nr) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
        for (int t = 0; t < M; ++t) {
            const __m512 xq = _mm512_broadcast_f32x4(_mm_load_ps(a + 4 * t));
            acc[t][0] = _mm512_fmadd_ps(xq, b0, acc[t][0]);
            acc[t][1] = _mm512_fmadd_ps(xq, b1, acc[t][1]);
        }
    }
    const __mmask8 m0 = static_cast<__mmask8>((1u << std::min<int64_t>(n, 4)) - 1);
    const __mmask8 m1 = static_cast<__mmask8>((1u << std::clamp<int64_t>(n - 4, 0, 4)) - 1);
#pragma GCC unroll 12
    for (int t = 0; t < M; ++t) {
        _mm_mask_storeu_ps(c + t * ldc, m0, reduce_chains(acc[t][0]));
        _mm_mask_storeu_ps(c + t * ldc + 4, m1, reduce_chains(acc[t][1]));
    }
}

void micro(int64_t n_steps, const float* a, const float* b, float* c, int64_t ldc, int64_t m,
           int64_t n) {
    with_count<mr>(m, [&]<int M>() { micro_t<M>(n_steps, a, b, c, ldc, n); });
}

}  // namespace

const float_kernels& float_kernels_avx512() {
    static const float_kernels k{.chunk = chunk,
                                 .mr = mr,
                                 .nr = nr,
                                 .nc = 128,
                                 .gemv_rows = gemv_rows_by_blocks<gemv_block>,
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
