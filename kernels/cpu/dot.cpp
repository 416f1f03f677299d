// Vector dot products of one weight row (F32, F16, BF16, Q8_0, Q4_0, and the K-quants of
// dot_kquants.cpp) with a float vector: the inner loop of matrix-vector decode. AVX2+FMA+F16C
// paths are compiled with target attributes and chosen at run time; other CPUs use the
// portable loops. Quantized blocks are expanded to floats in registers (dequantize-then-FMA),
// so each weight byte is read once. Block layouts: see dtype.h (ggml-common.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "dot_kquants.h"
#include "prism/kernels/cpu_features.h"
#include "prism/kernels/cpu_ops.h"
#include "simd_x86.h"

namespace prism::kernels {

bool cpu_has_avx2() {
    return cpu_caps().avx2;
}

namespace {

float dot_portable(ggml_type t, const void* w, const float* x, int64_t n) {
    // Dequantize a block's worth at a time so the scratch stays small and in cache.
    const auto tr = type_info(t);
    const int64_t chunk = tr.block_size * std::max<int64_t>(1, 256 / tr.block_size);
    float buf[512];
    float acc = 0.0f;
    const auto* bytes = static_cast<const uint8_t*>(w);
    for (int64_t i = 0; i < n; i += chunk) {
        const int64_t m = std::min(chunk, n - i);
        dequantize_row_ref(t, bytes + row_size(t, i), buf, m);
        for (int64_t j = 0; j < m; ++j) acc += buf[j] * x[i + j];
    }
    return acc;
}

#ifdef PRISM_X86
using detail::hsum;

PRISM_AVX2 float dot_f32_avx2(const float* w, const float* x, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    float acc = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) acc += w[i] * x[i];
    return acc;
}

PRISM_AVX2 float dot_f16_avx2(const uint16_t* w, const float* x, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
        const __m256 w1 =
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
        a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), a1);
    }
    float acc = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) acc += fp16_to_fp32(w[i]) * x[i];
    return acc;
}

PRISM_AVX2 float dot_bf16_avx2(const uint16_t* w, const float* x, int64_t n) {
    __m256 a0 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
        const __m256 wf = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        a0 = _mm256_fmadd_ps(wf, _mm256_loadu_ps(x + i), a0);
    }
    float acc = hsum(a0);
    for (; i < n; ++i) acc += bf16_to_fp32(w[i]) * x[i];
    return acc;
}

PRISM_AVX2 float dot_q8_0_avx2(const block_q8_0* b, const float* x, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / qk8_0; ++i, x += qk8_0) {
        __m256 s = _mm256_setzero_ps();
        for (int j = 0; j < 4; ++j) {
            const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + 8 * j));
            const __m256 qf = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
            s = _mm256_fmadd_ps(qf, _mm256_loadu_ps(x + 8 * j), s);
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_to_fp32(b[i].d)), s, acc);
    }
    return hsum(acc);
}

PRISM_AVX2 float dot_q4_0_avx2(const block_q4_0* b, const float* x, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    const __m128i low_mask = _mm_set1_epi8(0x0f);
    const __m128i eight = _mm_set1_epi8(8);
    for (int64_t i = 0; i < n / qk4_0; ++i, x += qk4_0) {
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
        const __m128i lo = _mm_sub_epi8(_mm_and_si128(raw, low_mask), eight);  // elems 0..15
        const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), low_mask), eight);
        __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), _mm256_loadu_ps(x));
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))),
                            _mm256_loadu_ps(x + 8), s);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), _mm256_loadu_ps(x + 16),
                            s);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))),
                            _mm256_loadu_ps(x + 24), s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_to_fp32(b[i].d)), s, acc);
    }
    return hsum(acc);
}
#endif

}  // namespace

float dot_row(ggml_type t, const void* w, const float* x, int64_t n) {
#ifdef PRISM_X86
    if (cpu_has_avx2()) {
        switch (t) {
        case ggml_type::f32:
            return dot_f32_avx2(static_cast<const float*>(w), x, n);
        case ggml_type::f16:
            return dot_f16_avx2(static_cast<const uint16_t*>(w), x, n);
        case ggml_type::bf16:
            return dot_bf16_avx2(static_cast<const uint16_t*>(w), x, n);
        case ggml_type::q8_0:
            return dot_q8_0_avx2(static_cast<const block_q8_0*>(w), x, n);
        case ggml_type::q4_0:
            return dot_q4_0_avx2(static_cast<const block_q4_0*>(w), x, n);
        case ggml_type::q4_k:
            return detail::dot_q4_k_avx2(static_cast<const block_q4_k*>(w), x, n);
        case ggml_type::q5_k:
            return detail::dot_q5_k_avx2(static_cast<const block_q5_k*>(w), x, n);
        case ggml_type::q6_k:
            return detail::dot_q6_k_avx2(static_cast<const block_q6_k*>(w), x, n);
        default:
            break;
        }
    }
#endif
    if (t == ggml_type::f32) {
        const auto* wf = static_cast<const float*>(w);
        float acc = 0.0f;
        for (int64_t i = 0; i < n; ++i) acc += wf[i] * x[i];
        return acc;
    }
    return dot_portable(t, w, x, n);
}

double dot_row_ref(ggml_type t, const void* w, const float* x, int64_t n) {
    std::vector<float> buf(static_cast<size_t>(n));
    dequantize_row_ref(t, w, buf.data(), n);
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(buf[i]) * x[i];
    return acc;
}

}  // namespace prism::kernels
