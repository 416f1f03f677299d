// Token × token heatmap on a QCustomPlot (heatmap_plot.h).
#include "heatmap_plot.h"

#include <algorithm>
#include <cmath>

#include "colors.h"
#include "heatmap_view.h"
#include "token_labels.h"

namespace prism::viz {

HeatmapPlot::HeatmapPlot(QCustomPlot* plot) : m_plot(plot) {
    const ColorMapPlot parts = setupColorMapPlot(m_plot, 1.25, 14);
    m_title = parts.title;
    m_map = parts.map;
    m_scale = parts.scale;

    m_xTicker = QSharedPointer<TokenAxisTicker>::create(m_plot->xAxis);
    m_yTicker = QSharedPointer<TokenAxisTicker>::create(m_plot->yAxis);
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setSubTicks(false);
        axis->grid()->setVisible(false);
        axis->setTickLength(0, 3);
    }
    m_plot->xAxis->setTicker(m_xTicker);
    m_plot->yAxis->setTicker(m_yTicker);
    m_plot->xAxis->setTickLabelRotation(-90);
    m_plot->xAxis->setLabel(QStringLiteral("key (attended-to token)"));
    m_plot->yAxis->setLabel(QStringLiteral("query token"));
    m_plot->yAxis->setRangeReversed(true);

    m_selection = new QCPItemRect(m_plot);
    m_selection->setPen(QPen(QColor(230, 40, 40), 2));
    m_selection->setBrush(Qt::NoBrush);
    m_selection->setVisible(false);

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    const auto rangeChanged = qOverload<const QCPRange&>(&QCPAxis::rangeChanged);
    QObject::connect(m_plot->xAxis, rangeChanged, m_plot,
                     [this](const QCPRange& r) { clampRange(m_plot->xAxis, r); });
    QObject::connect(m_plot->yAxis, rangeChanged, m_plot,
                     [this](const QCPRange& r) { clampRange(m_plot->yAxis, r); });
    keepTickersFitted(m_plot);
}

void HeatmapPlot::showView(const HeatmapView& view, const QStringList& labels,
                           const QString& title) {
    m_title->setText(title);
    const int64_t n = view.full ? view.full->n : 0;
    const int64_t m = view.displayed.n;
    if (n == 0 || m == 0) {
        clear(title);
        return;
    }
    const bool sameTokens = n == m_n;
    m_n = n;
    m_xTicker->setLabels(labels);
    m_yTicker->setLabels(labels);

    // Cell centres in token coordinates: cell i covers tokens [i·b, i·b + b).
    const double b = static_cast<double>(view.block);
    const double first = (b - 1) / 2;
    QCPColorMapData* data = m_map->data();
    if (m == 1) {  // QCustomPlot needs two cells per axis to know a cell's extent
        data->setSize(2, 2);
        data->setRange(QCPRange(first - b / 4, first + b / 4),
                       QCPRange(first - b / 4, first + b / 4));
        data->fill(view.color[0]);
    } else {
        data->setSize(static_cast<int>(m), static_cast<int>(m));
        const QCPRange range(first, first + static_cast<double>(m - 1) * b);
        data->setRange(range, range);
        for (int64_t q = 0; q < m; ++q) {
            for (int64_t k = 0; k < m; ++k) {
                data->setCell(static_cast<int>(k), static_cast<int>(q),
                              view.color[static_cast<size_t>(q * m + k)]);
            }
        }
    }
    m_scale->setDataScaleType(view.colorLog ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (view.colorLog) {
        m_scale->axis()->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        m_scale->axis()->setNumberFormat(QStringLiteral("gb"));
    } else {
        m_scale->axis()->setTicker(QSharedPointer<QCPAxisTicker>::create());
        m_scale->axis()->setNumberFormat(QStringLiteral("g"));
    }
    m_scale->setDataRange(QCPRange(view.colorLower, view.colorUpper));
    m_scale->setLabel(view.colorLabel);
    m_map->setVisible(true);
    if (!sameTokens) resetRange();
    setSelectedQuery(m_selectedQuery < m_n ? m_selectedQuery : -1);
    m_plot->replot();
}

void HeatmapPlot::clear(const QString& title) {
    m_title->setText(title);
    m_n = 0;
    m_map->data()->clear();
    m_map->setVisible(false);
    m_xTicker->setLabels({});
    m_yTicker->setLabels({});
    m_selection->setVisible(false);
    m_plot->replot();
}

void HeatmapPlot::setSelectedQuery(int q) {
    m_selectedQuery = q;
    const bool visible = q >= 0 && q < m_n;
    m_selection->setVisible(visible);
    if (visible) {
        m_selection->topLeft->setCoords(-0.5, q - 0.5);
        m_selection->bottomRight->setCoords(static_cast<double>(m_n) - 0.5, q + 0.5);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool HeatmapPlot::tokenAt(const QPointF& pos, int* q, int* k) const {
    if (m_n == 0 || !m_plot->axisRect()->rect().contains(pos.toPoint())) return false;
    const long key = std::lround(m_plot->xAxis->pixelToCoord(pos.x()));
    const long value = std::lround(m_plot->yAxis->pixelToCoord(pos.y()));
    if (key < 0 || value < 0 || key >= m_n || value >= m_n) return false;
    *q = static_cast<int>(value);
    *k = static_cast<int>(key);
    return true;
}

QPointF HeatmapPlot::cellCenter(int q, int k) const {
    return {m_plot->xAxis->coordToPixel(k), m_plot->yAxis->coordToPixel(q)};
}

void HeatmapPlot::resetRange() {
    const double upper = std::max<double>(static_cast<double>(m_n), 1.0) - 0.5;
    m_plot->xAxis->setRange(-0.5, upper);
    m_plot->yAxis->setRange(-0.5, upper);
}

void HeatmapPlot::settleLayout(int width, int height) {
    m_plot->toPixmap(width, height);
}

void HeatmapPlot::clampRange(QCPAxis* axis, const QCPRange& range) {
    if (m_n == 0) return;
    const double lo = -0.5;
    const double hi = static_cast<double>(m_n) - 0.5;
    QCPRange r = range;
    if (r.size() < 1) r = QCPRange(r.center() - 0.5, r.center() + 0.5);  // at most one token
    if (r.size() >= hi - lo) {
        r = QCPRange(lo, hi);
    } else if (r.lower < lo) {
        r = QCPRange(lo, lo + r.size());
    } else if (r.upper > hi) {
        r = QCPRange(hi - r.size(), hi);
    }
    if (r != range) axis->setRange(r);
}

}  // namespace prism::viz
