// Micro-benchmark of the CPU matmul per weight type: decode (1 token) and a small prompt
// batch, reported in GFLOP/s and weight GB/s. Speed is reported here, never asserted in
// ctest. Run: build/release/tests/bench/bench_matmul --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "prism/kernels/cpu_ops.h"

using namespace prism::kernels;

static void bm_matmul(benchmark::State& state) {
    const auto type = static_cast<ggml_type>(state.range(0));
    const int64_t n_tokens = state.range(1), n_in = 2048, n_out = 2048;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> wf(static_cast<size_t>(n_in * n_out)),
        x(static_cast<size_t>(n_in * n_tokens)), y(static_cast<size_t>(n_out * n_tokens));
    for (auto& v : wf) v = d(rng);
    for (auto& v : x) v = d(rng);
    std::vector<uint8_t> w(row_size(type, n_in) * n_out);
    quantize_row_ref(type, wf.data(), w.data(), n_in * n_out);
    thread_pool pool(2);
    for (auto _ : state) {
        matmul(type, w.data(), n_in, n_out, x.data(), n_tokens, y.data(), pool);
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n_in * n_out * n_tokens,
                                                   benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1000);
    state.counters["weight_GB/s"] = benchmark::Counter(
        static_cast<double>(w.size()), benchmark::Counter::kIsIterationInvariantRate,
        benchmark::Counter::kIs1000);
    state.SetLabel(std::string(type_name(type)));
}

BENCHMARK(bm_matmul)->ArgsProduct({{0, 1, 30, 8, 2}, {1, 32}})->Unit(benchmark::kMicrosecond);
