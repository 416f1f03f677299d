// Float-weight matmul (matmul_float.h) on tinyllama-1.1b's matrix shapes, next to this
// machine's own ceilings measured in the same run:
//   bm_read_bandwidth  2-thread streaming read of a 1 GiB buffer (GB/s): decode's roofline
//   bm_fma_peak        2-thread register-only FMA loop (GFLOP/s, 2 flops per FMA): GEMM's
// Decode (1 token) cycles through enough copies of the weights to exceed the L3 cache, so
// weight_GB/s is a DRAM figure; prompt batches (512 tokens) report GFLOP/s.
// Run: build/release/tests/bench/bench_gemm_float --benchmark_min_time=1
//      (--benchmark_filter=bm_matmul_float/0/2 for F32 at AVX-512, etc.)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/cpu_ops.h"
#include "prism/kernels/matmul_float.h"

using namespace prism::kernels;

namespace {

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float sum_avx512(const float* p, int64_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i + 64 <= n; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

#define PRISM_BENCH_AVX512 __attribute__((target("avx512f,fma")))
PRISM_BENCH_AVX512 inline __m512 vfma(__m512 a, __m512 b, __m512 c) {
    return _mm512_fmadd_ps(a, b, c);
}
PRISM_BENCH_AVX512 inline __m256 vfma(__m256 a, __m256 b, __m256 c) {
    return _mm256_fmadd_ps(a, b, c);
}
PRISM_BENCH_AVX512 inline void vset1(__m512& v, float f) {
    v = _mm512_set1_ps(f);
}
PRISM_BENCH_AVX512 inline void vset1(__m256& v, float f) {
    v = _mm256_set1_ps(f);
}
PRISM_BENCH_AVX512 inline float lane0(__m512 v) {
    return _mm512_cvtss_f32(v);
}
PRISM_BENCH_AVX512 inline float lane0(__m256 v) {
    return _mm256_cvtss_f32(v);
}

/// n_iter steps of 12 independent FMA chains (enough to cover latency × throughput).
template <class V> PRISM_BENCH_AVX512 float fma_chains(int64_t n_iter) {
    V a[12], b, c;
    for (int j = 0; j < 12; ++j) vset1(a[j], static_cast<float>(j));
    vset1(b, 0.999f);
    vset1(c, 1e-4f);
    for (int64_t k = 0; k < n_iter; ++k) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; ++j) a[j] = vfma(a[j], b, c);
    }
    float sum = 0;
    for (int j = 0; j < 12; ++j) sum += lane0(a[j]);
    return sum;
}
#endif

void bm_read_bandwidth(benchmark::State& state) {
#if defined(__x86_64__)
    if (!cpu_caps().avx512) return state.SkipWithError("needs AVX-512");
    const int64_t n = (int64_t{1} << 30) / 4;
    std::vector<float> buf(static_cast<size_t>(n) + 16);
    float* p = buf.data() + (16 - reinterpret_cast<uintptr_t>(buf.data()) / 4 % 16) % 16;
    thread_pool pool(2);
    pool.parallel_for(2, [&](int64_t b, int64_t e, int) {  // first touch by each thread
        std::fill(p + n / 2 * b, p + n / 2 * e, 1.0f);
    });
    std::atomic<float> sink = 0;
    for (auto _ : state)
        pool.parallel_for(2, [&](int64_t b, int64_t e, int) {
            sink = sink + sum_avx512(p + n / 2 * b, n / 2 * (e - b));
        });
    state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n) * 4,
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
#else
    state.SkipWithError("x86 only");
#endif
}

void bm_fma_peak(benchmark::State& state) {
#if defined(__x86_64__)
    if (!cpu_caps().avx512) return state.SkipWithError("needs AVX-512");
    const int width = static_cast<int>(state.range(0));
    const int64_t n_iter = 10'000'000;
    thread_pool pool(2);
    std::atomic<float> sink = 0;
    for (auto _ : state)
        pool.parallel_for(2, [&](int64_t, int64_t, int) {
            sink = sink + (width == 512 ? fma_chains<__m512>(n_iter) : fma_chains<__m256>(n_iter));
        });
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 2 * 12 * n_iter * (width / 32),
                                                   benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1000);
    state.SetLabel(width == 512 ? "zmm" : "ymm");
#else
    state.SkipWithError("x86 only");
#endif
}

struct mat_shape {
    const char* name;
    int64_t n_in, n_out;
};
// tinyllama-1.1b: attention q/o, k/v (4 KV heads), FFN gate/up, FFN down, output.
constexpr mat_shape shapes[] = {{"attn_q", 2048, 2048},
                                {"attn_kv", 2048, 256},
                                {"ffn_up", 2048, 5632},
                                {"ffn_down", 5632, 2048},
                                {"output", 2048, 32000}};

/// Args: weight type id, float_isa, n_tokens, shape index.
void bm_matmul_float(benchmark::State& state) {
    const auto type = static_cast<ggml_type>(state.range(0));
    const auto isa = static_cast<float_isa>(state.range(1));
    const int64_t n_tokens = state.range(2);
    const mat_shape& s = shapes[state.range(3)];
    if (isa > float_isa_best()) return state.SkipWithError("ISA not available");
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> wf(static_cast<size_t>(s.n_in * s.n_out));
    for (auto& v : wf) v = d(rng);
    const size_t bytes = row_size(type, s.n_in) * static_cast<size_t>(s.n_out);
    // Decode reads weights once per token: rotate over > 128 MiB so they come from DRAM.
    const size_t copies = n_tokens == 1 ? std::max<size_t>(1, (size_t{128} << 20) / bytes + 1) : 1;
    std::vector<std::vector<uint8_t>> w(copies, std::vector<uint8_t>(bytes));
    for (auto& c : w) quantize_row_ref(type, wf.data(), c.data(), s.n_in * s.n_out);
    std::vector<float> x(static_cast<size_t>(s.n_in * n_tokens)),
        y(static_cast<size_t>(s.n_out * n_tokens));
    for (auto& v : x) v = d(rng);
    thread_pool pool(2);
    size_t i = 0;
    for (auto _ : state) {
        matmul_float_at(isa, type, w[i++ % copies].data(), s.n_in, s.n_out, x.data(), n_tokens,
                        y.data(), pool);
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * s.n_in * s.n_out * n_tokens,
                                                   benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1000);
    state.counters["weight_GB/s"] = benchmark::Counter(
        static_cast<double>(bytes), benchmark::Counter::kIsIterationInvariantRate,
        benchmark::Counter::kIs1000);
    state.SetLabel(std::string(type_name(type)) + " " + float_isa_name(isa) + " " + s.name);
}

}  // namespace

BENCHMARK(bm_read_bandwidth)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_fma_peak)->Arg(512)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_matmul_float)
    ->ArgsProduct({{0, 1, 30}, {2, 1}, {1, 512}, {0, 1, 2, 3, 4}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
