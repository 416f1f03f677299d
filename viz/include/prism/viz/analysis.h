// Qt-free analyses of attention matrices (see attention_data.h), unit-tested on small
// hand-computed matrices. All inputs are causal matrices whose rows sum to 1 over keys
// 0..q; functions do not renormalize unless they say so.
//
// Sources: attention entropy and sink ("attention sink", Xiao et al. 2023, StreamingLLM);
// previous-token and induction heads (Olsson et al. 2022, "In-context Learning and
// Induction Heads"); attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow
// in Transformers").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "prism/viz/attention_data.h"

namespace prism::viz {

/// Mean over rows q of the entropy -Σ_k p[q][k] ln p[q][k] (nats; 0·ln 0 = 0). A uniform
/// row over n keys contributes ln n.
double mean_row_entropy(const attn_matrix& a);
/// Mean over rows of p[q][0]: attention mass on the first position (the "sink").
double sink_mass(const attn_matrix& a);
/// Mean over rows q >= 1 of p[q][q-1]; 0 for n < 2.
double previous_token_score(const attn_matrix& a);
/// Mean over rows of the mass on the band of the last `window` positions,
/// Σ_{k = max(0, q-window+1)}^{q} p[q][k]. window >= 1.
double local_score(const attn_matrix& a, int64_t window = 4);
/// Induction score: for each row q whose token occurred earlier at positions j with
/// j + 1 < q, the mass p[q][j+1] summed over the distinct positions j+1 (the token that
/// followed the earlier occurrence); averaged over those rows. 0 if no row qualifies.
/// tokens.size() must equal a.n.
double induction_score(const attn_matrix& a, std::span<const int32_t> tokens);

struct head_stats {
    double entropy = 0;     ///< mean_row_entropy
    double sink = 0;        ///< sink_mass
    double prev_token = 0;  ///< previous_token_score
    double local = 0;       ///< local_score (window 4)
    double induction = 0;   ///< induction_score
};
head_stats compute_head_stats(const attn_matrix& a, std::span<const int32_t> tokens);
/// Statistics of every captured (layer, head) of a set, in its mats order.
std::vector<head_stats> compute_all_head_stats(const attention_set& s);

enum class head_aggregate { mean, max };
/// Elementwise mean or max over matrices of equal size (at least one).
attn_matrix aggregate_heads(std::span<const attn_matrix* const> mats, head_aggregate how);
/// Mean or max over the captured heads of one captured layer.
attn_matrix aggregate_layer(const attention_set& s, size_t layer_index, head_aggregate how);
/// Attention rollout: per layer Â = 0.5·A + 0.5·I with rows renormalized, then
/// R = Â_L · … · Â_2 · Â_1 (first layer applied first). `per_layer` holds one matrix per
/// layer in model order (usually the head mean). Rows of R sum to 1.
attn_matrix attention_rollout(std::span<const attn_matrix> per_layer);
/// Rollout over all captured layers of a set (head means); needs every layer captured
/// from 0 upward, else std::invalid_argument.
attn_matrix attention_rollout(const attention_set& s);

/// Row q of a matrix over keys 0..q (q+1 values): what query q attended to.
std::vector<float> attention_row(const attn_matrix& a, int64_t q);

enum class pooling { mean, max };
/// Block-pools a matrix to at most max_n × max_n cells (block = ceil(n / max_n)); the last
/// block may be smaller (mean divides by its true cell count). Returns a copy if n <= max_n.
attn_matrix downsample(const attn_matrix& a, int64_t max_n, pooling how);

/// Drops column 0 (the sink) and renormalizes each row over the remaining keys (a row with
/// no other mass stays zero). Used by "hide sink" views.
attn_matrix without_sink(const attn_matrix& a);

}  // namespace prism::viz
