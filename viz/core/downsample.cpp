// Block pooling of an attention matrix for display: a 2048×2048 capture is shown on a few
// hundred pixels, so the heatmap draws a max_n × max_n summary whose cells pool square
// blocks of block = ceil(n / max_n) rows and columns (the last block row and column may be
// narrower). Mean pooling divides by each block's true cell count, so the mean of a block
// that straddles the causal diagonal includes its zeros; max pooling keeps peaks visible,
// which is what matters for sparse heads. One row-major pass, O(n²).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "prism/viz/analysis.h"
#include "validate.h"

namespace prism::viz {

attn_matrix downsample(const attn_matrix& a, int64_t max_n, pooling how) {
    detail::check_matrix(a, "downsample");
    if (max_n < 1)
        throw std::invalid_argument("downsample: max_n = " + std::to_string(max_n) +
                                    ", must be at least 1");
    if (a.n <= max_n) return a;

    const int64_t n = a.n;
    const int64_t block = (n + max_n - 1) / max_n;
    const int64_t m = (n + block - 1) / block;
    attn_matrix out(m);
    const double init = how == pooling::max ? -std::numeric_limits<double>::infinity() : 0.0;
    std::vector<double> acc(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i) {
        const int64_t r0 = i * block;
        const int64_t r1 = std::min(n, r0 + block);
        std::fill(acc.begin(), acc.end(), init);
        for (int64_t r = r0; r < r1; ++r) {
            const float* row = a.p.data() + r * n;
            for (int64_t j = 0; j < m; ++j) {
                const int64_t c1 = std::min(n, (j + 1) * block);
                double& cell = acc[static_cast<size_t>(j)];
                if (how == pooling::max)
                    for (int64_t c = j * block; c < c1; ++c)
                        cell = std::max(cell, static_cast<double>(row[c]));
                else
                    for (int64_t c = j * block; c < c1; ++c) cell += row[c];
            }
        }
        for (int64_t j = 0; j < m; ++j) {
            double v = acc[static_cast<size_t>(j)];
            if (how == pooling::mean) {
                const int64_t cols = std::min(n, (j + 1) * block) - j * block;
                v /= static_cast<double>((r1 - r0) * cols);
            }
            out.at(i, j) = static_cast<float>(v);
        }
    }
    return out;
}

}  // namespace prism::viz
