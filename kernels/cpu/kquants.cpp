// Scalar reference (de)quantization of the K-quant formats Q4_K, Q5_K and Q6_K (layouts in
// kquants.h). These are the definitions the integer matmul kernels (matmul_quant.h) are tested
// against, and what `prism quantize` writes.
//
// Source: ggml-quants.c's reference quantizers (quantize_row_q{4,5,6}_K_ref), which
// llama-quantize uses when no importance matrix is given. Q4_K/Q5_K fit each 32-element
// sub-block with an asymmetric scale and min by weighted least squares over a few stretched
// grids (weights |x| + rms(sub-block), so large values count more); the 8 scales and 8 mins
// are then quantized to 6 bits against f16 super-scales, and the elements re-rounded with
// the stored scales. Q6_K fits each 16-element sub-block with a symmetric scale (weights x²,
// 19 grid stretches), quantizes the 16 scales to int8 against an f16 super-scale, and
// re-rounds. Float operations keep ggml's order so the bytes should agree with llama.cpp's
// (one deliberate difference: a sub-block scale that rounds below 0 is stored as 0, where
// ggml's uint8_t conversion would wrap it; the fits never produce one in practice).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "kquants_fit.h"
#include "prism/kernels/cpu_features.h"
#include "prism/kernels/dtype.h"

namespace prism::kernels {

namespace {

// Scale and min of sub-blocks 2c and 2c + 1 (each 32 values) of a Q4_K / Q5_K super-block,
// already multiplied by the super-block's d and dmin.
struct sub_block_scales {
    float d1, m1, d2, m2;
};
sub_block_scales sub_block_pair(const uint8_t* scales, int c, float d, float dmin) {
    uint8_t sc1, mn1, sc2, mn2;
    get_scale_min_k4(2 * c, scales, sc1, mn1);
    get_scale_min_k4(2 * c + 1, scales, sc2, mn2);
    return {d * sc1, dmin * mn1, d * sc2, dmin * mn2};
}

constexpr float group_max_eps = 1e-15f;  // below this a sub-block counts as all zero

// Round to nearest, ties to even, for |x| < 2^22: adding 1.5 · 2^23 leaves the integer in
// the low mantissa bits (ggml's nearest_int; no UB for NaN or out-of-range inputs).
inline int nearest_int(float x) {
    const float v = x + 12582912.0f;
    return static_cast<int>(std::bit_cast<uint32_t>(v) & 0x007fffffu) - 0x00400000;
}

/// Asymmetric fit x ≈ scale · L - the_min, L in [0, nmax], minimizing Σ w (error)²: the
/// min/max grid first, then nstep + 1 grids stretched by rmin + rdelta · is steps, each with
/// scale and min solved in closed form; the best fit wins. Returns scale (>= 0), sets the_min
/// (>= 0) and L. ggml: make_qkx2_quants (use_mad = false).
float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* L, float& the_min,
                    uint8_t* Laux, float rmin, float rdelta, int nstep) {
    float min = x[0], max = x[0];
    float sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        min = std::min(min, x[i]);
        max = std::max(max, x[i]);
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        std::fill(L, L + n, uint8_t{0});
        the_min = -min;
        return 0.0f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        L[i] = static_cast<uint8_t>(std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax));
        const float diff = scale * L[i] + min - x[i];
        best_error += w[i] * diff * diff;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = static_cast<uint8_t>(l);
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        const float det = sum_w * sum_l2 - sum_l * sum_l;
        if (!(det > 0)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
        if (this_min > 0) {
            this_min = 0;
            this_scale = sum_xl / sum_l2;
        }
        float error = 0;
        for (int i = 0; i < n; ++i) {
            const float diff = this_scale * Laux[i] + this_min - x[i];
            error += w[i] * diff * diff;
        }
        if (error < best_error) {
            std::copy(Laux, Laux + n, L);
            best_error = error;
            scale = this_scale;
            min = this_min;
        }
    }
    the_min = -min;
    return scale;
}

/// Symmetric fit x ≈ scale · (L - nmax), L - nmax in [-nmax, nmax - 1], weights x²: the
/// grid that sends the largest magnitude to -nmax, then 18 stretched grids; the one with
/// the best least-squares scale wins. ggml: make_qx_quants (rmse_type 1, no weights).
float fit_symmetric_scale(int n, int nmax, const float* x, int8_t* L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    }
    if (amax < group_max_eps) {
        std::fill(L, L + n, int8_t{0});
        return 0.0f;
    }
    auto level = [&](float iscale, int i) {
        return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    };
    float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = level(iscale, i);
        L[i] = static_cast<int8_t>(l + nmax);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = level(iscale, i);
            const float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(level(iscale, i) + nmax);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/// The weights of a Q4_K/Q5_K sub-block's fit: rms(sub-block) + |x|.
void sub_block_weights(const float* xs, float* w) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) w[l] = av_x + std::fabs(xs[l]);
}

/// The rest of a Q4_K/Q5_K super-block once its 8 sub-blocks are fitted (scales, mins):
/// stores the 6-bit scales and mins with their f16 super-scales (d, dmin, packed), and
/// leaves in L the final quants in [0, nmax] computed with the stored values (L holds the
/// fits' levels on entry; a sub-block whose stored scale is 0 keeps them).
void finish_superblock_k4(const float* x, int nmax, const float* scales, const float* mins,
                          uint16_t& d_out, uint16_t& dmin_out, uint8_t* packed, uint8_t* L) {
    float max_scale = 0, max_min = 0;  // scales and mins are >= 0 (the min is subtracted)
    for (int j = 0; j < 8; ++j) {
        max_scale = std::max(max_scale, scales[j]);
        max_min = std::max(max_min, mins[j]);
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        ls[j] = static_cast<uint8_t>(std::clamp(nearest_int(inv_scale * scales[j]), 0, 63));
        lm[j] = static_cast<uint8_t>(std::clamp(nearest_int(inv_min * mins[j]), 0, 63));
    }
    for (int j = 0; j < 4; ++j) {
        packed[j] = static_cast<uint8_t>(ls[j] | ((ls[j + 4] >> 4) << 6));
        packed[j + 4] = static_cast<uint8_t>(lm[j] | ((lm[j + 4] >> 4) << 6));
        packed[j + 8] = static_cast<uint8_t>((ls[j + 4] & 0x0f) | ((lm[j + 4] & 0x0f) << 4));
    }
    d_out = fp32_to_fp16(max_scale / 63.f);
    dmin_out = fp32_to_fp16(max_min / 63.f);
    const float d = fp16_to_fp32(d_out), dmin = fp16_to_fp32(dmin_out);
    for (int j = 0; j < 8; ++j) {
        const float ds = d * ls[j];
        if (ds == 0) continue;  // keep the fit's levels; they dequantize to -dmin · m anyway
        const float dm = dmin * lm[j];
        for (int l = 0; l < 32; ++l)
            L[32 * j + l] =
                static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + l] + dm) / ds), 0, nmax));
    }
}

/// Grid-search settings of the Q4_K / Q5_K fits (ggml's quantize_row_q{4,5}_K_ref).
struct k4_fit {
    int nmax;
    float rmin, rdelta;
    int nstep;
};
constexpr k4_fit q4_k_fit{15, -1.0f, 0.1f, 20};
constexpr k4_fit q5_k_fit{31, -0.5f, 0.1f, 15};

/// Quantizes the n / 256 super-blocks of a row into dst: d, dmin and the packed sub-block
/// scales directly, the levels L (256 each, in [0, nmax]) through pack_quants(block, L),
/// which knows the type's bit planes. With `fast`, the sub-block fits run 16 at a time (two
/// super-blocks) through fit_scale_min_x16 (AVX-512), which does the same float operations
/// in the same order as fit_scale_min, so the bytes are the same.
template <class Block, class Pack>
void quantize_row_k4(const float* src, Block* dst, int64_t n, const k4_fit& f, bool fast,
                     Pack pack_quants) {
    const int64_t n_super = n / qk_k;
    constexpr int group = 2;  // super-blocks per vector fit: 16 sub-blocks
    for (int64_t b0 = 0; b0 < n_super; b0 += group) {
        const int count = static_cast<int>(std::min<int64_t>(group, n_super - b0));
        const float* x = src + b0 * qk_k;
        float scales[8 * group], mins[8 * group], weights[qk_k * group];
        uint8_t L[qk_k * group];
        for (int j = 0; j < 8 * count; ++j) sub_block_weights(x + 32 * j, weights + 32 * j);
#ifdef PRISM_X86
        if (fast) {
            alignas(64) float xt[32 * 16] = {}, wt[32 * 16] = {};  // [element][sub-block]
            for (int j = 0; j < 8 * count; ++j)
                for (int l = 0; l < 32; ++l) {
                    xt[16 * l + j] = x[32 * j + l];
                    wt[16 * l + j] = weights[32 * j + l];
                }
            uint8_t lt[16 * 32];
            float sc[16], mn[16];
            detail::fit_scale_min_x16(xt, wt, f.nmax, f.rmin, f.rdelta, f.nstep, lt, sc, mn);
            std::copy(lt, lt + 32 * 8 * count, L);
            std::copy(sc, sc + 8 * count, scales);
            std::copy(mn, mn + 8 * count, mins);
        }
#endif
        if (!fast) {
            uint8_t Laux[32];
            for (int j = 0; j < 8 * count; ++j)
                scales[j] = fit_scale_min(32, f.nmax, x + 32 * j, weights + 32 * j, L + 32 * j,
                                          mins[j], Laux, f.rmin, f.rdelta, f.nstep);
        }
        for (int k = 0; k < count; ++k) {
            Block& blk = dst[b0 + k];
            finish_superblock_k4(x + qk_k * k, f.nmax, scales + 8 * k, mins + 8 * k, blk.d,
                                 blk.dmin, blk.scales, L + qk_k * k);
            pack_quants(blk, L + qk_k * k);
        }
    }
}

void quantize_q4_k(const float* src, block_q4_k* dst, int64_t n, bool fast) {
    quantize_row_k4(src, dst, n, q4_k_fit, fast, [](block_q4_k& blk, const uint8_t* L) {
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l)
                blk.qs[32 * c + l] =
                    static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    });
}

void quantize_q5_k(const float* src, block_q5_k* dst, int64_t n, bool fast) {
    quantize_row_k4(src, dst, n, q5_k_fit, fast, [](block_q5_k& blk, const uint8_t* L) {
        std::memset(blk.qh, 0, sizeof(blk.qh));
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l) {
                const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                blk.qs[32 * c + l] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
                blk.qh[l] |=
                    static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
    });
}

bool has_fast_fit() {
#ifdef PRISM_X86
    return cpu_caps().avx512;
#else
    return false;
#endif
}

}  // namespace

void dequantize_row_q4_k_ref(const block_q4_k* src, float* dst, int64_t n) {
    for (int64_t b = 0; b < n / qk_k; ++b) {
        const block_q4_k& blk = src[b];
        const float d = fp16_to_fp32(blk.d), dmin = fp16_to_fp32(blk.dmin);
        float* y = dst + b * qk_k;
        for (int c = 0; c < 4; ++c) {  // 64 elements: sub-blocks 2c (low nibbles), 2c + 1
            const auto [d1, m1, d2, m2] = sub_block_pair(blk.scales, c, d, dmin);
            const uint8_t* q = blk.qs + 32 * c;
            for (int l = 0; l < 32; ++l) y[64 * c + l] = d1 * (q[l] & 0x0f) - m1;
            for (int l = 0; l < 32; ++l) y[64 * c + 32 + l] = d2 * (q[l] >> 4) - m2;
        }
    }
}

void dequantize_row_q5_k_ref(const block_q5_k* src, float* dst, int64_t n) {
    for (int64_t b = 0; b < n / qk_k; ++b) {
        const block_q5_k& blk = src[b];
        const float d = fp16_to_fp32(blk.d), dmin = fp16_to_fp32(blk.dmin);
        float* y = dst + b * qk_k;
        for (int c = 0; c < 4; ++c) {
            const auto [d1, m1, d2, m2] = sub_block_pair(blk.scales, c, d, dmin);
            const uint8_t* q = blk.qs + 32 * c;
            const auto u1 = static_cast<uint8_t>(1u << (2 * c)), u2 = static_cast<uint8_t>(u1 << 1);
            for (int l = 0; l < 32; ++l)
                y[64 * c + l] = d1 * ((q[l] & 0x0f) + (blk.qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l)
                y[64 * c + 32 + l] = d2 * ((q[l] >> 4) + (blk.qh[l] & u2 ? 16 : 0)) - m2;
        }
    }
}

void dequantize_row_q6_k_ref(const block_q6_k* src, float* dst, int64_t n) {
    for (int64_t b = 0; b < n / qk_k; ++b) {
        const block_q6_k& blk = src[b];
        const float d = fp16_to_fp32(blk.d);
        for (int h = 0; h < 2; ++h) {  // halves of 128 elements
            const uint8_t* ql = blk.ql + 64 * h;
            const uint8_t* qh = blk.qh + 32 * h;
            const int8_t* sc = blk.scales + 8 * h;
            float* y = dst + b * qk_k + 128 * h;
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * sc[is + 0] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

void quantize_row_q4_k_ref(const float* src, block_q4_k* dst, int64_t n) {
    quantize_q4_k(src, dst, n, false);
}

void quantize_row_q5_k_ref(const float* src, block_q5_k* dst, int64_t n) {
    quantize_q5_k(src, dst, n, false);
}

void quantize_row_q4_k(const float* src, block_q4_k* dst, int64_t n) {
    quantize_q4_k(src, dst, n, has_fast_fit());
}

void quantize_row_q5_k(const float* src, block_q5_k* dst, int64_t n) {
    quantize_q5_k(src, dst, n, has_fast_fit());
}

namespace {

// Q6_K: with `fast`, the 16 sub-block fits of a super-block run in the lanes of one
// fit_symmetric_scale_x16 call (AVX-512), bit-identical to fit_symmetric_scale.
void quantize_q6_k(const float* src, block_q6_k* dst, int64_t n, bool fast) {
    int8_t L[qk_k];
    float scales[qk_k / 16];
    for (int64_t b = 0; b < n / qk_k; ++b) {
        const float* x = src + b * qk_k;
        block_q6_k& blk = dst[b];
#ifdef PRISM_X86
        if (fast) {
            alignas(64) float xt[16 * 16];  // [element][sub-block]
            for (int s = 0; s < 16; ++s)
                for (int l = 0; l < 16; ++l) xt[16 * l + s] = x[16 * s + l];
            detail::fit_symmetric_scale_x16(xt, 32, L, scales);
        }
#endif
        if (!fast)
            for (int s = 0; s < qk_k / 16; ++s)
                scales[s] = fit_symmetric_scale(16, 32, x + 16 * s, L + 16 * s);
        float max_scale = 0, max_abs_scale = 0;
        for (int s = 0; s < qk_k / 16; ++s) {
            if (std::fabs(scales[s]) > max_abs_scale) {
                max_abs_scale = std::fabs(scales[s]);
                max_scale = scales[s];
            }
        }
        if (max_abs_scale < group_max_eps) {
            std::memset(&blk, 0, sizeof(blk));  // all zero: d = 0 (f16 +0)
            continue;
        }
        const float iscale = -128.f / max_scale;
        blk.d = fp32_to_fp16(1 / iscale);
        for (int s = 0; s < qk_k / 16; ++s)
            blk.scales[s] =
                static_cast<int8_t>(std::clamp(nearest_int(iscale * scales[s]), -128, 127));
        const float d = fp16_to_fp32(blk.d);
        for (int s = 0; s < qk_k / 16; ++s) {
            const float ds = d * blk.scales[s];
            if (ds == 0) continue;
            for (int l = 0; l < 16; ++l)
                L[16 * s + l] =
                    static_cast<int8_t>(std::clamp(nearest_int(x[16 * s + l] / ds), -32, 31) + 32);
        }
        for (int h = 0; h < 2; ++h) {
            const int8_t* q = L + 128 * h;
            for (int l = 0; l < 32; ++l) {
                const int q1 = q[l], q2 = q[l + 32], q3 = q[l + 64], q4 = q[l + 96];
                blk.ql[64 * h + l] = static_cast<uint8_t>((q1 & 0x0f) | ((q3 & 0x0f) << 4));
                blk.ql[64 * h + 32 + l] = static_cast<uint8_t>((q2 & 0x0f) | ((q4 & 0x0f) << 4));
                blk.qh[32 * h + l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) |
                                                          ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }
}

}  // namespace

void quantize_row_q6_k_ref(const float* src, block_q6_k* dst, int64_t n) {
    quantize_q6_k(src, dst, n, false);
}

void quantize_row_q6_k(const float* src, block_q6_k* dst, int64_t n) {
    quantize_q6_k(src, dst, n, has_fast_fit());
}

}  // namespace prism::kernels
