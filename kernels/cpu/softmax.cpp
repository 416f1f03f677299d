// Numerically stable softmax: subtract the row maximum, exponentiate, normalize.
// A row of all -inf (fully masked) yields zeros rather than NaN.
#include <algorithm>
#include <cmath>
#include <limits>

#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

void softmax(float* x, int64_t n) {
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
    if (!std::isfinite(max)) {
        for (int64_t i = 0; i < n; ++i) x[i] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace prism::kernels
