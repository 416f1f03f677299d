// Element types (kernels/dtype.h) checked against the formats' definitions written out
// independently here: binary16 and bfloat16 decoded from sign/exponent/mantissa with ldexp,
// Q8_0 and Q4_0 blocks assembled byte by byte from the GGUF/ggml layout, fp32→fp16/bf16
// rounding compared with a nearest-value search, and quantize→dequantize error bounds.
// Sources: IEEE 754-2008 binary16; bfloat16 (upper half of binary32); ggml-common.h blocks.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "prism/kernels/dtype.h"

using namespace prism::kernels;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
double half_formula(uint16_t h) {
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    const int e = (h >> 10) & 0x1f;
    const int m = h & 0x3ff;
    if (e == 0x1f) return m ? nan_v : sign * inf_v;
    if (e == 0) return sign * std::ldexp(m, -24);  // subnormal: m · 2^-14 / 2^10
    return sign * std::ldexp(1024 + m, e - 25);    // (1 + m/2^10) · 2^(e-15)
}

// bfloat16: 1 sign, 8 exponent (bias 127), 7 mantissa bits.
double bf16_formula(uint16_t h) {
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    const int e = (h >> 7) & 0xff;
    const int m = h & 0x7f;
    if (e == 0xff) return m ? nan_v : sign * inf_v;
    if (e == 0) return sign * std::ldexp(m, -133);
    return sign * std::ldexp(128 + m, e - 134);
}

void expect_same_float(float got, double want, const std::string& what) {
    if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << what;
        return;
    }
    EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(static_cast<float>(want)))
        << what << ": got " << got << ", want " << want;
}

/// Nearest representable value among the non-negative codes [0, top) of a format whose
/// magnitude grows with the code; code `top` stands for the overflow threshold value
/// `top_value` (infinity's place for rounding). Ties go to the even code.
template <class Decode>
uint16_t nearest_code(double x, uint16_t top, double top_value, Decode decode) {
    const auto value_of = [&](uint32_t c) { return c == top ? top_value : decode(uint16_t(c)); };
    uint32_t lo = 0, hi = top;  // find the largest code with value <= x
    while (lo < hi) {
        const uint32_t mid = (lo + hi + 1) / 2;
        if (value_of(mid) <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo == top) return top;
    const double below = x - value_of(lo), above = value_of(lo + 1) - x;
    if (below < above) return static_cast<uint16_t>(lo);
    if (above < below) return static_cast<uint16_t>(lo + 1);
    return static_cast<uint16_t>(lo % 2 == 0 ? lo : lo + 1);
}

uint16_t expected_fp16(float f) {
    if (std::isnan(f)) return 0x7e00;
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const double a = std::fabs(static_cast<double>(f));
    if (std::isinf(a)) return sign | 0x7c00;
    return sign | nearest_code(a, 0x7c00, 65536.0, half_formula);
}

uint16_t expected_bf16(float f) {
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const double a = std::fabs(static_cast<double>(f));
    if (std::isinf(a)) return sign | 0x7f80;
    return sign | nearest_code(a, 0x7f80, std::ldexp(1.0, 128), bf16_formula);
}

float random_float(std::mt19937& rng, int min_exp, int max_exp) {
    std::uniform_int_distribution<int> e(min_exp, max_exp);
    std::uniform_real_distribution<float> m(1.0f, 2.0f);
    const float v = std::ldexp(m(rng), e(rng));
    return rng() % 2 ? -v : v;
}

uint16_t random_finite_half(std::mt19937& rng) {
    for (;;) {
        const auto h = static_cast<uint16_t>(rng());
        if (((h >> 10) & 0x1f) != 0x1f) return h;
    }
}

}  // namespace

TEST(dtype, traits_and_row_sizes) {
    EXPECT_EQ(type_info(ggml_type::q8_0).block_size, 32);
    EXPECT_EQ(type_info(ggml_type::q8_0).type_size, 34u);
    EXPECT_EQ(row_size(ggml_type::q8_0, 64), 68u);
    EXPECT_EQ(row_size(ggml_type::q4_0, 32), 18u);
    EXPECT_EQ(row_size(ggml_type::f16, 3), 6u);
    EXPECT_EQ(row_size(ggml_type::q6_k, 512), 420u);
    EXPECT_EQ(type_name(ggml_type::bf16), "bf16");
    EXPECT_FALSE(type_info(uint32_t{4}).has_value());  // removed Q4_2
    EXPECT_FALSE(type_info(uint32_t{1000}).has_value());
}

TEST(dtype, f16_dequantization_matches_the_formula_for_every_code) {
    std::vector<uint16_t> codes(65536);
    for (uint32_t i = 0; i < 65536; ++i) codes[i] = static_cast<uint16_t>(i);
    std::vector<float> out(codes.size());
    dequantize_row_ref(ggml_type::f16, codes.data(), out.data(), 65536);
    for (uint32_t i = 0; i < 65536; ++i) {
        expect_same_float(out[i], half_formula(codes[i]), "f16 code " + std::to_string(i));
        expect_same_float(fp16_to_fp32(codes[i]), half_formula(codes[i]), "fp16_to_fp32");
    }
}

TEST(dtype, bf16_dequantization_matches_the_formula_for_every_code) {
    std::vector<uint16_t> codes(65536);
    for (uint32_t i = 0; i < 65536; ++i) codes[i] = static_cast<uint16_t>(i);
    std::vector<float> out(codes.size());
    dequantize_row_ref(ggml_type::bf16, codes.data(), out.data(), 65536);
    for (uint32_t i = 0; i < 65536; ++i)
        expect_same_float(out[i], bf16_formula(codes[i]), "bf16 code " + std::to_string(i));
}

TEST(dtype, q8_0_dequantization_matches_the_block_layout) {
    std::mt19937 rng(8);
    constexpr int n_blocks = 64;
    std::vector<uint8_t> raw(n_blocks * 34);
    std::vector<float> want(n_blocks * 32);
    for (int b = 0; b < n_blocks; ++b) {
        uint8_t* blk = raw.data() + b * 34;
        const uint16_t d = random_finite_half(rng);
        blk[0] = static_cast<uint8_t>(d & 0xff);  // f16 scale, little-endian
        blk[1] = static_cast<uint8_t>(d >> 8);
        for (int j = 0; j < 32; ++j) {
            const auto q = static_cast<int8_t>(rng());
            blk[2 + j] = static_cast<uint8_t>(q);
            want[b * 32 + j] = static_cast<float>(half_formula(d)) * static_cast<float>(q);
        }
    }
    std::vector<float> got(want.size());
    dequantize_row_ref(ggml_type::q8_0, raw.data(), got.data(), n_blocks * 32);
    for (size_t i = 0; i < got.size(); ++i)
        expect_same_float(got[i], want[i], "q8_0 element " + std::to_string(i));
}

TEST(dtype, q4_0_dequantization_matches_the_block_layout) {
    std::mt19937 rng(4);
    constexpr int n_blocks = 64;
    std::vector<uint8_t> raw(n_blocks * 18);
    std::vector<float> want(n_blocks * 32);
    for (int b = 0; b < n_blocks; ++b) {
        uint8_t* blk = raw.data() + b * 18;
        const uint16_t d = random_finite_half(rng);
        blk[0] = static_cast<uint8_t>(d & 0xff);
        blk[1] = static_cast<uint8_t>(d >> 8);
        const float scale = static_cast<float>(half_formula(d));
        for (int j = 0; j < 16; ++j) {
            const int lo = static_cast<int>(rng() % 16), hi = static_cast<int>(rng() % 16);
            blk[2 + j] = static_cast<uint8_t>(lo | (hi << 4));
            // Element j is the low nibble of byte j, element j + 16 its high nibble.
            want[b * 32 + j] = scale * static_cast<float>(lo - 8);
            want[b * 32 + j + 16] = scale * static_cast<float>(hi - 8);
        }
    }
    std::vector<float> got(want.size());
    dequantize_row_ref(ggml_type::q4_0, raw.data(), got.data(), n_blocks * 32);
    for (size_t i = 0; i < got.size(); ++i)
        expect_same_float(got[i], want[i], "q4_0 element " + std::to_string(i));
}

TEST(dtype, fp32_to_fp16_special_values) {
    EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
    EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
    EXPECT_EQ(fp32_to_fp16(-2.0f), 0xc000);
    EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);  // largest finite half
    EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7bff);  // below the midpoint to 2^16
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // midpoint: ties to even = overflow
    EXPECT_EQ(fp32_to_fp16(1e10f), 0x7c00);
    EXPECT_EQ(fp32_to_fp16(-1e10f), 0xfc00);
    EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7c00);
    EXPECT_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xfc00);
    const uint16_t nan = fp32_to_fp16(std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(nan & 0x7c00, 0x7c00);
    EXPECT_NE(nan & 0x03ff, 0);
    // Subnormals.
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);     // smallest normal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1023.0f, -24)), 0x03ff);  // largest subnormal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);     // smallest subnormal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);     // tie -> even (0)
    EXPECT_EQ(fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);     // tie -> even (2)
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -26)), 0x0000);     // underflow
    EXPECT_EQ(fp32_to_fp16(-std::ldexp(1.0f, -24)), 0x8001);
    // Rounding of normals: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
    EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
    EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
    EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
    EXPECT_EQ(fp32_to_fp16(2047.5f), 0x67ff + 1);  // 2047.5 rounds to 2048 (even)
}

TEST(dtype, fp16_round_trip_is_exact_for_every_code) {
    for (uint32_t i = 0; i < 65536; ++i) {
        const auto h = static_cast<uint16_t>(i);
        const uint16_t back = fp32_to_fp16(fp16_to_fp32(h));
        if (std::isnan(half_formula(h))) {
            EXPECT_TRUE((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0) << i;
        } else {
            EXPECT_EQ(back, h) << i;
        }
    }
}

TEST(dtype, fp32_to_fp16_rounds_to_nearest_even) {
    std::mt19937 rng(16);
    for (int i = 0; i < 20000; ++i) {
        const float f = random_float(rng, -27, 17);  // subnormal to overflow range
        ASSERT_EQ(fp32_to_fp16(f), expected_fp16(f)) << "f = " << f;
    }
    // Exact midpoints between neighbouring halves.
    for (int i = 0; i < 2000; ++i) {
        const uint16_t h = random_finite_half(rng) & 0x7fff;
        if (h == 0x7bff) continue;
        const float mid = static_cast<float>((half_formula(h) + half_formula(h + 1)) / 2);
        ASSERT_EQ(fp32_to_fp16(mid), expected_fp16(mid)) << "h = " << h;
        ASSERT_EQ(fp32_to_fp16(mid) % 2, 0) << "h = " << h;
    }
}

TEST(dtype, fp32_to_bf16_rounds_to_nearest_even) {
    std::mt19937 rng(30);
    for (int i = 0; i < 20000; ++i) {
        const float f = i % 10 == 0
                            ? std::bit_cast<float>(static_cast<uint32_t>(rng()) & 0x807fffffu)
                            : random_float(rng, -140, 127);
        if (std::isnan(f)) continue;
        ASSERT_EQ(fp32_to_bf16(f), expected_bf16(f)) << "f = " << f;
    }
    EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds to inf
    const uint16_t nan = fp32_to_bf16(std::numeric_limits<float>::quiet_NaN());
    EXPECT_TRUE(std::isnan(bf16_to_fp32(nan)));
    EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::bit_cast<float>(0x7f800001u)))));
}

TEST(dtype, q8_0_round_trip_error_is_at_most_half_a_step) {
    std::mt19937 rng(80);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    constexpr int n = 32 * 256;
    std::vector<float> x(n), y(n);
    for (int i = 0; i < n; ++i)
        x[i] = dist(rng) * (1 + i / 32 % 7) * (i / 32 % 5 == 0 ? 1e-3f : 1.f);
    std::vector<uint8_t> q(row_size(ggml_type::q8_0, n));
    quantize_row_ref(ggml_type::q8_0, x.data(), q.data(), n);
    dequantize_row_ref(ggml_type::q8_0, q.data(), y.data(), n);
    for (int b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
        const double d = amax / 127.0;  // the exact step
        const double d_stored = half_formula(static_cast<uint16_t>(q[b * 34] | q[b * 34 + 1] << 8));
        // Half a step, plus what rounding the scale to f16 costs at |q| <= 127.
        const double bound = d / 2 + 127 * std::fabs(d - d_stored) + 1e-6 * amax;
        for (int j = 0; j < 32; ++j) {
            const int i = b * 32 + j;
            ASSERT_LE(std::fabs(x[i] - y[i]), bound) << "block " << b << " element " << j;
            // In quantized units the error is at most 0.5 (the rounding to an integer).
            const auto qi = static_cast<int8_t>(q[b * 34 + 2 + j]);
            ASSERT_LE(std::fabs(x[i] / d - qi), 0.5 + 1e-4) << "block " << b;
        }
    }
}

TEST(dtype, q4_0_round_trip_error_is_bounded) {
    std::mt19937 rng(40);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    constexpr int n = 32 * 256;
    std::vector<float> x(n), y(n);
    for (int i = 0; i < n; ++i) x[i] = dist(rng) * (1 + i / 32 % 9);
    std::vector<uint8_t> q(row_size(ggml_type::q4_0, n));
    quantize_row_ref(ggml_type::q4_0, x.data(), q.data(), n);
    dequantize_row_ref(ggml_type::q4_0, q.data(), y.data(), n);
    double total_sq = 0, total_ref = 0;
    for (int b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
        const double d = amax / 8.0;  // |scale|: the largest magnitude maps to -8
        const double d_stored =
            std::fabs(half_formula(static_cast<uint16_t>(q[b * 18] | q[b * 18 + 1] << 8)));
        const double slack = 8 * std::fabs(d - d_stored) + 1e-6 * amax;
        for (int j = 0; j < 32; ++j) {
            const int i = b * 32 + j;
            const uint8_t byte = q[b * 18 + 2 + j % 16];
            const int code = j < 16 ? byte & 0x0f : byte >> 4;
            // Half a step, except at the top code 15 where values up to +8 steps clamp.
            const double bound = (code == 15 ? d : d / 2) + slack;
            ASSERT_LE(std::fabs(x[i] - y[i]), bound) << "block " << b << " element " << j;
            total_sq += (x[i] - y[i]) * (x[i] - y[i]);
            total_ref += x[i] * x[i];
        }
    }
    EXPECT_LT(total_sq / total_ref, 0.01);  // normalized MSE of 4-bit quantization
}
