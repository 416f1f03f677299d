// Preparing what a heatmap shows, off the GUI thread: pick the matrix (one head, a layer
// aggregate or rollout), optionally hide the sink, pool it down to about the screen's
// resolution and map values to colour data. The result is plain data (no QObject) that
// is handed to the GUI thread whole; the same function serves the widget (on the thread
// pool) and the headless PNG renderer (synchronously).
#pragma once

#include <QString>
#include <QThread>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "prism/viz/attention_data.h"
#include "prism/viz/widgets/view_options.h"

namespace prism::viz {

struct HeatmapRequest {
    AttentionMode mode = AttentionMode::Head;
    int layerIndex = 0;  ///< index into attention_set::layers (not the model layer number)
    int headIndex = 0;   ///< index into attention_set::heads
    ColorScale scale = ColorScale::Linear;
    bool hideSink = false;
    int64_t maxCells = 0;  ///< pool to at most this many cells per side; 0 = never
    /// The full matrix of an earlier view with the same mode/layer/head/hideSink, reused
    /// so a scale or size change does not recompute (rollout is O(L·T³)).
    std::shared_ptr<const attn_matrix> reuseFull;
};

struct HeatmapView {
    HeatmapRequest request;                   ///< what was asked (reuseFull dropped)
    std::shared_ptr<const attn_matrix> full;  ///< T×T after mode and hide-sink
    attn_matrix displayed;                    ///< full pooled by `block` (mean), what is drawn
    int64_t block = 1;                        ///< tokens per displayed cell along each axis
    std::vector<double> color;  ///< displayed.n² colour values, row-major [q][k]; NaN = masked
    double colorLower = 0;
    double colorUpper = 1;
    bool colorLog = false;          ///< colour axis is logarithmic (Log scale)
    QString colorLabel;             ///< colour-scale caption
    QString error;                  ///< non-empty: nothing to show, and why
    bool superseded = false;        ///< stopped early because a newer request came
    QThread* preparedOn = nullptr;  ///< thread that ran the preparation (tests check it)
};

/// The T×T matrix a mode shows (before hide-sink). Throws std::invalid_argument /
/// std::out_of_range with a readable message (bad index; rollout without layer 0..L-1).
attn_matrix viewMatrix(const attention_set& set, AttentionMode mode, int layerIndex, int headIndex);

/// Runs the whole preparation; never throws (errors land in HeatmapView::error).
/// `superseded`, when given, is polled between steps.
HeatmapView prepareHeatmapView(const attention_set& set, HeatmapRequest request,
                               const std::function<bool()>& superseded = {});

/// "model — layer 3, head 5", "model — layer 3, mean over heads", "model — rollout over
/// layers 0–11"; "(sink hidden)" appended when asked. Model numbering, not indices.
QString viewTitle(const attention_set& set, AttentionMode mode, int layerIndex, int headIndex,
                  bool hideSink);

}  // namespace prism::viz
