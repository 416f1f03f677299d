// Rotary position embeddings (Su et al. 2021, RoFormer §3.4). Pair i of a head turns by
// pos · theta^(-2i/n_rot). Two pairings exist in the wild: adjacent elements (Meta's
// original code, llama2.c, GGUF llama) and the two halves of the head ("rotate_half", as
// Hugging Face and GPT-NeoX store q/k). Angles are computed in double, as llama2.c's
// reference does in float; both agree to float precision.
#include <cmath>

#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t n_rot,
          const int32_t* pos, float theta, rope_pairing pairing) {
    const int64_t half = n_rot / 2;
    for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t i = 0; i < half; ++i) {
            const double freq =
                std::pow(static_cast<double>(theta),
                         -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
            const double angle = static_cast<double>(pos[t]) * freq;
            const auto c = static_cast<float>(std::cos(angle));
            const auto s = static_cast<float>(std::sin(angle));
            for (int64_t h = 0; h < n_heads; ++h) {
                float* v = x + (t * n_heads + h) * head_dim;
                const int64_t a = pairing == rope_pairing::adjacent ? 2 * i : i;
                const int64_t b = pairing == rope_pairing::adjacent ? 2 * i + 1 : i + half;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * c - x1 * s;
                v[b] = x0 * s + x1 * c;
            }
        }
    }
}

}  // namespace prism::kernels
