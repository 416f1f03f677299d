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

/// The parts every attention plot has: a bold title row above the axis rect, a colour map
/// on the plot's x/y axes and a colour scale on the right sharing the axis rect's vertical
/// margins, all in viridis on white. Owned by `plot`.
struct ColorMapPlot {
    QCPTextElement* title = nullptr;
    QCPColorMap* map = nullptr;
    QCPColorScale* scale = nullptr;
};
/// Builds them on an empty plot; the title font is the plot's, bold, scaled by titleScale.
ColorMapPlot setupColorMapPlot(QCustomPlot* plot, double titleScale, int barWidth);

}  // namespace prism::viz
