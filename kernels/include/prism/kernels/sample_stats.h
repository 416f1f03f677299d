// Summary statistics of repeated timing samples (medians, as performance reports quote
// them: robust to the odd slow run on a shared machine). Header-only.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace prism::kernels {

struct sample_stats {
    double median = 0;  ///< middle value; the mean of the two middle ones for an even count
    double min = 0;
    double max = 0;
};

/// Median, minimum and maximum of `samples`; std::invalid_argument when it is empty.
inline sample_stats sample_stats_of(std::vector<double> samples) {
    if (samples.empty()) throw std::invalid_argument("sample_stats_of: no samples");
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    const double median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    return {median, samples.front(), samples.back()};
}

}  // namespace prism::kernels
