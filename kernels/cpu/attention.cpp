// Causal scaled dot-product attention for one query position (Vaswani et al. 2017) with
// grouped-query attention (Ainslie et al. 2023): the `group` query heads that share one KV
// head are done together, so each key and value is loaded once for all of them. Keys are
// stored transposed (positions contiguous per head dimension), so scores for many positions
// are plain vector FMAs with no horizontal sums; values stay position-major, so the weighted
// sum is vector FMAs over the head dimension. The caller passes only the n_kv positions the
// query may see (the causal mask is implicit). This path forms the probabilities, which
// attention capture reads directly from `probs`.
#include <algorithm>
#include <cmath>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/cpu_ops.h"
#include "simd_x86.h"

namespace prism::kernels {

namespace {

// Positions per score tile: group × tile floats stay in L1 while head_dim rows stream by.
constexpr int64_t tile = 256;

[[gnu::always_inline]] inline void
attention_group_body(const float* q, const float* kt, int64_t kt_stride, const float* v,
                     int64_t v_stride, int64_t n_kv, int64_t group, int64_t head_dim, float* probs,
                     int64_t probs_stride, float* out) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    for (int64_t p0 = 0; p0 < n_kv; p0 += tile) {
        const int64_t pn = std::min(tile, n_kv - p0);
        for (int64_t g = 0; g < group; ++g) std::fill_n(probs + g * probs_stride + p0, pn, 0.0f);
        for (int64_t d = 0; d < head_dim; ++d) {
            const float* __restrict k = kt + d * kt_stride + p0;
            for (int64_t g = 0; g < group; ++g) {
                const float qd = q[g * head_dim + d] * scale;
                float* __restrict s = probs + g * probs_stride + p0;
                for (int64_t p = 0; p < pn; ++p) s[p] += qd * k[p];
            }
        }
    }
    for (int64_t g = 0; g < group; ++g) softmax(probs + g * probs_stride, n_kv);
    std::fill_n(out, group * head_dim, 0.0f);
    for (int64_t p = 0; p < n_kv; ++p) {
        const float* __restrict vp = v + p * v_stride;
        for (int64_t g = 0; g < group; ++g) {
            const float w = probs[g * probs_stride + p];
            float* __restrict o = out + g * head_dim;
            for (int64_t d = 0; d < head_dim; ++d) o[d] += w * vp[d];
        }
    }
}

void attention_group_portable(const float* q, const float* kt, int64_t kt_stride, const float* v,
                              int64_t v_stride, int64_t n_kv, int64_t group, int64_t head_dim,
                              float* probs, int64_t probs_stride, float* out) {
    attention_group_body(q, kt, kt_stride, v, v_stride, n_kv, group, head_dim, probs, probs_stride,
                         out);
}

#ifdef PRISM_X86
PRISM_AVX2 void attention_group_avx2(const float* q, const float* kt, int64_t kt_stride,
                                     const float* v, int64_t v_stride, int64_t n_kv, int64_t group,
                                     int64_t head_dim, float* probs, int64_t probs_stride,
                                     float* out) {
    attention_group_body(q, kt, kt_stride, v, v_stride, n_kv, group, head_dim, probs, probs_stride,
                         out);
}

PRISM_AVX512 void attention_group_avx512(const float* q, const float* kt, int64_t kt_stride,
                                         const float* v, int64_t v_stride, int64_t n_kv,
                                         int64_t group, int64_t head_dim, float* probs,
                                         int64_t probs_stride, float* out) {
    attention_group_body(q, kt, kt_stride, v, v_stride, n_kv, group, head_dim, probs, probs_stride,
                         out);
}
#endif

}  // namespace

void attention_group(const float* q, const float* kt, int64_t kt_stride, const float* v,
                     int64_t v_stride, int64_t n_kv, int64_t group, int64_t head_dim, float* probs,
                     int64_t probs_stride, float* out) {
#ifdef PRISM_X86
    if (cpu_caps().avx512)
        return attention_group_avx512(q, kt, kt_stride, v, v_stride, n_kv, group, head_dim, probs,
                                      probs_stride, out);
    if (cpu_caps().avx2)
        return attention_group_avx2(q, kt, kt_stride, v, v_stride, n_kv, group, head_dim, probs,
                                    probs_stride, out);
#endif
    attention_group_portable(q, kt, kt_stride, v, v_stride, n_kv, group, head_dim, probs,
                             probs_stride, out);
}

}  // namespace prism::kernels
