// The whole model with quantized and half-precision weights: the bundled model rewritten
// with F16, BF16, Q8_0 or Q4_0 tensors (rows whose length is not a multiple of 32, such as
// ffn_down's 172, stay F32) is compared with an F32 model holding the dequantized values of
// those very weights (its "twin"). The K-quants (Q4_K, Q5_K, Q6_K) need rows of 256, which
// the bundled model (rows of 64) lacks: their case runs on a random model with n_embd 256 and
// n_ff 512 (random_gguf.h) instead. A loose check against the original F32 logits makes sure
// the weight quantization itself is sane.
//
// Twin tolerance. F16 / BF16 weights use the same float activations as the twin, so only
// the kernels' accumulation order differs: max |Δlogit| <= 1e-4. Block-quantized weights
// also round every matmul input to 8 bits per block (matmul_quant.h): x_i moves by at most
// d / 2 with d = max|x| / 127 over its block, an RMS error of d / sqrt(12). For roughly
// Gaussian activations max|x| is about 2σ over 32 values and 3σ over 256, so each matmul's
// output gets a relative error of about 0.5% (Q8_0 / Q4_0) or 0.7% (K-quants). Errors of
// independent matmuls add in quadrature; with n_layer · 7 + 1 quantized matmuls on the path
// (36 for the bundled model, 15 for the 2-layer K-quant model) that gives at most about
// 0.5% · 6 = 3% and 0.7% · 3.9 = 2.7% relative L2 on the logits, hence the 3% bound
// (observed: q8_0 0.74%, q4_0 0.66%, q4_k 1.6%, q5_k 1.7%, q6_k 1.5%). On the bundled
// model, a trained one, the rounding must also leave every position's top token and the
// greedy text unchanged; the random K-quant model's logits are too flat for that.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "greedy.h"
#include "prism/gguf.h"
#include "prism/kernels/matmul_quant.h"
#include "prism/llama.h"
#include "random_gguf.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;
using kernels::ggml_type;

namespace {

// Rewrites the bundled GGUF with `type` where the row length allows; `dequantized` stores
// the quantized values back as F32 instead (the reference twin).
std::string rewrite(const test::temp_dir& dir, ggml_type type, bool dequantized) {
    auto f = gguf::file::open(test::bundled_model());
    EXPECT_TRUE(f.has_value());
    gguf::writer w;
    for (const auto& [k, v] : f->metadata()) w.set(k, v);
    for (const auto& t : f->tensors()) {
        std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        const bool norm = t.name.find("norm") != std::string::npos;
        const auto block = kernels::type_info(type).block_size;
        if (norm || t.ne[0] % block != 0) {
            w.add_tensor(t.name, t.type, ne, t.data, t.nbytes);
            continue;
        }
        const int64_t n = t.ne[0] * t.ne[1];
        std::vector<uint8_t> q(kernels::row_size(type, t.ne[0]) * t.ne[1]);
        kernels::quantize_row_ref(type, reinterpret_cast<const float*>(t.data), q.data(), n);
        if (!dequantized) {
            w.add_tensor(t.name, type, ne, q.data(), q.size());
        } else {
            std::vector<float> back(static_cast<size_t>(n));
            kernels::dequantize_row_ref(type, q.data(), back.data(), n);
            w.add_tensor(t.name, ggml_type::f32, ne, back.data(), back.size() * sizeof(float));
        }
    }
    const std::string path =
        dir.file(std::string(kernels::type_name(type)) + (dequantized ? "-ref" : "") + ".gguf");
    EXPECT_TRUE(w.write(path).has_value());
    return path;
}

// Logits of every token: one batch (multi-token matmuls: the blocked GEMM for quantized
// weights on AVX-512 VNNI), or with `one_by_one` a forward per token (the row kernels).
std::vector<float> logits_of(const std::string& path, const std::vector<int32_t>& tokens,
                             bool one_by_one = false) {
    auto m = llama_model::load(path);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    auto ctx = llama_context::create(*m, {.n_ctx = 32});
    std::vector<float> out;
    llama_batch b;
    for (size_t i = 0; i < tokens.size(); ++i) {
        b.add(tokens[i], static_cast<int32_t>(i), 0, true);
        if (!one_by_one && i + 1 < tokens.size()) continue;
        EXPECT_TRUE((*ctx)->decode(b).has_value());
        for (int32_t j = 0; j < (*ctx)->n_outputs(); ++j) {
            auto l = (*ctx)->logits(j);
            out.insert(out.end(), l.begin(), l.end());
        }
        b.clear();
    }
    return out;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& ref) {
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        num += (a[i] - ref[i]) * static_cast<double>(a[i] - ref[i]);
        den += static_cast<double>(ref[i]) * ref[i];
    }
    return std::sqrt(num / std::max(den, 1e-30));
}

/// The index of the largest logit at each position (rows of n_vocab).
std::vector<size_t> top_tokens(const std::vector<float>& logits, size_t n_vocab) {
    std::vector<size_t> top;
    for (size_t p = 0; p + n_vocab <= logits.size(); p += n_vocab)
        top.push_back(
            static_cast<size_t>(std::max_element(logits.begin() + p, logits.begin() + p + n_vocab) -
                                logits.begin() - p));
    return top;
}

/// Twin bound for weights whose matmul quantizes activations (see the file comment).
constexpr double activation_rounding_rel_l2 = 0.03;

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i)
        d = std::max(d, static_cast<double>(std::fabs(a[i] - b[i])));
    return d;
}

}  // namespace

class quantized_model : public ::testing::TestWithParam<std::pair<ggml_type, double>> {};

TEST_P(quantized_model, equals_its_dequantized_f32_twin) {
    const auto [type, loose] = GetParam();
    test::temp_dir dir;
    const std::vector<int32_t> tokens{1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
    const auto q = logits_of(rewrite(dir, type, false), tokens);
    const auto ref = logits_of(rewrite(dir, type, true), tokens);
    if (kernels::matmul_quant_supports(type)) {
        EXPECT_LE(rel_l2(q, ref), activation_rounding_rel_l2) << kernels::type_name(type);
        const auto n_vocab = q.size() / tokens.size();
        EXPECT_EQ(top_tokens(q, n_vocab), top_tokens(ref, n_vocab)) << kernels::type_name(type);
    } else {
        EXPECT_LE(max_abs_diff(q, ref), 1e-4) << kernels::type_name(type);
    }
    const auto orig = logits_of(test::bundled_model(), tokens);
    EXPECT_LE(max_abs_diff(q, orig), loose) << kernels::type_name(type);
    EXPECT_GT(max_abs_diff(q, orig), 0.0) << "weights were not actually converted";
    auto m = llama_model::load(rewrite(dir, type, false));
    EXPECT_EQ(m.value()->token_embd().type, type);
}

// Loose bounds against the F32 original (observed: f16 0.011, bf16 0.068, q8_0 0.21, q4_0
// 4.5 — a 64-wide model has few elements per block to average rounding over).
INSTANTIATE_TEST_SUITE_P(
    types, quantized_model,
    ::testing::Values(std::pair{ggml_type::f16, 0.03}, std::pair{ggml_type::bf16, 0.2},
                      std::pair{ggml_type::q8_0, 0.5}, std::pair{ggml_type::q4_0, 8.0}),
    [](const auto& param_info) { return std::string(kernels::type_name(param_info.param.first)); });

TEST(quantized_model, greedy_text_equals_its_dequantized_twins) {
    // 40 greedy tokens after "Once upon a time": rounding the activations must not change
    // what the Q8_0 and Q4_0 models write (the F32 text itself is checked against llama2.c
    // in test_generate.cpp).
    test::temp_dir dir;
    const std::vector<int32_t> prompt{1, 403, 407, 261, 378};
    for (ggml_type type : {ggml_type::q8_0, ggml_type::q4_0}) {
        const auto got = test::greedy(rewrite(dir, type, false), prompt, 40);
        const auto twin = test::greedy(rewrite(dir, type, true), prompt, 40);
        EXPECT_EQ(got.tokens, twin.tokens) << kernels::type_name(type);
    }
}

class kquant_model : public ::testing::TestWithParam<std::pair<ggml_type, double>> {};

TEST_P(kquant_model, equals_its_dequantized_f32_twin) {
    const auto [type, loose] = GetParam();
    test::temp_dir dir;
    const auto hp = test::kquant_hparams(2);
    const std::string q = dir.file("q.gguf"), twin = dir.file("twin.gguf"),
                      orig = dir.file("f32.gguf");
    test::write_random_gguf(q, hp, 3, type, false);
    test::write_random_gguf(twin, hp, 3, type, true);
    test::write_random_gguf(orig, hp, 3);
    const std::vector<int32_t> tokens{1, 17, 300, 45, 2, 99, 150, 8};
    const auto lq = logits_of(q, tokens), lt = logits_of(twin, tokens),
               lo = logits_of(orig, tokens);
    double scale = 0;  // the logits' magnitude: random N(0, 0.02²) weights give small logits
    for (float v : lo) scale = std::max(scale, static_cast<double>(std::fabs(v)));
    EXPECT_LE(rel_l2(lq, lt), activation_rounding_rel_l2) << kernels::type_name(type);
    EXPECT_LE(max_abs_diff(lq, lo), loose * scale) << kernels::type_name(type);
    EXPECT_GT(max_abs_diff(lq, lo), 0.0) << "weights were not actually converted";
    auto m = llama_model::load(q);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m.value()->token_embd().type, type);
}

// Loose bounds against the F32 original, relative to the largest F32 logit (about 1.1;
// observed: q4_k 0.16, q5_k 0.09, q6_k 0.054).
INSTANTIATE_TEST_SUITE_P(types, kquant_model,
                         ::testing::Values(std::pair{ggml_type::q4_k, 0.5},
                                           std::pair{ggml_type::q5_k, 0.25},
                                           std::pair{ggml_type::q6_k, 0.1}),
                         [](const auto& param_info) {
                             return std::string(kernels::type_name(param_info.param.first));
                         });
