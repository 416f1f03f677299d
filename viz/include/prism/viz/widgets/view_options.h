// What an attention view shows, shared by the heatmap, the token strip and the headless
// renderers: which matrix (one head, an aggregate over a layer's heads, or rollout over
// all layers) and how values map to colour.
#pragma once

#include <QString>

namespace prism::viz {

/// Which matrix a view shows. Head: one captured (layer, head); MeanOverHeads /
/// MaxOverHeads: aggregate_layer() over the captured heads of one layer; Rollout:
/// attention_rollout() over every captured layer (needs layers 0..L-1 captured).
enum class AttentionMode { Head, MeanOverHeads, MaxOverHeads, Rollout };

/// How probabilities map to colour. Linear: [0, max]. Log: logarithmic between the
/// smallest nonzero value and the max. Rank: each value's percentile among the displayed
/// nonzero values (0 = smallest, 1 = largest), which spreads skewed distributions evenly.
enum class ColorScale { Linear, Log, Rank };

/// Display names ("Head", "Mean over heads", ...; "Linear", "Log", "Rank").
QString attentionModeName(AttentionMode mode);
QString colorScaleName(ColorScale scale);

}  // namespace prism::viz
