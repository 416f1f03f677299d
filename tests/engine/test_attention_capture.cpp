// Attention capture against the reference attention of stories260K
// (../shared/reference/stories260K/attention.npy, [layer, head, query, key] for the 32-token
// greedy continuation of "Once upon a time"). Tolerance 1e-5 for float32 capture: the
// reference is an independent float32/float64 softmax(q·kᵀ/√d) and our logits already agree
// to ~1e-6; float16 storage adds at most half an f16 ulp of 1.0 (2.4e-4).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "prism/attention_capture.h"
#include "prism/generate.h"
#include "prism/npy.h"
#include "test_paths.h"

using namespace prism;

namespace {

struct fixture {
    std::shared_ptr<const llama_model> model;
    std::unique_ptr<llama_context> ctx;
    std::vector<float> ref;  // [5, 8, 32, 32]
    std::vector<int32_t> tokens;
};

fixture load() {
    fixture f;
    f.model = *llama_model::load(test::bundled_model());
    f.ctx = std::move(*llama_context::create(f.model, {.n_ctx = 64, .n_threads = 2}));
    f.ref = npy::to_f32(*npy::load(test::reference("attention.npy")));
    f.tokens = *npy::to_i32(*npy::load(test::reference("tokens.npy")));
    return f;
}

float ref_at(const fixture& f, int l, int h, int q, int k) {
    return f.ref[static_cast<size_t>(((l * 8 + h) * 32 + q) * 32 + k)];
}

generate_params greedy_capture(attention_capture* c) {
    generate_params p;
    p.prompt = "Once upon a time";
    p.n_predict = 27;  // 5 prompt tokens + 27 = the 32 reference tokens
    p.sampling.temp = 0.0f;
    p.capture = c;
    return p;
}

}  // namespace

TEST(attention_capture, every_layer_and_head_matches_reference_through_generate) {
    auto f = load();
    auto cap = attention_capture::create(f.model->hparams(), {});
    ASSERT_TRUE(cap.has_value());
    auto r = generate(*f.ctx, greedy_capture(&*cap));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    std::vector<int32_t> all = r->prompt_tokens;
    all.insert(all.end(), r->tokens.begin(), r->tokens.end());
    ASSERT_EQ(all, f.tokens);
    ASSERT_EQ(cap->n_tokens(), 32);  // the last generated token's row included
    for (int l = 0; l < 5; ++l) {
        for (int h = 0; h < 8; ++h) {
            const auto m = cap->matrix(static_cast<size_t>(l), static_cast<size_t>(h));
            for (int q = 0; q < 32; ++q) {
                double sum = 0;
                for (int k = 0; k < 32; ++k) {
                    const float got = m[static_cast<size_t>(q * 32 + k)];
                    if (k > q) {
                        ASSERT_EQ(got, 0.0f) << "causal mask, layer " << l;
                    }
                    ASSERT_NEAR(got, ref_at(f, l, h, q, k), 1e-5)
                        << "layer " << l << " head " << h << " query " << q << " key " << k;
                    sum += got;
                }
                ASSERT_NEAR(sum, 1.0, 1e-5);
            }
        }
    }
}

TEST(attention_capture, output_text_is_the_same_with_capture_on_and_off) {
    auto f = load();
    auto cap = attention_capture::create(f.model->hparams(), {.layers = {1, 3}});
    auto with = generate(*f.ctx, greedy_capture(&*cap));
    auto without = generate(*f.ctx, greedy_capture(nullptr));
    ASSERT_TRUE(with && without);
    EXPECT_EQ(with->text, without->text);
    EXPECT_EQ(cap->layers(), (std::vector<int32_t>{1, 3}));
}

TEST(attention_capture, selected_head_float16_and_pooled_forms) {
    auto f = load();
    auto one = attention_capture::create(f.model->hparams(), {.layers = {2}, .heads = {5}});
    ASSERT_TRUE(generate(*f.ctx, greedy_capture(&*one)).has_value());
    const auto m = one->matrix(0, 0);
    for (int q = 0; q < 32; ++q)
        for (int k = 0; k <= q; ++k) ASSERT_NEAR(m[q * 32 + k], ref_at(f, 2, 5, q, k), 1e-5);

    auto half =
        attention_capture::create(f.model->hparams(), {.precision = capture_precision::f16});
    ASSERT_TRUE(generate(*f.ctx, greedy_capture(&*half)).has_value());
    EXPECT_EQ(half->bytes_needed(32), one->bytes_needed(32) * 40 / 2);
    const auto mh = half->matrix(4, 7);
    for (int q = 0; q < 32; ++q)
        for (int k = 0; k <= q; ++k) ASSERT_NEAR(mh[q * 32 + k], ref_at(f, 4, 7, q, k), 2.5e-4);

    // 5-wide tiles over 32 tokens: 7×7 tiles, the last one 2 wide; each is the block mean.
    auto pooled = attention_capture::create(f.model->hparams(), {.pool = 5});
    ASSERT_TRUE(generate(*f.ctx, greedy_capture(&*pooled)).has_value());
    ASSERT_EQ(pooled->matrix_size(), 7);
    const auto mp = pooled->matrix(1, 2);
    for (int i = 0; i < 7; ++i) {
        for (int j = 0; j < 7; ++j) {
            double sum = 0;
            int cells = 0;
            for (int q = i * 5; q < std::min(32, i * 5 + 5); ++q)
                for (int k = j * 5; k < std::min(32, j * 5 + 5); ++k, ++cells)
                    sum += ref_at(f, 1, 2, q, k);
            ASSERT_NEAR(mp[i * 7 + j], sum / cells, 1e-5) << "tile " << i << "," << j;
        }
    }
}

TEST(attention_capture, budget_is_enforced_with_the_numbers) {
    auto f = load();
    auto cap = attention_capture::create(f.model->hparams(), {.memory_budget = 1000});
    auto r = generate(*f.ctx, greedy_capture(&*cap));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::out_of_memory);
    EXPECT_NE(r.error().message.find("5 layers × 8 heads for 32 tokens"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("budget"), std::string::npos);
    // The stated dense size for the example: 2048 tokens, 32 × 32 heads = 16 GiB.
    EXPECT_EQ(attention_capture::dense_f32_bytes(2048, 32, 32), size_t{16} << 30);
}

TEST(attention_capture, bad_selections_are_rejected) {
    auto f = load();
    EXPECT_FALSE(attention_capture::create(f.model->hparams(), {.layers = {5}}).has_value());
    EXPECT_FALSE(attention_capture::create(f.model->hparams(), {.heads = {-1}}).has_value());
    EXPECT_FALSE(attention_capture::create(f.model->hparams(), {.heads = {1, 1}}).has_value());
    EXPECT_FALSE(attention_capture::create(f.model->hparams(), {.pool = 0}).has_value());
}

TEST(taps, residual_stream_identity_and_only_wanted_layers) {
    // resid(l) = resid(l-1) + attn_out(l) + ffn_out(l): the taps carry the real tensors.
    auto f = load();
    std::map<std::pair<std::string, int>, std::vector<float>> seen;  // (name, layer) at pos 3
    std::set<std::pair<std::string, int>> asked;
    f.ctx->set_tap(
        {[&](std::string_view name, int32_t layer) {
             asked.insert({std::string(name), layer});
             return name != "attn_probs" && layer >= 1 && layer <= 2;
         },
         [&](const tap_event& ev) {
             EXPECT_EQ(ev.cols, 64);
             if (ev.pos == 3)
                 seen[{std::string(ev.name), ev.layer}].assign(ev.data.begin(), ev.data.end());
         }});
    llama_batch b;
    for (int i = 0; i < 5; ++i) b.add(f.tokens[i], i, 0, i == 4);
    ASSERT_TRUE(f.ctx->decode(b).has_value());
    f.ctx->set_tap({});
    EXPECT_TRUE(asked.count({"attn_probs", 0}));
    EXPECT_FALSE(seen.count({"resid", 0}));
    EXPECT_FALSE(seen.count({"resid", 3}));
    const auto &r1 = seen.at({"resid", 1}), &r2 = seen.at({"resid", 2});
    const auto &a2 = seen.at({"attn_out", 2}), &f2 = seen.at({"ffn_out", 2});
    for (size_t i = 0; i < 64; ++i) EXPECT_NEAR(r2[i], r1[i] + a2[i] + f2[i], 1e-5);
}
