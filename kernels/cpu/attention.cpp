// Causal scaled dot-product attention for one query position (Vaswani et al. 2017) with
// grouped-query attention (Ainslie et al. 2023): the `group` query heads that share one KV
// head are done in one call, so later heads find its keys and values in cache. Keys are stored
// transposed (positions contiguous per head dimension), so scores for many positions are plain
// vector FMAs with no horizontal sums; values stay position-major, so the weighted sum is vector
// FMAs over the head dimension. The caller passes only the n_kv positions the query may see (the
// causal mask is implicit). This path forms the probabilities, which attention capture reads
// directly from `probs`.
#include <algorithm>
#include <cmath>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/cpu_ops.h"
#include "simd_x86.h"

namespace prism::kernels {

namespace {

// Positions per score tile: the tile's running sums stay in registers (64 floats = 4 zmm or
// 8 ymm) while the head_dim rows of transposed keys stream by.
constexpr int64_t tile = 64;

// Scores of one head for positions [p0, p0 + count), count <= tile: s[p] = scale · Σ_d q[d] ·
// kt[d][p]. Reads a whole tile of each key row (needs p0 + tile <= kt_stride), keeps count.
[[gnu::always_inline]] inline void score_tile(const float* q, const float* kt, int64_t kt_stride,
                                              int64_t p0, int64_t count, int64_t head_dim,
                                              float scale, float* s) {
    float acc[tile] = {};
    for (int64_t d = 0; d < head_dim; ++d) {
        const float qd = q[d] * scale;
        const float* __restrict k = kt + d * kt_stride + p0;
        for (int64_t j = 0; j < tile; ++j) acc[j] += qd * k[j];
    }
    std::copy_n(acc, count, s + p0);
}

// o[d] = Σ_p w[p] · v[p][d] with the HD sums in registers.
template <int64_t HD>
[[gnu::always_inline]] inline void weighted_values(const float* w, const float* v, int64_t v_stride,
                                                   int64_t n_kv, float* o) {
    float acc[HD] = {};
    for (int64_t p = 0; p < n_kv; ++p) {
        const float wp = w[p];
        const float* __restrict vp = v + p * v_stride;
        for (int64_t d = 0; d < HD; ++d) acc[d] += wp * vp[d];
    }
    for (int64_t d = 0; d < HD; ++d) o[d] = acc[d];
}

[[gnu::always_inline]] inline void
attention_group_body(const float* q, const float* kt, int64_t kt_stride, const float* v,
                     int64_t v_stride, int64_t n_kv, int64_t group, int64_t head_dim, float* probs,
                     int64_t probs_stride, float* out) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    const int64_t n_full = n_kv / tile * tile;
    for (int64_t g = 0; g < group; ++g) {
        const float* qg = q + g * head_dim;
        float* s = probs + g * probs_stride;
        for (int64_t p0 = 0; p0 < n_full; p0 += tile)
            score_tile(qg, kt, kt_stride, p0, tile, head_dim, scale, s);
        // The last partial tile: whole-tile reads when the key rows extend that far (the KV
        // cache's rows are n_ctx long), else one position at a time.
        if (n_full < n_kv && n_full + tile <= kt_stride)
            score_tile(qg, kt, kt_stride, n_full, n_kv - n_full, head_dim, scale, s);
        else
            for (int64_t p = n_full; p < n_kv; ++p) {
                float acc = 0.0f;
                for (int64_t d = 0; d < head_dim; ++d) acc += qg[d] * scale * kt[d * kt_stride + p];
                s[p] = acc;
            }
        softmax(s, n_kv);
        float* o = out + g * head_dim;
        if (head_dim == 64) {
            weighted_values<64>(s, v, v_stride, n_kv, o);
        } else if (head_dim == 128) {
            weighted_values<128>(s, v, v_stride, n_kv, o);
        } else {
            std::fill_n(o, head_dim, 0.0f);
            for (int64_t p = 0; p < n_kv; ++p) {
                const float* __restrict vp = v + p * v_stride;
                for (int64_t d = 0; d < head_dim; ++d) o[d] += s[p] * vp[d];
            }
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
