// Elementwise residual add y += x.
#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

void add_inplace(float* y, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace prism::kernels
