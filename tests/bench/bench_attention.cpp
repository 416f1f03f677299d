// Attention capture cost at 2048 tokens on a random model with a realistic head layout
// (8 layers, 32 query heads over 8 KV heads, head_dim 16), reported against the same
// forward without capture (the peer measured in the same run), plus the viz transforms a
// heatmap prepares from a 2048×2048 matrix. No assertions: speed is reported.
// Run: build/release/tests/bench/bench_attention --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <random>

#include "prism/attention_capture.h"
#include "prism/llama.h"
#include "prism/tokenizer.h"
#include "prism/viz/analysis.h"

#include "bench_model.h"

using namespace prism;

namespace {

const llama_hparams shape{.n_vocab = 32000,
                          .n_ctx_train = 2048,
                          .n_embd = 512,
                          .n_ff = 1376,
                          .n_layer = 8,
                          .n_head = 32,
                          .n_head_kv = 8,
                          .n_rot = 16};

std::shared_ptr<const llama_model> model() {
    static auto m = bench::random_model(shape);
    return m;
}

void decode_2048(llama_context& ctx) {
    ctx.kv_cache_clear();
    llama_batch b;
    for (int32_t i0 = 0; i0 < 2048; i0 += 256) {
        b.clear();
        for (int32_t i = i0; i < i0 + 256; ++i) b.add((i * 7919) % 32000, i, 0, i == 2047);
        if (!ctx.decode(b)) std::abort();
    }
}

void bm_prompt_2048(benchmark::State& state) {
    const int pool = static_cast<int>(state.range(0));  // 0: no capture
    auto ctx = *llama_context::create(model(), {.n_ctx = 2048, .n_threads = 2});
    auto cap = *attention_capture::create(
        shape, {.pool = std::max(pool, 1), .memory_budget = size_t{1} << 30});
    if (pool > 0) {
        if (!cap.reserve(2048)) std::abort();
        ctx->set_tap(cap.tap());
    }
    for (auto _ : state) decode_2048(*ctx);
    state.counters["tokens/s"] =
        benchmark::Counter(2048, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["capture_MiB"] = pool > 0 ? cap.bytes_needed(2048) / 1048576.0 : 0.0;
    state.SetLabel(pool > 0 ? "capture all heads, pool " + std::to_string(pool) : "no capture");
}
BENCHMARK(bm_prompt_2048)->Arg(0)->Arg(16)->Unit(benchmark::kMillisecond)->Iterations(2);

viz::attn_matrix causal_2048() {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> d(0.0f, 1.0f);
    viz::attn_matrix a(2048);
    for (int64_t q = 0; q < 2048; ++q) {
        double sum = 0;
        for (int64_t k = 0; k <= q; ++k) sum += a.at(q, k) = d(rng);
        for (int64_t k = 0; k <= q; ++k) a.at(q, k) = static_cast<float>(a.at(q, k) / sum);
    }
    return a;
}

void bm_heatmap_prepare_2048(benchmark::State& state) {
    const auto a = causal_2048();
    for (auto _ : state) benchmark::DoNotOptimize(viz::downsample(a, 800, viz::pooling::mean));
}
BENCHMARK(bm_heatmap_prepare_2048)->Unit(benchmark::kMillisecond);

void bm_head_stats_2048(benchmark::State& state) {
    const auto a = causal_2048();
    std::vector<int32_t> tokens(2048);
    for (int i = 0; i < 2048; ++i) tokens[static_cast<size_t>(i)] = i % 97;
    for (auto _ : state) benchmark::DoNotOptimize(viz::compute_head_stats(a, tokens));
}
BENCHMARK(bm_head_stats_2048)->Unit(benchmark::kMillisecond);

}  // namespace
