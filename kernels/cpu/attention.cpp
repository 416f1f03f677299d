// Causal scaled dot-product attention for one query position (Vaswani et al. 2017) with
// grouped-query attention (Ainslie et al. 2023): query head h shares KV head
// h / (n_head / n_head_kv). The caller passes only the n_kv positions the query may see, so
// the causal mask is implicit. This is the unfused path: it forms the probability matrix,
// which attention capture can copy out (probs_out).
#include <cmath>

#include "prism/kernels/cpu_ops.h"

namespace prism::kernels {

void attention_row(const float* q, const float* k, const float* v, int64_t kv_stride, int64_t n_kv,
                   int64_t n_head, int64_t n_head_kv, int64_t head_dim, float* scores, float* out,
                   float* probs_out, int64_t probs_stride) {
    const int64_t group = n_head / n_head_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    for (int64_t h = 0; h < n_head; ++h) {
        const int64_t kvh = h / group;
        const float* qh = q + h * head_dim;
        for (int64_t p = 0; p < n_kv; ++p)
            scores[p] =
                dot_row(ggml_type::f32, k + p * kv_stride + kvh * head_dim, qh, head_dim) * scale;
        softmax(scores, n_kv);
        if (probs_out) {
            for (int64_t p = 0; p < n_kv; ++p) probs_out[h * probs_stride + p] = scores[p];
        }
        float* oh = out + h * head_dim;
        for (int64_t d = 0; d < head_dim; ++d) oh[d] = 0.0f;
        for (int64_t p = 0; p < n_kv; ++p) {
            const float* vp = v + p * kv_stride + kvh * head_dim;
            const float w = scores[p];
            for (int64_t d = 0; d < head_dim; ++d) oh[d] += w * vp[d];
        }
    }
}

}  // namespace prism::kernels
