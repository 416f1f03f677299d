// CPU kernels against their plain references and hand-computed values.
// Tolerances: F32-accumulated SIMD dot products differ from a double-precision reference by
// rounding only; for rows of <= 4096 elements with |x|,|w| <= 1 the relative L2 error stays
// well below 1e-5, so that is the bound used. matmul with block-quantized weights (Q8_0,
// Q4_0, Q4_K, Q5_K, Q6_K) also rounds the activations to 8 bits per block (matmul_quant.h):
// for x uniform in [-1, 1] each x_i moves by up to d / 2 with d ≈ 1/127, an RMS error of
// d / sqrt(12) ≈ 0.0023 against RMS(x) ≈ 0.58, i.e. ≈ 0.4% relative L2 in y; bound 1e-2.
// test_matmul_quant.cpp checks those kernels exactly.
#include <gtest/gtest.h>

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

TEST(attention_row, matches_naive_grouped_query_attention) {
    const int64_t n_head = 4, n_head_kv = 2, hd = 8, n_kv = 5, stride = n_head_kv * hd;
    const auto q = random_floats(n_head * hd, 1), k = random_floats(n_kv * stride, 2),
               v = random_floats(n_kv * stride, 3);
    std::vector<float> scores(n_kv), out(n_head * hd), probs(n_head * n_kv);
    attention_row(q.data(), k.data(), v.data(), stride, n_kv, n_head, n_head_kv, hd, scores.data(),
                  out.data(), probs.data(), n_kv);
    for (int64_t h = 0; h < n_head; ++h) {
        const int64_t kvh = h / 2;
        std::vector<double> p(n_kv);
        double sum = 0;
        for (int64_t j = 0; j < n_kv; ++j) {
            double s = 0;
            for (int64_t d = 0; d < hd; ++d)
                s += q[h * hd + d] * static_cast<double>(k[j * stride + kvh * hd + d]);
            p[j] = std::exp(s / std::sqrt(8.0));
            sum += p[j];
        }
        for (int64_t d = 0; d < hd; ++d) {
            double o = 0;
            for (int64_t j = 0; j < n_kv; ++j) o += p[j] / sum * v[j * stride + kvh * hd + d];
            EXPECT_NEAR(out[h * hd + d], o, 1e-5);
        }
        for (int64_t j = 0; j < n_kv; ++j) EXPECT_NEAR(probs[h * n_kv + j], p[j] / sum, 1e-6);
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
