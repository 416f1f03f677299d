// The fast K-quant quantizers (quantize_row, quantize_row_q{4,5,6}_k: sub-block fits run 16
// at a time in AVX-512 lanes) against their slow twins, the reference quantizers: the bytes
// must be identical, on data of every kind the fits branch on — Gaussian at weight scale
// and at unit scale, all-positive and all-negative sub-blocks, zero and constant
// sub-blocks, magnitudes over many decades, ties in the largest magnitude — and rows of 1 to
// 9 super-blocks (odd counts leave the second half of a 16-lane group empty). On a CPU
// without AVX-512 both sides are the reference and the test still holds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/dtype.h"

using namespace prism::kernels;

namespace {

std::vector<float> sample_row(int kind, int64_t n, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const int64_t sub = i / 16;  // a Q6_K sub-block; two make a Q4_K one
        float& v = x[static_cast<size_t>(i)];
        switch (kind) {
        case 0:
            v = 0.02f * normal(rng);
            break;
        case 1:
            v = normal(rng);
            break;
        case 2:
            v = uniform(rng) + 1.0f;
            break;  // all positive
        case 3:
            v = -std::fabs(normal(rng));
            break;  // all negative
        case 4:
            v = sub % 3 == 0 ? 0.0f : normal(rng);
            break;  // zero sub-blocks
        case 5:
            v = sub % 4 == 1 ? 0.5f : 1000 * normal(rng);
            break;  // constant sub-blocks
        case 6:
            v = normal(rng) * std::exp(3 * normal(rng));
            break;  // many decades
        default:
            v = (i % 7 == 0 ? -1.0f : 1.0f) * static_cast<float>(i % 3);
            break;  // ties
        }
    }
    return x;
}

}  // namespace

TEST(kquants_fast, same_bytes_as_the_reference) {
    std::mt19937 rng(2024);
    for (auto t : {ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k}) {
        for (int trial = 0; trial < 72; ++trial) {
            const int kind = trial % 8;
            const int64_t n = qk_k * (1 + trial % 9);
            SCOPED_TRACE(std::string(type_name(t)) + " kind " + std::to_string(kind) + " n " +
                         std::to_string(n));
            const auto x = sample_row(kind, n, rng);
            std::vector<uint8_t> ref(row_size(t, n)), fast(row_size(t, n), 0xAA);
            quantize_row_ref(t, x.data(), ref.data(), n);
            quantize_row(t, x.data(), fast.data(), n);
            ASSERT_EQ(ref, fast);
        }
    }
}

TEST(kquants_fast, other_types_go_to_the_reference) {
    std::mt19937 rng(7);
    const auto x = sample_row(1, 256, rng);
    for (auto t :
         {ggml_type::f32, ggml_type::f16, ggml_type::bf16, ggml_type::q8_0, ggml_type::q4_0}) {
        std::vector<uint8_t> ref(row_size(t, 256)), fast(row_size(t, 256));
        quantize_row_ref(t, x.data(), ref.data(), 256);
        quantize_row(t, x.data(), fast.data(), 256);
        EXPECT_EQ(ref, fast) << type_name(t);
    }
    EXPECT_FALSE(cpu_caps_name().empty());
}
