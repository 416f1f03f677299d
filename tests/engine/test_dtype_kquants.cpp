// The K-quant formats (Q4_K, Q5_K, Q6_K) checked against their definitions written out
// independently here: random block bytes decoded field by field from the ggml-common.h
// layout (8 packed 6-bit scale/min pairs, nibble and high-bit planes), and the reference
// quantizers' round-trip error on Gaussian data.
//
// Error bounds (measured on 2^20 N(0, 1) values: normalized MSE 5.1e-3 for Q4_K, 1.3e-3 for
// Q5_K, 3.1e-4 for Q6_K; Q4_0 gives 7.4e-3 on the same data), asserted with margin:
//   Q4_K < 7e-3, Q5_K < 2e-3, Q6_K < 5e-4.
// Per element: a quant strictly inside its range is the nearest level of the stored
// sub-block scale, so its error is at most half a step (d · sc / 2, or |d · scale| / 2 for
// Q6_K); only clamped quants at the ends of the range may be off by more.
// Source: ggml-common.h (block_q4_K, block_q5_K, block_q6_K), ggml-quants.c.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "prism/kernels/dtype.h"

using namespace prism::kernels;

namespace {

double half_value(uint16_t h) {  // binary16 by sign/exponent/mantissa (finite codes only)
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    return e == 0 ? sign * std::ldexp(m, -24) : sign * std::ldexp(1024 + m, e - 25);
}

uint16_t random_finite_half(std::mt19937& rng) {
    for (;;) {
        const auto h = static_cast<uint16_t>(rng());
        if (((h >> 10) & 0x1f) != 0x1f) return h;
    }
}

uint16_t read_u16(const uint8_t* p) {  // little-endian
    return static_cast<uint16_t>(p[0] | p[1] << 8);
}

// Sub-block j's 6-bit scale and min from the 12 packed bytes: bytes 0-3 hold scales 0-3 in
// bits 0-5, bytes 4-7 mins 0-3; scales/mins 4-7 keep their low 4 bits in the low/high
// nibble of bytes 8-11 and their top 2 bits in bits 6-7 of bytes 0-3 (scales) / 4-7 (mins).
void scale_and_min(const uint8_t* s, int j, int& sc, int& m) {
    if (j < 4) {
        sc = s[j] % 64;
        m = s[4 + j] % 64;
        return;
    }
    sc = s[8 + j - 4] % 16 + 16 * (s[j - 4] / 64);
    m = s[8 + j - 4] / 16 + 16 * (s[j] / 64);
}

// Element e of a Q4_K/Q5_K block: the 4-bit part lives in byte 32·(e / 64) + e % 32, low
// nibble for the first 32 of each 64, high nibble for the second 32; Q5_K's fifth bit is
// bit 2·(e / 64) + (e % 64 >= 32) of qh[e % 32].
int k4_quant(const uint8_t* qs, const uint8_t* qh, int e) {
    const int byte = qs[32 * (e / 64) + e % 32];
    int q = e % 64 < 32 ? byte % 16 : byte / 16;
    if (qh) q += 16 * ((qh[e % 32] >> (2 * (e / 64) + (e % 64 >= 32 ? 1 : 0))) & 1);
    return q;
}

// Element e of a Q6_K block: half h = e / 128, k = (e % 128) / 32, l = e % 32; the low 4
// bits are a nibble of ql[64h + 32·(k % 2) + l] (low for k < 2), the top 2 bits are bits
// 2k, 2k+1 of qh[32h + l]; the stored value is offset by 32.
int q6_quant(const uint8_t* ql, const uint8_t* qh, int e) {
    const int h = e / 128, k = (e % 128) / 32, l = e % 32;
    const int byte = ql[64 * h + 32 * (k % 2) + l];
    const int low = k < 2 ? byte % 16 : byte / 16;
    const int top = (qh[32 * h + l] >> (2 * k)) & 3;
    return low + 16 * top - 32;
}

struct format {
    ggml_type type;
    size_t block_bytes;
    bool has_qh;  // Q5_K
};

// Expected values of one random Q4_K/Q5_K block (offsets per ggml-common.h).
std::vector<double> expected_k4(const uint8_t* blk, bool has_qh) {
    const double d = half_value(read_u16(blk)), dmin = half_value(read_u16(blk + 2));
    const uint8_t* scales = blk + 4;
    const uint8_t* qh = has_qh ? blk + 16 : nullptr;
    const uint8_t* qs = has_qh ? blk + 48 : blk + 16;
    std::vector<double> out(256);
    for (int e = 0; e < 256; ++e) {
        int sc, m;
        scale_and_min(scales, e / 32, sc, m);
        out[e] = d * sc * k4_quant(qs, qh, e) - dmin * m;
    }
    return out;
}

std::vector<double> expected_q6(const uint8_t* blk) {
    const uint8_t* ql = blk;
    const uint8_t* qh = blk + 128;
    const auto* scales = reinterpret_cast<const int8_t*>(blk + 192);
    const double d = half_value(read_u16(blk + 208));
    std::vector<double> out(256);
    for (int e = 0; e < 256; ++e) out[e] = d * scales[e / 16] * q6_quant(ql, qh, e);
    return out;
}

void check_dequantization(const format& f, uint32_t seed) {
    std::mt19937 rng(seed);
    constexpr int n_blocks = 48;
    std::vector<uint8_t> raw(n_blocks * f.block_bytes);
    for (auto& b : raw) b = static_cast<uint8_t>(rng());
    std::vector<double> want;
    for (int b = 0; b < n_blocks; ++b) {
        uint8_t* blk = raw.data() + b * f.block_bytes;
        // Finite f16 scales (random bytes could make inf/NaN); block 5 has d = dmin = 0.
        // Q4_K/Q5_K keep d at offset 0 and dmin at 2, Q6_K its d at 208.
        const std::vector<size_t> f16_at =
            f.type == ggml_type::q6_k ? std::vector<size_t>{208} : std::vector<size_t>{0, 2};
        for (size_t at : f16_at) {
            const uint16_t h = b == 5 ? 0 : random_finite_half(rng);
            blk[at] = static_cast<uint8_t>(h & 0xff);
            blk[at + 1] = static_cast<uint8_t>(h >> 8);
        }
        const auto e = f.type == ggml_type::q6_k ? expected_q6(blk) : expected_k4(blk, f.has_qh);
        want.insert(want.end(), e.begin(), e.end());
    }
    ASSERT_EQ(row_size(f.type, n_blocks * 256), raw.size());
    std::vector<float> got(want.size());
    dequantize_row_ref(f.type, raw.data(), got.data(), static_cast<int64_t>(got.size()));
    for (size_t i = 0; i < got.size(); ++i) {
        // The reference rounds d·sc, dmin·m and the difference to float: a few ulps of the
        // larger term (want is exact in double).
        const uint8_t* blk = raw.data() + (i / 256) * f.block_bytes;
        double scale_mag = 0;
        if (f.type == ggml_type::q6_k) {
            scale_mag = std::fabs(half_value(read_u16(blk + 208))) * 128 * 32;
        } else {
            scale_mag = (std::fabs(half_value(read_u16(blk))) * 63 * 31 +
                         std::fabs(half_value(read_u16(blk + 2))) * 63);
        }
        ASSERT_NEAR(got[i], want[i], 4 * std::ldexp(scale_mag, -24))
            << type_name(f.type) << " element " << i << " (block " << i / 256 << ")";
    }
}

std::vector<float> gaussian(size_t n, uint32_t seed, bool mixed_scales) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) {
        const size_t sb = i / 256;  // vary the magnitude per super-block
        x[i] = dist(rng) * (mixed_scales ? (1 + sb % 7) * (sb % 5 == 0 ? 1e-3f : 1.f) : 1.f);
    }
    return x;
}

double normalized_mse(ggml_type t, const std::vector<float>& x) {
    const auto n = static_cast<int64_t>(x.size());
    std::vector<uint8_t> q(row_size(t, n));
    std::vector<float> y(x.size());
    quantize_row_ref(t, x.data(), q.data(), n);
    dequantize_row_ref(t, q.data(), y.data(), n);
    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
        ref += x[i] * static_cast<double>(x[i]);
    }
    return err / ref;
}

}  // namespace

TEST(dtype_kquants, traits_and_block_sizes) {
    for (auto [t, bytes] : {std::pair{ggml_type::q4_k, 144u}, std::pair{ggml_type::q5_k, 176u},
                            std::pair{ggml_type::q6_k, 210u}}) {
        const auto info = type_info(t);
        EXPECT_EQ(info.block_size, 256) << info.name;
        EXPECT_EQ(info.type_size, bytes) << info.name;
        EXPECT_TRUE(info.computable) << info.name;
        EXPECT_EQ(row_size(t, 512), 2 * bytes);
    }
    EXPECT_FALSE(type_info(ggml_type::q8_k).computable);
    // Field offsets of the structs match the byte layout the decoder above assumes.
    EXPECT_EQ(offsetof(block_q4_k, scales), 4u);
    EXPECT_EQ(offsetof(block_q4_k, qs), 16u);
    EXPECT_EQ(offsetof(block_q5_k, qh), 16u);
    EXPECT_EQ(offsetof(block_q5_k, qs), 48u);
    EXPECT_EQ(offsetof(block_q6_k, qh), 128u);
    EXPECT_EQ(offsetof(block_q6_k, scales), 192u);
    EXPECT_EQ(offsetof(block_q6_k, d), 208u);
}

TEST(dtype_kquants, q4_k_dequantization_matches_the_block_layout) {
    check_dequantization({ggml_type::q4_k, 144, false}, 12);
}

TEST(dtype_kquants, q5_k_dequantization_matches_the_block_layout) {
    check_dequantization({ggml_type::q5_k, 176, true}, 13);
}

TEST(dtype_kquants, q6_k_dequantization_matches_the_block_layout) {
    check_dequantization({ggml_type::q6_k, 210, false}, 14);
}

TEST(dtype_kquants, hand_built_q4_k_block) {
    // d = 1, dmin = 0.5; sub-block 0: sc 2, m 3; sub-block 5: sc 33 (0b100001), m 17
    // (0b010001). Element 0 holds q = 7, element 32 (sub-block 1) q = 9, element 160
    // (sub-block 5: high nibbles of bytes 64..95) q = 4.
    block_q4_k b{};
    b.d = fp32_to_fp16(1.0f);
    b.dmin = fp32_to_fp16(0.5f);
    b.scales[0] = 2;
    b.scales[4] = 3;
    b.scales[1] = static_cast<uint8_t>(2u << 6);  // top bits of sc[5] = 0b10
    b.scales[5] = static_cast<uint8_t>(1u << 6);  // top bits of m[5] = 0b01
    b.scales[9] = static_cast<uint8_t>(0x1 | (0x1 << 4));
    b.qs[0] = static_cast<uint8_t>(7 | (9 << 4));
    b.qs[64] = 4 << 4;
    std::vector<float> y(256);
    dequantize_row_ref(ggml_type::q4_k, &b, y.data(), 256);
    EXPECT_EQ(y[0], 2 * 7 - 0.5f * 3);
    EXPECT_EQ(y[1], -0.5f * 3);  // q = 0
    int sc1, m1;
    scale_and_min(b.scales, 1, sc1, m1);
    EXPECT_EQ(y[32], static_cast<float>(sc1 * 9 - 0.5 * m1));
    EXPECT_EQ(y[160], 33 * 4 - 0.5f * 17);
}

TEST(dtype_kquants, hand_built_q6_k_block) {
    // d = 0.25; scale 0 = -3, scale 15 = 100. Element 0: q = 0b10'0101 = 37 → 5;
    // element 255 (h 1, k 3, l 31): ql[127] high nibble 0xf, qh[63] bits 6-7 = 0b11 → 63 → 31.
    block_q6_k b{};
    b.d = fp32_to_fp16(0.25f);
    b.scales[0] = -3;
    b.scales[15] = 100;
    b.ql[0] = 0x5;
    b.qh[0] = 0x2;
    b.ql[127] = 0xf0;
    b.qh[63] = 0xc0;
    std::vector<float> y(256);
    dequantize_row_ref(ggml_type::q6_k, &b, y.data(), 256);
    EXPECT_EQ(y[0], 0.25f * -3 * 5);
    EXPECT_EQ(y[1], 0.25f * -3 * -32);
    EXPECT_EQ(y[255], 0.25f * 100 * 31);
}

TEST(dtype_kquants, round_trip_error_on_gaussian_data) {
    const auto x = gaussian(256 * 256, 256, false);
    const double q4 = normalized_mse(ggml_type::q4_k, x);
    const double q5 = normalized_mse(ggml_type::q5_k, x);
    const double q6 = normalized_mse(ggml_type::q6_k, x);
    EXPECT_LT(q4, 7e-3);
    EXPECT_LT(q5, 2e-3);
    EXPECT_LT(q6, 5e-4);
    // More bits, less error; Q4_K's per-sub-block min beats Q4_0's symmetric 32-blocks.
    EXPECT_LT(q5, q4 / 2.5);
    EXPECT_LT(q6, q5 / 2.5);
    EXPECT_LT(q4, normalized_mse(ggml_type::q4_0, x));
}

TEST(dtype_kquants, interior_quants_are_within_half_a_step) {
    // Super-blocks of very different magnitudes (including 1e-3) exercise the f16 scales.
    const auto x = gaussian(256 * 96, 97, true);
    const auto n = static_cast<int64_t>(x.size());
    for (ggml_type t : {ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k}) {
        std::vector<uint8_t> q(row_size(t, n));
        std::vector<float> y(x.size());
        quantize_row_ref(t, x.data(), q.data(), n);
        dequantize_row_ref(t, q.data(), y.data(), n);
        const size_t bytes = type_info(t).type_size;
        int interior = 0;
        for (int64_t i = 0; i < n; ++i) {
            const uint8_t* blk = q.data() + (i / 256) * bytes;
            const int e = static_cast<int>(i % 256);
            double step;
            bool inside;
            if (t == ggml_type::q6_k) {
                const auto* scales = reinterpret_cast<const int8_t*>(blk + 192);
                step = std::fabs(half_value(read_u16(blk + 208)) * scales[e / 16]);
                const int qv = q6_quant(blk, blk + 128, e);
                inside = qv > -32 && qv < 31;
            } else {
                int sc, m;
                scale_and_min(blk + 4, e / 32, sc, m);
                step = half_value(read_u16(blk)) * sc;
                const bool five = t == ggml_type::q5_k;
                const int qv = k4_quant(five ? blk + 48 : blk + 16, five ? blk + 16 : nullptr, e);
                inside = qv > 0 && qv < (five ? 31 : 15);
            }
            if (!inside || step == 0) continue;
            ++interior;
            ASSERT_LE(std::fabs(x[i] - y[i]), step / 2 * (1 + 1e-4) + 1e-7 * std::fabs(x[i]))
                << type_name(t) << " element " << i;
        }
        EXPECT_GT(interior, n * 3 / 4) << type_name(t);
    }
}

TEST(dtype_kquants, zeros_and_constant_rows) {
    for (ggml_type t : {ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k}) {
        std::vector<float> x(512, 0.0f), y(512, 1.0f);
        std::vector<uint8_t> q(row_size(t, 512), 0xab);
        quantize_row_ref(t, x.data(), q.data(), 512);
        dequantize_row_ref(t, q.data(), y.data(), 512);
        for (float v : y) ASSERT_EQ(v, 0.0f) << type_name(t);
        // A constant row (one sign) comes back to within 1% (the f16 and 6-bit scales).
        for (float c : {0.37f, -2.5f}) {
            std::fill(x.begin(), x.end(), c);
            quantize_row_ref(t, x.data(), q.data(), 512);
            dequantize_row_ref(t, q.data(), y.data(), 512);
            for (float v : y) ASSERT_NEAR(v, c, 0.01 * std::fabs(c)) << type_name(t) << " " << c;
        }
    }
}
