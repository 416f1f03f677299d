// FP32 FMA peak (fma_peak.h): register-only chains of vector FMAs on every thread, with the
// widest FMA the CPU has, chosen at run time.
#include "prism/kernels/fma_peak.h"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/sample_stats.h"
#include "prism/kernels/thread_pool.h"
#include "simd_x86.h"

namespace prism::kernels {

namespace {

// acc = acc · m + c converges to c / (1 - m) = 1: values stay normal for any length.
constexpr float mul = 0.99999f, add = 1e-5f;

#ifdef PRISM_X86
constexpr int avx512_chains = 16, avx512_lanes = 16;
PRISM_AVX512 float chains_avx512(int64_t iters) {
    const __m512 m = _mm512_set1_ps(mul), c = _mm512_set1_ps(add);
    __m512 acc[avx512_chains];
    for (int j = 0; j < avx512_chains; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j));
    for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
        for (int j = 0; j < avx512_chains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], m, c);
    }
    __m512 s = acc[0];
    for (int j = 1; j < avx512_chains; ++j) s = _mm512_add_ps(s, acc[j]);
    return detail::hsum(s);
}

constexpr int avx2_chains = 12, avx2_lanes = 8;
PRISM_AVX2 float chains_avx2(int64_t iters) {
    const __m256 m = _mm256_set1_ps(mul), c = _mm256_set1_ps(add);
    __m256 acc[avx2_chains];
    for (int j = 0; j < avx2_chains; ++j) acc[j] = _mm256_set1_ps(static_cast<float>(j));
    for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
        for (int j = 0; j < avx2_chains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], m, c);
    }
    __m256 s = acc[0];
    for (int j = 1; j < avx2_chains; ++j) s = _mm256_add_ps(s, acc[j]);
    return detail::hsum(s);
}
#endif

constexpr int scalar_chains = 8;
float chains_scalar(int64_t iters) {
    float acc[scalar_chains];
    for (int j = 0; j < scalar_chains; ++j) acc[j] = static_cast<float>(j);
    for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 8
        for (int j = 0; j < scalar_chains; ++j) acc[j] = acc[j] * mul + add;
    }
    float s = 0;
    for (float v : acc) s += v;
    return s;
}

struct fma_loop {
    float (*run)(int64_t iters);
    double flops_per_iter;  // per thread
    const char* isa;
};

fma_loop pick_loop() {
#ifdef PRISM_X86
    if (cpu_caps().avx512) return {chains_avx512, 2.0 * avx512_chains * avx512_lanes, "AVX-512"};
    if (cpu_caps().avx2) return {chains_avx2, 2.0 * avx2_chains * avx2_lanes, "AVX2"};
#endif
    return {chains_scalar, 2.0 * scalar_chains, "scalar"};
}

}  // namespace

fma_peak_result fma_peak(int n_threads, int passes) {
    if (passes < 1) throw std::invalid_argument("fma_peak: passes must be >= 1");
    thread_pool pool(n_threads);
    const fma_loop loop = pick_loop();
    const int n = pool.n_threads();
    std::vector<float> sink(static_cast<size_t>(n));
    const auto timed = [&](int64_t iters) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.parallel_for(
            n, [&](int64_t, int64_t, int t) { sink[static_cast<size_t>(t)] += loop.run(iters); });
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    // Calibrate: grow a pass until it takes 10 ms, then size the timed ones to about 0.1 s.
    int64_t iters = 1 << 12;
    double s = timed(iters);
    while (s < 0.01 && iters < (int64_t{1} << 40)) s = timed(iters *= 4);
    iters = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iters) * 0.1 / s));
    std::vector<double> rates;
    for (int pass = 0; pass < passes; ++pass)
        rates.push_back(loop.flops_per_iter * static_cast<double>(iters) * n / timed(iters));
    volatile float keep = 0;  // the sums stay observable, so the loops cannot be dropped
    for (float v : sink) keep = keep + v;
    return {.flops_per_s = sample_stats_of(rates).median,
            .n_threads = n,
            .passes = passes,
            .isa = loop.isa};
}

}  // namespace prism::kernels
