// CPU kernels against their plain references and hand-computed values.
// Tolerances: F32-accumulated SIMD dot products differ from a double-precision reference by
// rounding only; for rows of <= 4096 elements with |x|,|w| <= 1 the relative L2 error stays
// well below 1e-5, so that is the bound used. matmul with block-quantized weights (Q8_0,
// Q4_0, Q4_K, Q5_K, Q6_K) also rounds the activations to 8 bits per block (matmul_quant.h):
// for x uniform in [-1, 1] each x_i moves by up to d / 2 with d ≈ 1/127, an RMS error of
// d / sqrt(12) ≈ 0.0023 against RMS(x) ≈ 0.58, i.e. ≈ 0.4% relative L2 in y; bound 1e-2.
// test_matmul_quant.cpp checks those kernels exactly.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "prism/kernels/cpu_ops.h"
#include "prism/kernels/matmul_quant.h"

using namespace prism::kernels;

namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        num += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
        den += static_cast<double>(b[i]) * b[i];
    }
    return std::sqrt(num / std::max(den, 1e-30));
}

std::vector<uint8_t> quantized(ggml_type t, const std::vector<float>& w) {
    std::vector<uint8_t> q(row_size(t, static_cast<int64_t>(w.size())));
    quantize_row_ref(t, w.data(), q.data(), static_cast<int64_t>(w.size()));
    return q;
}

}  // namespace

class matmul_types : public ::testing::TestWithParam<ggml_type> {};

TEST_P(matmul_types, matches_reference_for_decode_and_batches) {
    const ggml_type t = GetParam();
    thread_pool pool(2);
    for (int64_t n_in : {32, 256, 768, 4096}) {
        if (n_in % type_info(t).block_size != 0) continue;  // K-quants need rows of 256k
        for (int64_t n_tokens : {1, 3, 17}) {
            const int64_t n_out = 48;
            const auto w = quantized(t, random_floats(static_cast<size_t>(n_in * n_out), 7));
            const auto x = random_floats(static_cast<size_t>(n_in * n_tokens), 11);
            std::vector<float> y(static_cast<size_t>(n_tokens * n_out)), ref(y.size());
            matmul(t, w.data(), n_in, n_out, x.data(), n_tokens, y.data(), pool);
            matmul_ref(t, w.data(), n_in, n_out, x.data(), n_tokens, ref.data());
            EXPECT_LT(rel_l2(y, ref), matmul_quant_supports(t) ? 1e-2 : 1e-5)
                << type_name(t) << " n_in " << n_in << " n_tokens " << n_tokens;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(all, matmul_types,
                         ::testing::Values(ggml_type::f32, ggml_type::f16, ggml_type::bf16,
                                           ggml_type::q8_0, ggml_type::q4_0, ggml_type::q4_k,
                                           ggml_type::q5_k, ggml_type::q6_k),
                         [](const auto& param_info) {
                             return std::string(type_name(param_info.param));
                         });

TEST(matmul, odd_f32_lengths_use_the_scalar_tail) {
    thread_pool pool(2);
    const int64_t n_in = 67, n_out = 5;
    const auto w = random_floats(n_in * n_out, 3), x = random_floats(n_in * 2, 4);
    std::vector<float> y(2 * n_out), ref(2 * n_out);
    matmul(ggml_type::f32, w.data(), n_in, n_out, x.data(), 2, y.data(), pool);
    matmul_ref(ggml_type::f32, w.data(), n_in, n_out, x.data(), 2, ref.data());
    EXPECT_LT(rel_l2(y, ref), 1e-6);
}

TEST(matmul, hand_computed_2x3) {
    thread_pool pool(1);
    const float w[6] = {1, 2, 3, 4, 5, 6};  // rows (1,2,3) and (4,5,6)
    const float x[3] = {1, 0, -1};
    float y[2];
    matmul(ggml_type::f32, w, 3, 2, x, 1, y, pool);
    EXPECT_FLOAT_EQ(y[0], -2.0f);
    EXPECT_FLOAT_EQ(y[1], -2.0f);
}

TEST(rms_norm, hand_computed) {
    const float x[4] = {1, 2, 3, 4};  // mean of squares 7.5
    const float w[4] = {1, 1, 2, 0.5f};
    float y[4];
    rms_norm(x, w, y, 1, 4, 0.0f);
    const float s = 1.0f / std::sqrt(7.5f);
    EXPECT_NEAR(y[0], 1 * s, 1e-6);
    EXPECT_NEAR(y[2], 3 * s * 2, 1e-6);
    EXPECT_NEAR(y[3], 4 * s * 0.5f, 1e-6);
}

TEST(rope, position_zero_is_identity_and_norm_is_kept) {
    auto x = random_floats(2 * 2 * 8, 5);  // 2 tokens, 2 heads, head_dim 8
    const auto orig = x;
    const int32_t pos[2] = {0, 37};
    rope(x.data(), 2, 2, 8, 8, pos, 10000.0f, rope_pairing::adjacent);
    for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(x[i], orig[i]);
    for (int h = 0; h < 2; ++h) {
        double n0 = 0, n1 = 0;
        for (int d = 0; d < 8; ++d) {
            n0 += orig[16 + h * 8 + d] * static_cast<double>(orig[16 + h * 8 + d]);
            n1 += x[16 + h * 8 + d] * static_cast<double>(x[16 + h * 8 + d]);
        }
        EXPECT_NEAR(n0, n1, 1e-5);
    }
}

TEST(rope, hand_computed_first_pair_and_layouts_agree) {
    // head_dim 4: pair 0 turns by pos·1, pair 1 by pos·theta^(-1/2) = pos/100 for theta 1e4.
    float a[4] = {1, 0, 1, 0};  // adjacent layout: pairs (0,1) and (2,3)
    const int32_t pos[1] = {2};
    rope(a, 1, 1, 4, 4, pos, 10000.0f, rope_pairing::adjacent);
    EXPECT_NEAR(a[0], std::cos(2.0), 1e-6);
    EXPECT_NEAR(a[1], std::sin(2.0), 1e-6);
    EXPECT_NEAR(a[2], std::cos(0.02), 1e-6);
    EXPECT_NEAR(a[3], std::sin(0.02), 1e-6);
    // The same vector in rotate-half order: (x0, x2, x1, x3).
    float b[4] = {1, 1, 0, 0};
    rope(b, 1, 1, 4, 4, pos, 10000.0f, rope_pairing::half);
    EXPECT_FLOAT_EQ(b[0], a[0]);
    EXPECT_FLOAT_EQ(b[1], a[2]);
    EXPECT_FLOAT_EQ(b[2], a[1]);
    EXPECT_FLOAT_EQ(b[3], a[3]);
}

TEST(softmax, normalizes_and_handles_masked_entries) {
    float x[4] = {1.0f, 2.0f, -INFINITY, 3.0f};
    softmax(x, 4);
    const double e = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    EXPECT_NEAR(x[0], std::exp(1.0) / e, 1e-6);
    EXPECT_EQ(x[2], 0.0f);
    EXPECT_NEAR(x[0] + x[1] + x[2] + x[3], 1.0, 1e-6);
    float all_masked[2] = {-INFINITY, -INFINITY};
    softmax(all_masked, 2);
    EXPECT_EQ(all_masked[0], 0.0f);
}

// Random q, k, v against a double-precision attention over the same layout. Tolerance: the
// scores are float32 dot products of head_dim terms of size ~1 (error ~1e-6) and the
// exponential has ~2 ulp error, so 1e-5 on outputs and 1e-6 on probabilities.
TEST(attention_group, matches_naive_grouped_query_attention) {
    // Key rows just longer than n_kv (the tail one position at a time) and 64 longer (the
    // tail as a whole tile); head_dim 8 (generic) and 64 (the register-resident sums).
    for (const auto [n_kv, pad, hd] : std::vector<std::array<int64_t, 3>>{
             {1, 7, 8}, {5, 64, 8}, {300, 7, 8}, {300, 64, 64}, {700, 70, 8}, {129, 3, 64}}) {
        const int64_t group = 3, kt_stride = n_kv + pad, v_stride = hd + 4;
        const auto q = random_floats(group * hd, 1), kt = random_floats(hd * kt_stride, 2),
                   v = random_floats(n_kv * v_stride, 3);
        const int64_t ps = n_kv + 3;
        std::vector<float> out(group * hd), probs(group * ps);
        attention_group(q.data(), kt.data(), kt_stride, v.data(), v_stride, n_kv, group, hd,
                        probs.data(), ps, out.data());
        for (int64_t g = 0; g < group; ++g) {
            std::vector<double> p(n_kv);
            double sum = 0, max = -1e300;
            for (int64_t j = 0; j < n_kv; ++j) {
                double s = 0;
                for (int64_t d = 0; d < hd; ++d)
                    s += q[g * hd + d] * static_cast<double>(kt[d * kt_stride + j]);
                p[j] = s / std::sqrt(static_cast<double>(hd));
                max = std::max(max, p[j]);
            }
            for (auto& e : p) sum += (e = std::exp(e - max));
            for (int64_t d = 0; d < hd; ++d) {
                double o = 0;
                for (int64_t j = 0; j < n_kv; ++j) o += p[j] / sum * v[j * v_stride + d];
                EXPECT_NEAR(out[g * hd + d], o, 1e-5) << "n_kv " << n_kv;
            }
            for (int64_t j = 0; j < n_kv; ++j)
                EXPECT_NEAR(probs[g * ps + j], p[j] / sum, 1e-6) << "n_kv " << n_kv;
        }
    }
}

TEST(softmax, fast_exponential_matches_std_exp) {
    std::vector<float> x(2001);
    for (size_t i = 0; i < x.size(); ++i) x[i] = -100.0f + 0.05f * static_cast<float>(i);
    auto y = x;
    softmax(y.data(), static_cast<int64_t>(y.size()));
    double sum = 0;
    for (float e : x) sum += std::exp(static_cast<double>(e) - x.back());
    for (size_t i = 0; i < x.size(); ++i) {
        const double want = std::exp(static_cast<double>(x[i]) - x.back()) / sum;
        EXPECT_NEAR(y[i], want, 4e-7 * want + 1e-37) << "x " << x[i];
    }
}

TEST(swiglu, hand_computed) {
    float g[3] = {0.0f, 1.0f, -2.0f};
    const float u[3] = {5.0f, 2.0f, 1.0f};
    swiglu(g, u, 3);
    EXPECT_FLOAT_EQ(g[0], 0.0f);
    EXPECT_NEAR(g[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
    EXPECT_NEAR(g[2], -2.0 / (1.0 + std::exp(2.0)), 1e-6);
}

TEST(thread_pool, covers_every_index_once_and_rethrows) {
    thread_pool pool(2);
    EXPECT_EQ(pool.n_threads(), 2);
    std::vector<std::atomic<int>> hits(1001);
    pool.parallel_for(1001, [&](int64_t b, int64_t e, int) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    EXPECT_THROW(pool.parallel_for(10,
                                   [](int64_t b, int64_t, int) {
                                       if (b > 0) throw std::runtime_error("boom");
                                   }),
                 std::runtime_error);
    int calls = 0;
    pool.parallel_for(5, [&](int64_t, int64_t, int) { ++calls; });  // still usable
    EXPECT_GE(calls, 1);
}
