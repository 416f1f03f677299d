// Activation quantization for the quantized matmul (formats in matmul_quant.h): symmetric
// 8-bit blocks, d = max|x| / 127, q = round-half-even(x · (1 / d)), as ggml's Q8_0 / Q8_K
// (which round half away from zero in scalar code and half-even in SIMD code; the
// difference is below the d / 2 error bound either way). One scalar implementation serves
// every instruction-set level, so all kernels see bit-identical activations.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "quant_impl.h"

namespace prism::kernels {

using namespace detail;

namespace {

/// Round to nearest, ties to even, for |v| < 2^22 (adding 1.5 · 2^23 leaves the integer in
/// the low mantissa bits; plain arithmetic, so the loops below vectorize).
inline int32_t round_even(float v) {
    return std::bit_cast<int32_t>(v + 12582912.0f) - 0x4B400000;
}

/// n (<= 256) activations to int8; returns the scale d.
float quantize_block(const float* x, int n, int8_t* q) {
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < n; ++i)
        q[i] = static_cast<int8_t>(std::clamp(round_even(x[i] * id), -127, 127));
    return d;
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
