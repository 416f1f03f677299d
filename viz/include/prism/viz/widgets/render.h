// Headless rendering of attention to PNG files, used by the CLI (`prism attention --png`,
// `--grid-png`) and by reports. Both functions need a QApplication to exist (the caller's
// job; the offscreen platform plugin is enough) and run synchronously on the calling
// thread. They return false with a readable message in *error (when given) on failure.
#pragma once

#include <QSize>
#include <QString>

#include <cstdint>

#include "prism/viz/attention_data.h"

namespace prism::viz {

/// Image size renderHeatmapPng uses for T tokens: grows with T (16 px per token) between
/// 900 × 840 and 1600 × 1540 pixels.
QSize heatmapPngSize(int64_t nTokens);

/// One head's T × T heatmap as a PNG a person can read: title "model — layer L, head H",
/// token labels on both axes (thinned when crowded), a viridis colour scale captioned
/// "attention probability"; pooled to the image's resolution for long sequences.
/// layerIndex / headIndex index attention_set::layers / ::heads.
bool renderHeatmapPng(const attention_set& set, int layerIndex, int headIndex, const QString& path,
                      QString* error = nullptr);

/// Image size renderHeadGridPng uses for a set (depends on its captured layers and heads).
QSize headGridPngSize(const attention_set& set);

/// Every captured head as a small heatmap thumbnail on a layers × heads grid, each titled
/// with its mean row entropy ("L2 H5 · H=1.23"), under a header naming the model.
bool renderHeadGridPng(const attention_set& set, const QString& path, QString* error = nullptr);

}  // namespace prism::viz
