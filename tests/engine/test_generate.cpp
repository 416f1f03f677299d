// Generation end to end against llama2.c's own outputs for stories260K (greedy), the
// sampler's seed reproducibility, n_predict, stop strings and cancellation.
//
// Step counting: run.c's loop samples a token at every position from the last prompt
// position on and prints it, so `run -n STEPS` with P prompt tokens prints STEPS - P + 1
// generated tokens: 200 for test_all_n200.txt (P = 1, BOS only) and 124 for
// once_upon_a_time_n128.txt (P = 5). Our -n / n_predict counts generated tokens exactly
// (llama.cpp's convention), hence 200 and 124 below.
#include <gtest/gtest.h>

#include <cmath>

#include "prism/generate.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

std::string reference_text(const std::string& name) {
    std::string s = test::read_file(test::reference(name));
    if (!s.empty() && s.back() == '\n') s.pop_back();  // the file ends with one newline
    return s;
}

std::unique_ptr<llama_context> make_context(const std::string& path, model_load_params p = {}) {
    auto model = llama_model::load(path, p);
    EXPECT_TRUE(model.has_value()) << (model ? "" : model.error().message);
    auto ctx = llama_context::create(*model, {.n_threads = 2});
    EXPECT_TRUE(ctx.has_value());
    return std::move(*ctx);
}

generate_params greedy(std::string prompt, int32_t n) {
    generate_params p;
    p.prompt = std::move(prompt);
    p.n_predict = n;
    p.sampling.temp = 0.0f;
    return p;
}

std::string streamed(llama_context& ctx, const generate_params& p, generate_result* out = nullptr) {
    std::string text;
    auto r = generate(ctx, p, [&](const generate_event& ev) {
        text += ev.text;
        return true;
    });
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    if (r && out) *out = *r;
    if (r) {
        EXPECT_EQ(text, r->prompt_text + r->text);
    }
    return text;
}

size_t first_mismatch(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    return i;
}

}  // namespace

TEST(generate, greedy_without_prompt_matches_llama2c_from_gguf) {
    auto ctx = make_context(test::bundled_model());
    const std::string want = reference_text("test_all_n200.txt");
    generate_result r;
    const std::string got = streamed(*ctx, greedy("", 200), &r);
    EXPECT_EQ(got, want) << "first difference at byte " << first_mismatch(got, want);
    EXPECT_EQ(r.tokens.size(), 200u);
}

TEST(generate, greedy_without_prompt_matches_llama2c_from_checkpoint) {
    auto ctx = make_context(test::stories_bin(), {.tokenizer_path = test::stories_tok()});
    const std::string want = reference_text("test_all_n200.txt");
    const std::string got = streamed(*ctx, greedy("", 200));
    EXPECT_EQ(got, want) << "first difference at byte " << first_mismatch(got, want);
}

TEST(generate, greedy_once_upon_a_time_matches_llama2c) {
    auto ctx = make_context(test::bundled_model());
    const std::string want = reference_text("once_upon_a_time_n128.txt");
    generate_result r;
    const std::string got = streamed(*ctx, greedy("Once upon a time", 124), &r);
    EXPECT_EQ(got, want) << "first difference at byte " << first_mismatch(got, want);
    EXPECT_EQ(r.prompt_tokens, (std::vector<int32_t>{1, 403, 407, 261, 378}));
}

TEST(generate, n_predict_is_exact_and_zero_generates_nothing) {
    auto ctx = make_context(test::bundled_model());
    generate_result r;
    streamed(*ctx, greedy("Once", 0), &r);
    EXPECT_TRUE(r.tokens.empty());
    EXPECT_TRUE(r.text.empty());
    EXPECT_EQ(r.prompt_text, "Once");
    auto p = greedy("Once", 7);
    p.ignore_eos = true;
    streamed(*ctx, p, &r);
    EXPECT_EQ(r.tokens.size(), 7u);
    EXPECT_EQ(r.reason, stop_reason::n_predict);
}

TEST(generate, same_seed_same_text_and_prompt_chunking_does_not_matter) {
    auto ctx = make_context(test::bundled_model());
    generate_params p;
    p.prompt = "The little cat";
    p.n_predict = 40;
    p.sampling = {.temp = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 0xFFFFFFFFull};
    const std::string a = streamed(*ctx, p);
    p.n_batch = 2;
    const std::string b = streamed(*ctx, p);
    EXPECT_EQ(a, b);
    p.sampling.seed = 12345;
    EXPECT_NE(streamed(*ctx, p), a);
}

TEST(generate, stop_string_is_never_emitted) {
    auto ctx = make_context(test::bundled_model());
    auto p = greedy("Once upon a time", 60);
    p.stop = {"named Lily"};
    generate_result r;
    const std::string got = streamed(*ctx, p, &r);
    EXPECT_EQ(r.reason, stop_reason::stop_string);
    EXPECT_EQ(got, "Once upon a time, there was a little girl ");
    // A stop string split over tokens (" Lily" + ".") is caught too.
    p.stop = {"y. She"};
    EXPECT_EQ(streamed(*ctx, p), "Once upon a time, there was a little girl named Lil");
}

TEST(generate, callback_and_stop_token_cancel) {
    auto ctx = make_context(test::bundled_model());
    int events = 0;
    auto r = generate(*ctx, greedy("Once", 50),
                      [&](const generate_event& ev) { return ev.is_prompt || ++events < 3; });
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->reason, stop_reason::cancelled);
    EXPECT_EQ(r->tokens.size(), 3u);
    std::stop_source src;
    src.request_stop();
    auto r2 = generate(*ctx, greedy("Once", 50), {}, src.get_token());
    ASSERT_TRUE(r2.has_value());
    EXPECT_EQ(r2->reason, stop_reason::cancelled);
    EXPECT_TRUE(r2->tokens.empty());
}

TEST(generate, bad_parameters_are_errors_not_crashes) {
    auto ctx = make_context(test::bundled_model());
    auto p = greedy("Once", 5);
    p.sampling.top_p = 0.0f;
    auto r = generate(*ctx, p);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("top_p"), std::string::npos);
    std::string long_prompt;
    for (int i = 0; i < 3000; ++i) long_prompt += " a";
    p = greedy(long_prompt, 5);
    r = generate(*ctx, p);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("context"), std::string::npos);
    p = greedy("Once", -2);
    EXPECT_FALSE(generate(*ctx, p).has_value());
}

TEST(generate, reports_each_tokens_probability_and_top_alternatives) {
    auto ctx = make_context(test::bundled_model());
    auto p = greedy("Once upon a time", 10);
    p.n_top = 5;
    std::vector<generate_event> events;
    auto r = generate(*ctx, p, [&](const generate_event& ev) {
        if (!ev.is_prompt) events.push_back(ev);
        return true;
    });
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->top.size(), 10u);
    ASSERT_EQ(r->token_p.size(), 10u);
    for (size_t i = 0; i < 10; ++i) {
        const auto& top = r->top[i];
        ASSERT_EQ(top.size(), 5u);
        EXPECT_EQ(top[0].id, r->tokens[i]) << "greedy picks the most probable token";
        EXPECT_FLOAT_EQ(r->token_p[i], top[0].p);
        double sum = 0;
        for (size_t k = 0; k < 5; ++k) {
            sum += top[k].p;
            if (k > 0) {
                EXPECT_GE(top[k - 1].p, top[k].p);
            }
        }
        EXPECT_LE(sum, 1.0 + 1e-6);
        EXPECT_EQ(events[i].top.size(), 5u);
        EXPECT_EQ(events[i].token, r->tokens[i]);
    }
}

TEST(sampler_top_probs, is_the_softmax_of_the_raw_logits) {
    const std::vector<float> logits{1.0f, 3.0f, 2.0f, 3.0f};
    const auto top = sampler_top_probs(logits, 3);
    const double z = std::exp(1.0) + 2 * std::exp(3.0) + std::exp(2.0);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].id, 1);  // ties: lower id first
    EXPECT_EQ(top[1].id, 3);
    EXPECT_EQ(top[2].id, 2);
    EXPECT_NEAR(top[0].p, std::exp(3.0) / z, 1e-6);
    EXPECT_NEAR(top[2].p, std::exp(2.0) / z, 1e-6);
    EXPECT_EQ(sampler_top_probs(logits, 10).size(), 4u);
}
