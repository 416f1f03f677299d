// The machine probes `prism bench` reports against (membw.h, fma_peak.h) and the sample
// statistics it quotes (sample_stats.h). Speeds are noisy on shared machines, so only their
// sanity is checked: positive, finite, the stated ISA, argument errors; never a timing.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/fma_peak.h"
#include "prism/kernels/membw.h"
#include "prism/kernels/sample_stats.h"

using namespace prism::kernels;

namespace {

std::string expected_isa() {
    if (cpu_caps().avx512) return "AVX-512";
    if (cpu_caps().avx2) return "AVX2";
    return "scalar";
}

}  // namespace

TEST(membw, reports_a_positive_median_between_min_and_max) {
    const auto r = membw_read({.bytes = (size_t{32} << 20) + 1, .n_threads = 2, .passes = 3});
    EXPECT_TRUE(std::isfinite(r.bytes_per_s));
    EXPECT_GT(r.bytes_per_s, 0);
    EXPECT_LE(r.min_bytes_per_s, r.bytes_per_s);
    EXPECT_GE(r.max_bytes_per_s, r.bytes_per_s);
    EXPECT_EQ(r.bytes, (size_t{32} << 20) + 64);  // rounded up to whole cache lines
    EXPECT_EQ(r.n_threads, 2);
    EXPECT_EQ(r.passes, 3);
    EXPECT_EQ(r.isa, expected_isa());
}

TEST(membw, rejects_empty_measurements) {
    EXPECT_THROW(membw_read({.bytes = 63}), std::invalid_argument);
    EXPECT_THROW(membw_read({.bytes = 1 << 20, .passes = 0}), std::invalid_argument);
}

TEST(fma_peak, reports_a_positive_rate_with_the_widest_fma) {
    const auto r = fma_peak(1, 1);
    EXPECT_TRUE(std::isfinite(r.flops_per_s));
    EXPECT_GT(r.flops_per_s, 0);
    EXPECT_EQ(r.n_threads, 1);
    EXPECT_EQ(r.passes, 1);
    EXPECT_EQ(r.isa, expected_isa());
    EXPECT_THROW(fma_peak(1, 0), std::invalid_argument);
}

TEST(sample_stats, median_min_max) {
    const auto odd = sample_stats_of({3, 1, 2});
    EXPECT_EQ(odd.median, 2);
    EXPECT_EQ(odd.min, 1);
    EXPECT_EQ(odd.max, 3);
    EXPECT_EQ(sample_stats_of({4, 1, 2, 3}).median, 2.5);
    EXPECT_EQ(sample_stats_of({7}).median, 7);
    EXPECT_THROW(sample_stats_of({}), std::invalid_argument);
}
