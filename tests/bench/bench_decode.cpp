// Decode speed (one sequence, one token per step) of a random-weight llama-110m-shaped F32
// model at context depth 0 and at depth 2048, the peer measured in the same run: the
// difference is what the KV cache and attention cost at long context. Also prompt
// processing of 512 tokens. No assertions: speed is reported.
// Run: build/release/tests/bench/bench_decode --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include "prism/llama.h"
#include "prism/synth.h"

#include "bench_model.h"

using namespace prism;

namespace {

std::shared_ptr<const llama_model> model() {
    static auto m = bench::random_model(*synth_shape("llama-110m"));
    return m;
}

void fill(llama_context& ctx, int32_t n) {
    ctx.kv_cache_clear();
    llama_batch b;
    for (int32_t i = 0; i < n; ++i) b.add((i * 7919) % 32000, i, 0, i == n - 1);
    if (n > 0 && !ctx.decode(b)) std::abort();
}

void bm_decode(benchmark::State& state) {
    const auto depth = static_cast<int32_t>(state.range(0));
    auto ctx = *llama_context::create(model(), {.n_ctx = 4096, .n_threads = 2});
    constexpr int32_t steps = 32;
    for (auto _ : state) {
        state.PauseTiming();
        fill(*ctx, depth);
        state.ResumeTiming();
        llama_batch b;
        for (int32_t i = 0; i < steps; ++i) {
            b.clear();
            b.add(17 + i, depth + i, 0, true);
            if (!ctx->decode(b)) std::abort();
        }
    }
    state.counters["tokens/s"] =
        benchmark::Counter(steps, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel("tg32 at depth " + std::to_string(depth));
}
BENCHMARK(bm_decode)->Arg(0)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

void bm_prompt(benchmark::State& state) {
    auto ctx = *llama_context::create(model(), {.n_ctx = 4096, .n_threads = 2});
    for (auto _ : state) fill(*ctx, 512);
    state.counters["tokens/s"] =
        benchmark::Counter(512, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel("pp512");
}
BENCHMARK(bm_prompt)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
