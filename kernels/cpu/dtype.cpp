// Scalar reference conversions for the element types in dtype.h. These are the "slow
// twins" the SIMD kernels are tested against; they follow ggml's rounding exactly so that
// files quantized here and by llama.cpp agree bit for bit. The K-quants' conversions live
// in kquants.cpp; the switches below dispatch to them.
#include "prism/kernels/dtype.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace prism::kernels {

namespace {

struct entry {
    uint32_t id;
    type_traits traits;
};

constexpr std::array<entry, 20> table{{
    {0, {"f32", 1, 4, true}},       {1, {"f16", 1, 2, true}},
    {2, {"q4_0", 32, 18, true}},    {3, {"q4_1", 32, 20, false}},
    {6, {"q5_0", 32, 22, false}},   {7, {"q5_1", 32, 24, false}},
    {8, {"q8_0", 32, 34, true}},    {9, {"q8_1", 32, 36, false}},
    {10, {"q2_k", 256, 84, false}}, {11, {"q3_k", 256, 110, false}},
    {12, {"q4_k", 256, 144, true}}, {13, {"q5_k", 256, 176, true}},
    {14, {"q6_k", 256, 210, true}}, {15, {"q8_k", 256, 292, false}},
    {24, {"i8", 1, 1, false}},      {25, {"i16", 1, 2, false}},
    {26, {"i32", 1, 4, false}},     {27, {"i64", 1, 8, false}},
    {28, {"f64", 1, 8, false}},     {30, {"bf16", 1, 2, true}},
}};

}  // namespace

std::optional<type_traits> type_info(uint32_t raw_type) {
    for (const auto& e : table)
        if (e.id == raw_type) return e.traits;
    return std::nullopt;
}

type_traits type_info(ggml_type t) {
    auto info = type_info(static_cast<uint32_t>(t));
    if (!info) throw std::logic_error("type_info: unknown ggml_type");
    return *info;
}

std::string_view type_name(ggml_type t) {
    return type_info(t).name;
}

size_t row_size(ggml_type t, int64_t n) {
    const auto tr = type_info(t);
    return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {  // subnormal half: normalize
        int e = -1;
        do {
            ++e;
            mant <<= 1;
        } while ((mant & 0x400u) == 0);
        bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
    return std::bit_cast<float>(bits);
}

uint16_t fp32_to_fp16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t abs = x & 0x7fffffffu;
    if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
    if (abs < 0x38800000u) {                                               // subnormal or zero
        // Scale so the half subnormal unit becomes 1.0, then round to nearest even.
        const float scaled = std::bit_cast<float>(abs) * 16777216.0f;  // 2^24
        const auto q = static_cast<uint32_t>(std::nearbyint(scaled));
        return static_cast<uint16_t>(sign | q);
    }
    const uint32_t mant_round = abs + 0x0fffu + ((abs >> 13) & 1u);  // round to nearest even
    return static_cast<uint16_t>(sign | (((mant_round - 0x38000000u) >> 13) & 0x7fffu));
}

float bf16_to_fp32(uint16_t h) {
    return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

uint16_t fp32_to_bf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
    return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

void dequantize_row_ref(ggml_type t, const void* src, float* dst, int64_t n) {
    switch (t) {
    case ggml_type::f32:
        std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        return;
    case ggml_type::f16: {
        const auto* s = static_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(s[i]);
        return;
    }
    case ggml_type::bf16: {
        const auto* s = static_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(s[i]);
        return;
    }
    case ggml_type::q8_0: {
        const auto* b = static_cast<const block_q8_0*>(src);
        for (int64_t i = 0; i < n / qk8_0; ++i) {
            const float d = fp16_to_fp32(b[i].d);
            for (int64_t j = 0; j < qk8_0; ++j) dst[i * qk8_0 + j] = d * b[i].qs[j];
        }
        return;
    }
    case ggml_type::q4_0: {
        const auto* b = static_cast<const block_q4_0*>(src);
        for (int64_t i = 0; i < n / qk4_0; ++i) {
            const float d = fp16_to_fp32(b[i].d);
            for (int64_t j = 0; j < qk4_0 / 2; ++j) {
                dst[i * qk4_0 + j] = d * ((b[i].qs[j] & 0x0f) - 8);
                dst[i * qk4_0 + j + qk4_0 / 2] = d * ((b[i].qs[j] >> 4) - 8);
            }
        }
        return;
    }
    case ggml_type::q4_k:
        dequantize_row_q4_k_ref(static_cast<const block_q4_k*>(src), dst, n);
        return;
    case ggml_type::q5_k:
        dequantize_row_q5_k_ref(static_cast<const block_q5_k*>(src), dst, n);
        return;
    case ggml_type::q6_k:
        dequantize_row_q6_k_ref(static_cast<const block_q6_k*>(src), dst, n);
        return;
    default:
        throw std::invalid_argument("dequantize_row_ref: unsupported type " +
                                    std::string(type_name(t)));
    }
}

void quantize_row_ref(ggml_type t, const float* src, void* dst, int64_t n) {
    switch (t) {
    case ggml_type::f32:
        std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        return;
    case ggml_type::f16: {
        auto* d = static_cast<uint16_t*>(dst);
        for (int64_t i = 0; i < n; ++i) d[i] = fp32_to_fp16(src[i]);
        return;
    }
    case ggml_type::bf16: {
        auto* d = static_cast<uint16_t*>(dst);
        for (int64_t i = 0; i < n; ++i) d[i] = fp32_to_bf16(src[i]);
        return;
    }
    case ggml_type::q8_0: {
        auto* b = static_cast<block_q8_0*>(dst);
        for (int64_t i = 0; i < n / qk8_0; ++i) {
            const float* x = src + i * qk8_0;
            float amax = 0.0f;
            for (int64_t j = 0; j < qk8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
            const float d = amax / 127.0f;
            const float id = d != 0.0f ? 1.0f / d : 0.0f;
            b[i].d = fp32_to_fp16(d);
            for (int64_t j = 0; j < qk8_0; ++j)
                b[i].qs[j] = static_cast<int8_t>(std::lround(x[j] * id));
        }
        return;
    }
    case ggml_type::q4_0: {
        auto* b = static_cast<block_q4_0*>(dst);
        for (int64_t i = 0; i < n / qk4_0; ++i) {
            const float* x = src + i * qk4_0;
            float amax = 0.0f, max = 0.0f;  // max keeps the sign of the largest magnitude
            for (int64_t j = 0; j < qk4_0; ++j) {
                if (std::fabs(x[j]) > amax) {
                    amax = std::fabs(x[j]);
                    max = x[j];
                }
            }
            const float d = max / -8.0f;
            const float id = d != 0.0f ? 1.0f / d : 0.0f;
            b[i].d = fp32_to_fp16(d);
            for (int64_t j = 0; j < qk4_0 / 2; ++j) {
                const auto q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
                const auto q1 = std::min(15, static_cast<int>(x[j + qk4_0 / 2] * id + 8.5f));
                b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
            }
        }
        return;
    }
    case ggml_type::q4_k:
        quantize_row_q4_k_ref(src, static_cast<block_q4_k*>(dst), n);
        return;
    case ggml_type::q5_k:
        quantize_row_q5_k_ref(src, static_cast<block_q5_k*>(dst), n);
        return;
    case ggml_type::q6_k:
        quantize_row_q6_k_ref(src, static_cast<block_q6_k*>(dst), n);
        return;
    default:
        throw std::invalid_argument("quantize_row_ref: unsupported type " +
                                    std::string(type_name(t)));
    }
}

void quantize_row(ggml_type t, const float* src, void* dst, int64_t n) {
    switch (t) {
    case ggml_type::q4_k:
        return quantize_row_q4_k(src, static_cast<block_q4_k*>(dst), n);
    case ggml_type::q5_k:
        return quantize_row_q5_k(src, static_cast<block_q5_k*>(dst), n);
    case ggml_type::q6_k:
        return quantize_row_q6_k(src, static_cast<block_q6_k*>(dst), n);
    default:
        return quantize_row_ref(t, src, dst, n);
    }
}

}  // namespace prism::kernels
