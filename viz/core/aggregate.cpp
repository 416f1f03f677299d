// Head aggregation: the elementwise mean or max of several attention matrices of one layer,
// the usual way to show "what the layer attends to" when per-head views are too many
// (the head-mean is also the per-layer input of attention rollout, Abnar & Zuidema 2020).
// One pass over each matrix, accumulating in float into the output, so a layer of h heads
// of n×n costs O(h·n²) time and O(n²) extra memory.
#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "prism/viz/analysis.h"
#include "validate.h"

namespace prism::viz {

attn_matrix aggregate_heads(std::span<const attn_matrix* const> mats, head_aggregate how) {
    if (mats.empty()) throw std::invalid_argument("aggregate_heads: no matrices to aggregate");
    for (size_t i = 0; i < mats.size(); ++i) {
        if (mats[i] == nullptr)
            throw std::invalid_argument("aggregate_heads: matrix " + std::to_string(i) +
                                        " is null");
        detail::check_matrix(*mats[i], "aggregate_heads");
        if (mats[i]->n != mats[0]->n)
            throw std::invalid_argument(
                "aggregate_heads: matrix " + std::to_string(i) + " is " +
                std::to_string(mats[i]->n) + "x" + std::to_string(mats[i]->n) + ", matrix 0 is " +
                std::to_string(mats[0]->n) + "x" + std::to_string(mats[0]->n));
    }
    attn_matrix out = *mats[0];
    const size_t cells = out.p.size();
    float* o = out.p.data();
    for (size_t i = 1; i < mats.size(); ++i) {
        const float* x = mats[i]->p.data();
        if (how == head_aggregate::max)
            for (size_t c = 0; c < cells; ++c) o[c] = std::max(o[c], x[c]);
        else
            for (size_t c = 0; c < cells; ++c) o[c] += x[c];
    }
    if (how == head_aggregate::mean && mats.size() > 1) {
        const float scale = 1.0f / static_cast<float>(mats.size());
        for (size_t c = 0; c < cells; ++c) o[c] *= scale;
    }
    return out;
}

attn_matrix aggregate_layer(const attention_set& s, size_t layer_index, head_aggregate how) {
    detail::check_set(s, "aggregate_layer");
    if (layer_index >= s.layers.size())
        throw std::out_of_range("aggregate_layer: layer index " + std::to_string(layer_index) +
                                " but the set captured " + std::to_string(s.layers.size()) +
                                " layers");
    if (s.heads.empty()) throw std::invalid_argument("aggregate_layer: the set captured no heads");
    std::vector<const attn_matrix*> heads;
    heads.reserve(s.heads.size());
    for (size_t h = 0; h < s.heads.size(); ++h) heads.push_back(&s.at(layer_index, h));
    return aggregate_heads(heads, how);
}

}  // namespace prism::viz
