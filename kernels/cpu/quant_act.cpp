// Activation quantization for the quantized matmul (formats in matmul_quant.h): symmetric
// 8-bit blocks, d = max|x| / 127, q = round-half-even(x · (1 / d)), as ggml's Q8_0 / Q8_K
// (which round half away from zero in scalar code and half-even in SIMD code; the
// difference is below the d / 2 error bound either way). The AVX2 version performs the same
// float operations in the same order (max of |x|, one division, one reciprocal, one product
// and the same rounding per element), so every instruction-set level sees bit-identical
// activations, NaN included (ignored by the maximum, as in the scalar loop).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "prism/kernels/cpu_features.h"
#include "quant_impl.h"
#include "quant_simd.h"

namespace prism::kernels {

using namespace detail;

namespace {

/// Round to nearest, ties to even, for |v| < 2^22 (adding 1.5 · 2^23 leaves the integer in
/// the low mantissa bits; plain arithmetic, so the loops below vectorize).
inline int32_t round_even(float v) {
    return std::bit_cast<int32_t>(v + 12582912.0f) - 0x4B400000;
}

/// n (<= 256) activations to int8; returns the scale d.
float quantize_block_scalar(const float* x, int n, int8_t* q) {
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < n; ++i)
        q[i] = static_cast<int8_t>(std::clamp(round_even(x[i] * id), -127, 127));
    return d;
}

#ifdef PRISM_X86
float quantize_block_avx2(const float* x, int n, int8_t* q);  // n a multiple of 32
#endif

float quantize_block(const float* x, int n, int8_t* q) {
#ifdef PRISM_X86
    static const bool avx2 = cpu_caps().avx2;
    if (avx2) return quantize_block_avx2(x, n, q);
#endif
    return quantize_block_scalar(x, n, q);
}

int32_t sum_of(const int8_t* q, int n) {
    int32_t sum = 0;
    for (int i = 0; i < n; ++i) sum += q[i];
    return sum;
}

void quantize_block_q8_0(const float* x, int offset, act_q8_0& out) {
    out.d = quantize_block(x, 32, out.qs);
    out.bias = -offset * sum_of(out.qs, 32);
}

void quantize_block_q8_k(const float* x, act_q8_k& out) {
    out.d = quantize_block(x, 256, out.qs);
    for (int g = 0; g < 16; ++g) out.bsums[g] = static_cast<int16_t>(sum_of(out.qs + 16 * g, 16));
}

/// Where element e (< 32) of block b goes in the rows_q4_pairs order (see quant_impl.h).
int64_t q4_pair_index(int64_t b, int64_t nb, int e) {
    if ((b | 1) >= nb) return 32 * b + e;  // an odd last block stays in order
    const int64_t base = 32 * (b & ~int64_t{1}) + 16 * (b & 1);
    return base + (e < 16 ? e : e + 16);
}

/// One token into the rows layouts.
void quantize_row(ggml_type wtype, act_layout layout, const float* x, int64_t n_in, uint8_t* out) {
    const act_row row = act_row_at(wtype, n_in, out);
    auto* qs = const_cast<int8_t*>(row.qs);
    auto* d = const_cast<float*>(row.d);
    const int64_t qk = act_block_size(wtype), nb = n_in / qk;
    if (is_kquant(wtype)) {
        auto* bsums = const_cast<int16_t*>(row.bsums);
        for (int64_t b = 0; b < nb; ++b) {
            d[b] = quantize_block(x + qk * b, 256, qs + qk * b);
            for (int g = 0; g < 16; ++g)
                bsums[16 * b + g] = static_cast<int16_t>(sum_of(qs + qk * b + 16 * g, 16));
        }
        return;
    }
    auto* bias = const_cast<int32_t*>(row.bias);
    const int offset = act_offset(wtype);
    int8_t q[32];
    for (int64_t b = 0; b < nb; ++b) {
        d[b] = quantize_block(x + qk * b, 32, q);
        bias[b] = -offset * sum_of(q, 32);
        for (int e = 0; e < 32; ++e)
            qs[layout == act_layout::rows_q4_pairs ? q4_pair_index(b, nb, e) : 32 * b + e] = q[e];
    }
}

}  // namespace

void quantize_act_q8_0(const float* x, int64_t n, int offset, act_q8_0* out) {
    for (int64_t b = 0; b < n / 32; ++b) quantize_block_q8_0(x + 32 * b, offset, out[b]);
}

void quantize_act_q8_k(const float* x, int64_t n, act_q8_k* out) {
    for (int64_t b = 0; b < n / 256; ++b) quantize_block_q8_k(x + 256 * b, out[b]);
}

namespace detail {

void quantize_act(ggml_type wtype, act_layout layout, const float* x, int64_t n_in,
                  int64_t n_tokens, uint8_t* out, int64_t t0, int64_t t1) {
    if (layout != act_layout::tiles) {
        const size_t row = act_row_bytes(wtype, n_in);
        for (int64_t t = t0; t < t1; ++t)
            quantize_row(wtype, layout, x + t * n_in, n_in, out + t * row);
        return;
    }
    const bool k = is_kquant(wtype);
    const int64_t qk = act_block_size(wtype), nb = n_in / qk, tile = gemm_tokens;
    const size_t blk = k ? sizeof(act_q8_k) : sizeof(act_q8_0);
    const int offset = act_offset(wtype);
    for (int64_t t = t0; t < t1; ++t) {
        uint8_t* base = out + (t / tile) * tile * nb * blk + (t % tile) * blk;
        for (int64_t b = 0; b < nb; ++b) {
            uint8_t* dst = base + b * tile * blk;
            if (t >= n_tokens) {
                std::memset(dst, 0, blk);
            } else if (k) {
                quantize_block_q8_k(x + t * n_in + b * qk, *reinterpret_cast<act_q8_k*>(dst));
            } else {
                quantize_block_q8_0(x + t * n_in + b * qk, offset,
                                    *reinterpret_cast<act_q8_0*>(dst));
            }
        }
    }
}

}  // namespace detail

}  // namespace prism::kernels

#ifdef PRISM_X86
PRISM_TARGET_AVX2_BEGIN

namespace prism::kernels {

namespace {

float quantize_block_avx2(const float* x, int n, int8_t* q) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < n; i += 8)  // max(v, m): a NaN v leaves m, as std::max(amax, v) does
        m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), abs_mask), m);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    const float d = _mm_cvtss_f32(h) / 127.0f;
    const __m256 id = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    const __m256i magic_bits = _mm256_set1_epi32(0x4B400000);
    auto quant = [&](const float* p) {  // round_even(x · id) as int32
        const __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(p), id), magic);
        return _mm256_sub_epi32(_mm256_castps_si256(v), magic_bits);
    };
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int i = 0; i < n; i += 32) {
        const __m256i ab = _mm256_packs_epi32(quant(x + i), quant(x + i + 8));
        const __m256i cd = _mm256_packs_epi32(quant(x + i + 16), quant(x + i + 24));
        __m256i b = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), order);
        b = _mm256_max_epi8(b, _mm256_set1_epi8(-127));  // packing saturated at 127 / -128
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), b);
    }
    return d;
}

}  // namespace

}  // namespace prism::kernels

PRISM_TARGET_END
#endif
