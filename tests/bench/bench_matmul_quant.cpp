// Micro-benchmark of the quantized matmul (matmul_quant.h) on tinyllama-1.1B shapes
// (n_in × n_out = 2048 × 2048, 2048 × 5632, 5632 × 2048, 2048 × 32000), decode (1 token)
// and prompt processing (512 tokens), with 2 threads, against the machine's streaming read
// bandwidth measured the same way (bm_stream_read: 2 threads over 1 GiB).
//
// Decode cycles through enough copies of the weights (>= 256 MiB) that every call reads
// them from DRAM, as a model's forward does, rather than from the 32 MiB L3. Counters:
// weight_GB/s (weight bytes / time) and GOP/s (2 · n_in · n_out · n_tokens / time).
// Weight bytes are random with fixed scales: speed does not depend on the values. Speed is
// reported here, never asserted in ctest. Machines are shared: rerun and take the best.
// Run: build/release/tests/bench/bench_matmul_quant --benchmark_min_time=0.5
// (PRISM_CPU_FEATURES=avx2|portable measures the lower levels).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "prism/kernels/cpu_ops.h"
#include "prism/kernels/matmul_quant.h"

using namespace prism::kernels;

namespace {

/// n_out rows of random quants whose f16 scales are all 0.01 (min scales 0.001).
std::vector<uint8_t> random_weights(ggml_type t, int64_t n_in, int64_t n_out, uint32_t seed) {
    std::vector<uint8_t> w(row_size(t, n_in) * n_out);
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i + 8 <= w.size(); i += 8) {
        const uint64_t v = rng();
        std::memcpy(w.data() + i, &v, 8);
    }
    const auto tr = type_info(t);
    const size_t d_at = t == ggml_type::q6_k ? offsetof(block_q6_k, d) : 0;
    const uint16_t d = fp32_to_fp16(0.01f), dmin = fp32_to_fp16(0.001f);
    for (size_t b = 0; b < w.size() / tr.type_size; ++b) {
        std::memcpy(w.data() + b * tr.type_size + d_at, &d, 2);
        if (t == ggml_type::q4_k || t == ggml_type::q5_k)
            std::memcpy(w.data() + b * tr.type_size + 2, &dmin, 2);
    }
    return w;
}

void bm_stream_read(benchmark::State& state) {
    const size_t n = (size_t{1} << 30) / sizeof(uint64_t);
    std::vector<uint64_t> a(n, 1);
    thread_pool pool(2);
    uint64_t sink = 0;
    for (auto _ : state) {
        uint64_t part[2] = {};
        pool.parallel_for(static_cast<int64_t>(n), [&](int64_t i0, int64_t i1, int t) {
            uint64_t s = 0;
            for (int64_t i = i0; i < i1; ++i) s += a[static_cast<size_t>(i)];
            part[t] = s;
        });
        sink += part[0] + part[1];
    }
    benchmark::DoNotOptimize(sink);
    state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n * sizeof(uint64_t)),
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

void bm_matmul_quant(benchmark::State& state) {
    const auto type = static_cast<ggml_type>(state.range(0));
    const int64_t n_in = state.range(1), n_out = state.range(2), n_tokens = state.range(3);
    const size_t bytes = row_size(type, n_in) * n_out;
    const size_t copies = n_tokens == 1 ? std::max<size_t>(1, (size_t{256} << 20) / bytes + 1) : 1;
    std::vector<std::vector<uint8_t>> w;
    for (size_t c = 0; c < copies; ++c)
        w.push_back(random_weights(type, n_in, n_out, static_cast<uint32_t>(c)));
    std::mt19937 rng(1);
    std::normal_distribution<float> d(0, 1);
    std::vector<float> x(static_cast<size_t>(n_in * n_tokens)),
        y(static_cast<size_t>(n_out * n_tokens));
    for (auto& v : x) v = d(rng);
    thread_pool pool(2);
    size_t c = 0;
    for (auto _ : state) {
        matmul(type, w[c].data(), n_in, n_out, x.data(), n_tokens, y.data(), pool);
        c = (c + 1) % copies;
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["GOP/s"] = benchmark::Counter(2.0 * n_in * n_out * n_tokens,
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
    state.counters["weight_GB/s"] = benchmark::Counter(
        static_cast<double>(bytes), benchmark::Counter::kIsIterationInvariantRate,
        benchmark::Counter::kIs1000);
    state.SetLabel(std::string(type_name(type)) + " " + quant_isa_name(quant_isa_best()));
}

void shapes(benchmark::internal::Benchmark* b) {
    for (int64_t tokens : {1, 512})
        for (auto t :
             {ggml_type::q8_0, ggml_type::q4_0, ggml_type::q4_k, ggml_type::q5_k, ggml_type::q6_k})
            for (auto [n_in, n_out] : {std::pair<int64_t, int64_t>{2048, 2048},
                                       {2048, 5632},
                                       {5632, 2048},
                                       {2048, 32000}})
                b->Args({static_cast<int64_t>(t), n_in, n_out, tokens});
}

}  // namespace

BENCHMARK(bm_stream_read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_matmul_quant)
    ->Apply(shapes)
    ->ArgNames({"type", "n_in", "n_out", "tokens"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
