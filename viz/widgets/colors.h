// The colour map of every attention view: viridis (perceptually uniform, readable in grey
// and by colour-blind viewers). QCustomPlot 2.1.0 has no viridis preset, so it is built
// from nine stops of matplotlib's table (van der Walt & Smith, 2015).
#pragma once

#include <QColor>

#include <qcustomplot.h>

namespace prism::viz {

/// Viridis with 256 levels; NaN (masked, e.g. future keys of a causal row) is light grey.
QCPColorGradient viridisGradient();
/// Viridis at t in [0, 1] (clamped); NaN gives the masked grey.
QColor viridisColor(double t);
/// The grey of masked cells.
QColor maskedColor();

}  // namespace prism::viz
