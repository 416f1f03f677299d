// SwiGLU feed-forward gate (Shazeer 2020, "GLU Variants Improve Transformer"):
// silu(gate) · up, with silu(x) = x / (1 + e^-x).
#include <cmath>

#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

void swiglu(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace prism::kernels
