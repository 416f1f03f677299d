// The QCustomPlot side of a token × token heatmap, shared by the interactive widget and
// the headless PNG renderer: a title row, a QCPColorMap in token coordinates (one unit =
// one token even when the data is pooled, so axes, hover and zoom stay in tokens), a
// viridis colour scale with its caption, thinned token labels on both axes (queries top to
// bottom on y, keys on x), a selected-query outline, and range clamping for drag and zoom.
#pragma once

#include <QPointF>
#include <QSharedPointer>
#include <QString>
#include <QStringList>

#include <qcustomplot.h>

#include <cstdint>

namespace prism::viz {

struct HeatmapView;
class TokenAxisTicker;

class HeatmapPlot {
public:
    /// Sets up `plot` (owned by the caller) and keeps pointers into it.
    explicit HeatmapPlot(QCustomPlot* plot);

    /// Shows a prepared view; `labels` are the display labels of all T tokens.
    void showView(const HeatmapView& view, const QStringList& labels, const QString& title);
    /// Removes the data (title kept as given).
    void clear(const QString& title);
    /// Outlines query row q (token position); -1 hides the outline.
    void setSelectedQuery(int q);
    /// Token (query q, key k) under a plot-widget pixel; false outside the data.
    bool tokenAt(const QPointF& pos, int* q, int* k) const;
    /// Plot-widget pixel at the centre of token cell (q, k).
    QPointF cellCenter(int q, int k) const;
    /// Shows all tokens (undo zoom and pan).
    void resetRange();
    /// Lays the plot out once at width × height so the following export at that size
    /// thins its labels for that size, not the on-screen one.
    void settleLayout(int width, int height);

    int64_t tokenCount() const { return m_n; }
    QCustomPlot* plot() const { return m_plot; }

private:
    void clampRange(QCPAxis* axis, const QCPRange& range);

    QCustomPlot* m_plot;
    QCPTextElement* m_title;
    QCPColorMap* m_map;
    QCPColorScale* m_scale;
    QCPItemRect* m_selection;
    QSharedPointer<TokenAxisTicker> m_xTicker;
    QSharedPointer<TokenAxisTicker> m_yTicker;
    int64_t m_n = 0;
    int m_selectedQuery = -1;
};

}  // namespace prism::viz
