// AVX2 kernels of the float-weight matmul (see gemm_float.h for the shared arithmetic), for
// CPUs with AVX2 + FMA + F16C but not AVX-512 (chosen at run time). A ymm register holds the
// 4 chains of 2 outputs. F16 widens with vcvtph2ps, BF16 by a 16-bit shift; tails go through
// a small zero-padded buffer, so nothing past a row is read. Same FMAs in the same order as
// the AVX-512 kernels, so the two levels agree bit for bit.
//
// Micro-kernel: 6 tokens × 4 outputs = 12 ymm accumulators, two W vectors and one broadcast
// of 4 x values (15 of AVX2's 16 registers). Matrix-vector: 4 rows × up to 4 tokens per pass,
// rows regrouped in pairs by one 128-bit permute each.
#include <algorithm>

#include "gemm_float.h"
#include "simd_x86.h"

namespace prism::kernels::detail {

#ifdef PRISM_X86

namespace {

constexpr int64_t chunk = 8, mr = 6, nr = 4;

/// 8 weights of a row from element i, widened to f32; Tail: only the n < 8 from i (zero
/// padded), read one at a time.
template <ggml_type T, bool Tail>
PRISM_AVX2 inline __m256 load_w8(const uint8_t* row, int64_t i, int64_t n) {
    if constexpr (Tail) {
        alignas(32) float buf[8] = {};
        for (int64_t j = 0; j < n; ++j) buf[j] = weight_at<T>(row, i + j);
        return _mm256_load_ps(buf);
    } else if constexpr (T == ggml_type::f32) {
        return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
    } else {
        const __m128i h = _mm_loadu_si128(
            reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + i));
        if constexpr (T == ggml_type::f16) return _mm256_cvtph_ps(h);
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
}

/// Rows w + j · w_row (j < n_rows <= P, the rest zero), elements i .. i + 7 (n of them), in
/// the chain layout: z[2g + s] holds quad s of rows 2g, 2g + 1.
template <ggml_type T, int P, bool Tail>
PRISM_AVX2 inline void load_pairs(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t i,
                                  int64_t n, __m256 z[P]) {
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j)
        z[j] = j < n_rows ? load_w8<T, Tail>(w + j * w_row, i, n) : _mm256_setzero_ps();
#pragma GCC unroll 3
    for (int g = 0; g < P / 2; ++g) {
        const __m256 r0 = z[2 * g], r1 = z[2 * g + 1];
        z[2 * g] = _mm256_permute2f128_ps(r0, r1, 0x20);
        z[2 * g + 1] = _mm256_permute2f128_ps(r0, r1, 0x31);
    }
}

/// Sums the chains of 2 outputs, (c0 + c2) + (c1 + c3), into out[0], out[1].
PRISM_AVX2 inline void reduce_chains(__m256 v, float* out, int64_t n) {
    const __m256 s = _mm256_add_ps(v, _mm256_permute_ps(v, 0x4e));
    const __m256 r = _mm256_add_ps(s, _mm256_permute_ps(s, 0xb1));
    out[0] = _mm256_cvtss_f32(r);
    if (n > 1) out[1] = _mm_cvtss_f32(_mm256_extractf128_ps(r, 1));
}

// --- matrix-vector ---------------------------------------------------------------------

/// acc[g][t] += the chain steps of elements i .. i + 7 (n of them) for rows 2g, 2g + 1 (of
/// R) and tokens t < NT.
template <ggml_type T, int R, int NT, bool Tail>
PRISM_AVX2 inline void gemv_chunk(const uint8_t* w, size_t w_row, int64_t n_in, const float* x,
                                  int64_t i, int64_t n, __m256 (&acc)[(R + 1) / 2][NT]) {
    constexpr int G = (R + 1) / 2;
    __m256 z[2 * G];
    load_pairs<T, 2 * G, Tail>(w, w_row, R, i, n, z);
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) {
        const __m256 xv =
            load_w8<ggml_type::f32, Tail>(reinterpret_cast<const uint8_t*>(x + t * n_in), i, n);
        const __m256 xq0 = _mm256_permute2f128_ps(xv, xv, 0x00);
        const __m256 xq1 = _mm256_permute2f128_ps(xv, xv, 0x11);
#pragma GCC unroll 2
        for (int g = 0; g < G; ++g) {
            acc[g][t] = _mm256_fmadd_ps(xq0, z[2 * g], acc[g][t]);
            acc[g][t] = _mm256_fmadd_ps(xq1, z[2 * g + 1], acc[g][t]);
        }
    }
}

struct gemv_block {
    static constexpr int rows = 4;

    template <ggml_type T, int R, int NT>
    PRISM_AVX2 static void run(const uint8_t* w, size_t w_row, int64_t n_in, const float* x,
                               float* y, int64_t ldy) {
        constexpr int G = (R + 1) / 2;
        __m256 acc[G][NT];
#pragma GCC unroll 2
        for (int g = 0; g < G; ++g)
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t) acc[g][t] = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + chunk <= n_in; i += chunk)
            gemv_chunk<T, R, NT, false>(w, w_row, n_in, x, i, chunk, acc);
        if (i < n_in) gemv_chunk<T, R, NT, true>(w, w_row, n_in, x, i, n_in - i, acc);
#pragma GCC unroll 2
        for (int g = 0; g < G; ++g)
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t)
                reduce_chains(acc[g][t], y + t * ldy + 2 * g, std::min(2, R - 2 * g));
    }
};

// --- packing -----------------------------------------------------------------------------

/// Rows w + j · w_row (j < n_rows, the rest zero) into the panel layout [n_steps][P][4].
template <ggml_type T, int P>
PRISM_AVX2 void pack_rows(const uint8_t* w, size_t w_row, int64_t n_rows, int64_t n_in,
                          float* dst) {
    for (int64_t i = 0; i < n_in; i += chunk, dst += chunk * P) {
        __m256 z[P];
        if (n_in - i < chunk)
            load_pairs<T, P, true>(w, w_row, n_rows, i, n_in - i, z);
        else
            load_pairs<T, P, false>(w, w_row, n_rows, i, chunk, z);
#pragma GCC unroll 2
        for (int s = 0; s < 2; ++s)
#pragma GCC unroll 3
            for (int g = 0; g < P / 2; ++g)
                _mm256_store_ps(dst + (s * P + 2 * g) * 4, z[2 * g + s]);
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
PRISM_AVX2 void micro_t(int64_t n_steps, const float* a, const float* b, float* c, int64_t ldc,
                        int64_t n) {
    __m256 acc[M][2];
#pragma GCC unroll 6
    for (int t = 0; t < M; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t s = 0; s < n_steps; ++s, a += 4 * mr, b += 4 * nr) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
        for (int t = 0; t < M; ++t) {
            const __m256 xq = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(a + 4 * t));
            acc[t][0] = _mm256_fmadd_ps(xq, b0, acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(xq, b1, acc[t][1]);
        }
    }
#pragma GCC unroll 6
    for (int t = 0; t < M; ++t) {
        reduce_chains(acc[t][0], c + t * ldc, std::min<int64_t>(n, 2));
        if (n > 2) reduce_chains(acc[t][1], c + t * ldc + 2, n - 2);
    }
}

void micro(int64_t n_steps, const float* a, const float* b, float* c, int64_t ldc, int64_t m,
           int64_t n) {
    with_count<mr>(m, [&]<int M>() { micro_t<M>(n_steps, a, b, c, ldc, n); });
}

}  // namespace

const float_kernels& float_kernels_avx2() {
    static const float_kernels k{.chunk = chunk,
                                 .mr = mr,
                                 .nr = nr,
                                 .nc = 256,
                                 .gemv_rows = gemv_rows_by_blocks<gemv_block>,
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
