// RMSNorm (Zhang & Sennrich 2019, "Root Mean Square Layer Normalization") as Llama uses
// it: y = x / sqrt(mean(x²) + eps) · weight. Sum of squares accumulated in double so the
// result does not depend on the row length's rounding.
#include <cmath>

#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

void rms_norm(const float* x, const float* weight, float* y, int64_t n_tokens, int64_t n,
              float eps) {
    for (int64_t t = 0; t < n_tokens; ++t) {
        const float* xr = x + t * n;
        float* yr = y + t * n;
        double ss = 0.0;
        for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xr[i]) * xr[i];
        const auto scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
        for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * scale * weight[i];
    }
}

}  // namespace prism::kernels
