// Streaming read bandwidth (membw.h): a large buffer summed by every thread, one contiguous
// slice each (read as 4 streams in lockstep), with AVX-512, AVX2 or scalar loads chosen at
// run time.
#include "prism/kernels/membw.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/sample_stats.h"
#include "prism/kernels/thread_pool.h"
#include "simd_x86.h"

namespace prism::kernels {

namespace {

constexpr size_t line = 64;    // bytes: one cache line, 16 floats
constexpr size_t streams = 4;  // sequential streams a thread reads in lockstep

// Each function sums n_lines cache lines at x, read as `streams` contiguous parts advanced
// together (as a matmul walks several weight rows at once): more reads in flight than one
// stream gets from the prefetchers. A remainder of fewer than `streams` lines comes last.
#ifdef PRISM_X86
PRISM_AVX512 float sum_avx512(const float* x, size_t n_lines) {
    const size_t part = n_lines / streams;
    __m512 a[streams];
    for (auto& v : a) v = _mm512_setzero_ps();
    for (size_t i = 0; i < part; ++i)
        for (size_t k = 0; k < streams; ++k)
            a[k] = _mm512_add_ps(a[k], _mm512_load_ps(x + 16 * (k * part + i)));
    for (size_t i = streams * part; i < n_lines; ++i)
        a[0] = _mm512_add_ps(a[0], _mm512_load_ps(x + 16 * i));
    return detail::hsum(_mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3])));
}

PRISM_AVX2 inline __m256 add_line(__m256 acc, const float* p) {
    return _mm256_add_ps(_mm256_add_ps(acc, _mm256_load_ps(p)), _mm256_load_ps(p + 8));
}

PRISM_AVX2 float sum_avx2(const float* x, size_t n_lines) {
    const size_t part = n_lines / streams;
    __m256 a[streams];
    for (auto& v : a) v = _mm256_setzero_ps();
    for (size_t i = 0; i < part; ++i)
        for (size_t k = 0; k < streams; ++k) a[k] = add_line(a[k], x + 16 * (k * part + i));
    for (size_t i = streams * part; i < n_lines; ++i) a[0] = add_line(a[0], x + 16 * i);
    return detail::hsum(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
}
#endif

float sum_scalar(const float* x, size_t n_lines) {
    const size_t part = n_lines / streams;
    float a[streams][16] = {};
    for (size_t i = 0; i < part; ++i)
        for (size_t k = 0; k < streams; ++k)
            for (size_t j = 0; j < 16; ++j) a[k][j] += x[16 * (k * part + i) + j];
    for (size_t i = streams * part; i < n_lines; ++i)
        for (size_t j = 0; j < 16; ++j) a[0][j] += x[16 * i + j];
    float s = 0;
    for (const auto& row : a)
        for (float v : row) s += v;
    return s;
}

struct reader {
    float (*sum)(const float*, size_t);
    const char* isa;
};

reader pick_reader() {
#ifdef PRISM_X86
    if (cpu_caps().avx512) return {sum_avx512, "AVX-512"};
    if (cpu_caps().avx2) return {sum_avx2, "AVX2"};
#endif
    return {sum_scalar, "scalar"};
}

}  // namespace

membw_result membw_read(const membw_params& p) {
    if (p.bytes < line) throw std::invalid_argument("membw_read: bytes must be >= 64");
    if (p.passes < 1) throw std::invalid_argument("membw_read: passes must be >= 1");
    const size_t n_lines = (p.bytes + line - 1) / line;
    std::unique_ptr<float, decltype(&std::free)> buf(
        static_cast<float*>(std::aligned_alloc(line, n_lines * line)), std::free);
    if (!buf) throw std::bad_alloc();
    thread_pool pool(p.n_threads);
    const reader r = pick_reader();
    // First touch by the threads that will read (pages land near them), values that sum to
    // something finite.
    pool.parallel_for(static_cast<int64_t>(n_lines), [&](int64_t l0, int64_t l1, int) {
        for (int64_t l = l0; l < l1; ++l)
            for (int j = 0; j < 16; ++j) buf.get()[16 * l + j] = 1.0f / static_cast<float>(1 + j);
    });
    std::vector<double> rates;
    std::vector<float> sums(static_cast<size_t>(pool.n_threads()));
    for (int pass = 0; pass < p.passes; ++pass) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.parallel_for(static_cast<int64_t>(n_lines), [&](int64_t l0, int64_t l1, int t) {
            sums[static_cast<size_t>(t)] +=
                r.sum(buf.get() + 16 * l0, static_cast<size_t>(l1 - l0));
        });
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rates.push_back(static_cast<double>(n_lines * line) / s);
    }
    // Keep the sums observable so the reads cannot be optimized away.
    volatile float sink = 0;
    for (float s : sums) sink = sink + s;
    const sample_stats st = sample_stats_of(rates);
    return {.bytes_per_s = st.median,
            .min_bytes_per_s = st.min,
            .max_bytes_per_s = st.max,
            .bytes = n_lines * line,
            .n_threads = pool.n_threads(),
            .passes = p.passes,
            .isa = r.isa};
}

}  // namespace prism::kernels
