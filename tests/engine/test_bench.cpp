// The benchmark harness (bench.h) on small random-weight models: the weight accounting of a
// decode step (tied and untied classifiers), the FLOP and roofline formulas, and pp/tg runs
// on a context. Speeds are never asserted.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "prism/bench.h"
#include "prism/synth.h"
#include "random_gguf.h"
#include "test_paths.h"

using namespace prism;

namespace {

// test::kquant_hparams(): n_embd 256, n_ff 512, 4 layers, 4 heads over 2 KV heads, vocab
// 512, which the bundled model's vocabulary matches.
synth_params small_params(quantize_ftype t = quantize_ftype::f32) {
    return {.ftype = t, .n_threads = 2, .vocab_path = test::bundled_model()};
}

}  // namespace

TEST(bench_weights, count_what_a_decode_step_reads) {
    const auto hp = test::kquant_hparams();
    auto m = model_synth(hp, small_params(quantize_ftype::q8_0));
    ASSERT_TRUE(m.has_value());
    const bench_weights w = bench_weights_of(*m);
    const int64_t e = 256, kv = 2 * 64, ff = 512, v = 512;
    EXPECT_EQ(w.n_params_layers, 4 * (2 * e * e + 2 * e * kv + 3 * e * ff));
    EXPECT_EQ(w.n_params_output, e * v);
    EXPECT_EQ(w.n_params, m->n_params());
    EXPECT_EQ(w.model_bytes, m->n_bytes());
    const tensor_view& embd = *m->find("token_embd.weight");
    EXPECT_EQ(w.bytes_per_token, m->n_bytes() - embd.nbytes + embd.nbytes / v);
    EXPECT_EQ(bench_model_type(*m), "Q8_0");

    auto tied = hp;
    tied.tied_output = true;
    auto t = model_synth(tied, small_params());
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(bench_weights_of(*t).bytes_per_token, t->n_bytes());
    EXPECT_EQ(bench_weights_of(*t).n_params_output, e * v);
}

TEST(bench_weights, bounds_follow_the_stated_formulas) {
    const bench_weights w{.n_params_layers = 1000, .n_params_output = 100, .bytes_per_token = 50};
    bench_test_result pp{.params = {.prompt = true, .n_tokens = 10}, .tokens_per_s_median = 20};
    auto b = bench_bounds_of(w, pp, 1000.0, 1e6);
    EXPECT_DOUBLE_EQ(b.flops_per_s, 2.0 * (1000 * 10 + 100) * 2.0);  // 2 runs a second
    EXPECT_DOUBLE_EQ(b.fma_peak_fraction, b.flops_per_s / 1e6);
    EXPECT_DOUBLE_EQ(b.roofline_tokens_per_s, 20.0);
    bench_test_result tg{.params = {.prompt = false, .n_tokens = 10}, .tokens_per_s_median = 5};
    b = bench_bounds_of(w, tg, 1000.0, 0.0);
    EXPECT_DOUBLE_EQ(b.flops_per_s, 2.0 * 1100 * 5);
    EXPECT_DOUBLE_EQ(b.roofline_ratio, 0.25);
    EXPECT_EQ(b.fma_peak_fraction, 0.0);
}

TEST(bench_run, runs_pp_and_tg_on_a_context) {
    auto src = model_synth(test::kquant_hparams(), small_params(quantize_ftype::q4_0));
    ASSERT_TRUE(src.has_value());
    auto model = llama_model::from_source(std::move(*src));
    ASSERT_TRUE(model.has_value()) << model.error().message;
    auto ctx = llama_context::create(*model, {.n_ctx = 16, .n_threads = 2});
    ASSERT_TRUE(ctx.has_value());
    for (bool prompt : {true, false}) {
        auto r = bench_run_test(**ctx, {.prompt = prompt, .n_tokens = 16, .repetitions = 3});
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(r->name, prompt ? "pp16" : "tg16");
        EXPECT_EQ(r->seconds.size(), 3u);
        EXPECT_GT(r->tokens_per_s_median, 0);
        EXPECT_LE(r->tokens_per_s_min, r->tokens_per_s_median);
        EXPECT_GE(r->tokens_per_s_max, r->tokens_per_s_median);
        EXPECT_GE(r->spread, 0);
    }
    test::expect_error(bench_run_test(**ctx, {.n_tokens = 17}), errc::invalid_argument,
                       "do not fit the context of 16");
    test::expect_error(bench_run_test(**ctx, {.n_tokens = 4, .repetitions = 0}),
                       errc::invalid_argument, "repetitions");
}
