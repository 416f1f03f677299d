// Token display labels, CSV quoting and the thinning token-axis ticker (token_labels.h).
#include "token_labels.h"

#include "prism/viz/labels.h"

#include <QFontMetricsF>

#include <algorithm>
#include <cmath>
#include <memory>

namespace prism::viz {

QString tokenLabel(const std::string& piece, int maxChars) {
    return QString::fromStdString(token_label(piece, static_cast<size_t>(std::max(0, maxChars))));
}

QStringList tokenLabels(const std::vector<std::string>& pieces, int maxChars) {
    QStringList labels;
    labels.reserve(std::ssize(pieces));
    for (const std::string& piece : pieces) labels.push_back(tokenLabel(piece, maxChars));
    return labels;
}

QString csvLabel(const std::string& piece) {
    return QString::fromStdString(token_label(piece, 0, label_style::csv));
}

QString csvField(const QString& text) {
    return QString::fromStdString(csv_field(text.toStdString()));
}

namespace {

double axisLength(const QCPAxis* axis) {
    const QRect rect = axis->axisRect()->rect();
    return axis->orientation() == Qt::Horizontal ? rect.width() : rect.height();
}

}  // namespace

bool TokenAxisTicker::needsRegenerate() const {
    if (!m_axis || m_labels.isEmpty()) return false;
    const double length = axisLength(m_axis);
    return length > 1 && std::abs(length - m_lastLength) > 0.02 * length;
}

void keepTickersFitted(QCustomPlot* plot) {
    auto correctedFor = std::make_shared<QSize>();
    QObject::connect(plot, &QCustomPlot::afterLayout, plot, [plot, correctedFor] {
        bool stale = false;
        for (QCPAxisRect* rect : plot->axisRects()) {
            for (QCPAxis* axis : rect->axes()) {
                const auto* ticker = dynamic_cast<const TokenAxisTicker*>(axis->ticker().data());
                stale = stale || (ticker && ticker->needsRegenerate());
            }
        }
        if (stale && plot->viewport().size() != *correctedFor) {
            *correctedFor = plot->viewport().size();
            plot->replot(QCustomPlot::rpQueuedReplot);
        }
    });
}

int niceStride(double minimum) {
    if (!(minimum > 1)) return 1;
    for (double decade = 1;; decade *= 10) {
        for (const double m : {1.0, 2.0, 5.0}) {
            if (m * decade >= minimum) return static_cast<int>(m * decade);
        }
    }
}

void TokenAxisTicker::generate(const QCPRange& range, const QLocale&, QChar, int,
                               QVector<double>& ticks, QVector<double>* subTicks,
                               QVector<QString>* tickLabels) {
    ticks.clear();
    if (subTicks) subTicks->clear();
    if (tickLabels) tickLabels->clear();
    const int n = static_cast<int>(m_labels.size());
    if (n == 0 || !m_axis) return;
    const int lo = std::max(0, static_cast<int>(std::ceil(range.lower)));
    const int hi = std::min(n - 1, static_cast<int>(std::floor(range.upper)));
    if (lo > hi) return;

    double length = axisLength(m_axis);
    if (length <= 1) length = 300;  // not laid out yet: assume a small plot
    m_lastLength = length;
    const double pixelsPerPosition = length / std::max(range.size(), 1e-9);
    // Horizontal axes draw labels rotated by 90°, so along both axes a label needs one
    // line height; a little air keeps descenders apart.
    const double needed = QFontMetricsF(m_axis->tickLabelFont()).height() * 1.15 + 2;
    const int stride = niceStride(needed / pixelsPerPosition);
    m_lastStride = stride;

    for (int t = (lo + stride - 1) / stride * stride; t <= hi; t += stride) {
        ticks.push_back(t);
        if (tickLabels) {
            const QString& label = m_labels[t];
            tickLabels->push_back(stride > 1 && m_indexWhenThinned
                                      ? QStringLiteral("%1 %2").arg(t).arg(label)
                                      : label);
        }
    }
}

}  // namespace prism::viz
