// Headless PNG rendering (render.h). The heatmap reuses the widget's HeatmapPlot on an
// unshown QCustomPlot, laid out once at the output size before saving so label thinning
// fits the image. The head grid is painted directly with QPainter: hundreds of QCustomPlot
// axis rects would be slow and add nothing to thumbnails; thumbnails are pooled with
// downsample() on the thread pool.
#include "prism/viz/widgets/render.h"

#include <QApplication>
#include <QFontMetrics>
#include <QImage>
#include <QLinearGradient>
#include <QPainter>
#include <QtConcurrent/QtConcurrentMap>

#include <qcustomplot.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "colors.h"
#include "heatmap_plot.h"
#include "heatmap_view.h"
#include "prism/viz/analysis.h"
#include "token_labels.h"

namespace prism::viz {

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

bool haveApplication(QString* error) {
    if (qobject_cast<QApplication*>(QCoreApplication::instance())) return true;
    return fail(error, QStringLiteral("rendering needs a QApplication (none exists)"));
}

bool usableSet(const attention_set& set, QString* error) {
    if (set.mats.empty() || set.n_tokens() == 0)
        return fail(error, QStringLiteral("no attention captured"));
    if (set.mats.size() != set.layers.size() * set.heads.size())
        return fail(error, QStringLiteral("attention set has %1 matrices for %2 layers × %3 heads")
                               .arg(set.mats.size())
                               .arg(set.layers.size())
                               .arg(set.heads.size()));
    return true;
}

// Head grid geometry, shared by headGridPngSize and the painter.
struct GridGeometry {
    int margin = 24;
    int header = 64;
    int rowLabel = 56;
    int thumb = 0;
    int titleHeight = 18;
    int gapX = 14;
    int gapY = 12;
    int footer = 44;
    int nLayers = 0;
    int nHeads = 0;

    int cellWidth() const { return thumb + gapX; }
    int rowHeight() const { return titleHeight + thumb + gapY; }
    QSize size() const {
        return {std::max(1000, 2 * margin + rowLabel + nHeads * cellWidth()),
                2 * margin + header + nLayers * rowHeight() + footer};
    }
    QPoint thumbOrigin(int layer, int head) const {
        return {margin + rowLabel + head * cellWidth(),
                margin + header + layer * rowHeight() + titleHeight};
    }
};

GridGeometry gridGeometry(const attention_set& set) {
    GridGeometry g;
    g.nLayers = static_cast<int>(set.layers.size());
    g.nHeads = static_cast<int>(set.heads.size());
    g.thumb = std::clamp(1800 / std::max(g.nHeads, 1), 110, 180);
    return g;
}

QFont pixelFont(int pixels, bool bold = false) {
    QFont font = QApplication::font();
    font.setPixelSize(pixels);
    font.setBold(bold);
    return font;
}

struct Thumbnail {
    QImage image;
    double entropy = 0;
};

}  // namespace

QSize heatmapPngSize(int64_t nTokens) {
    const int side = static_cast<int>(std::clamp<int64_t>(300 + 16 * nTokens, 840, 1540));
    return {side + 60, side};
}

bool renderHeatmapPng(const attention_set& set, int layerIndex, int headIndex, const QString& path,
                      QString* error) {
    if (!haveApplication(error) || !usableSet(set, error)) return false;
    if (layerIndex < 0 || static_cast<size_t>(layerIndex) >= set.layers.size())
        return fail(error, QStringLiteral("layer index %1 out of range (%2 captured)")
                               .arg(layerIndex)
                               .arg(set.layers.size()));
    if (headIndex < 0 || static_cast<size_t>(headIndex) >= set.heads.size())
        return fail(error, QStringLiteral("head index %1 out of range (%2 captured)")
                               .arg(headIndex)
                               .arg(set.heads.size()));
    const QSize size = heatmapPngSize(set.n_tokens());
    const HeatmapView view = prepareHeatmapView(set, HeatmapRequest{.mode = AttentionMode::Head,
                                                                    .layerIndex = layerIndex,
                                                                    .headIndex = headIndex,
                                                                    .maxCells = size.height()});
    if (!view.error.isEmpty()) return fail(error, view.error);

    QCustomPlot plot;
    plot.resize(size);
    QFont font = plot.font();
    font.setPixelSize(13);
    for (QCPAxis* axis : {plot.xAxis, plot.yAxis}) {
        axis->setTickLabelFont(font);
        axis->setLabelFont(font);
    }
    HeatmapPlot heatmap(&plot);
    QStringList labels = tokenLabels(set.pieces, 16);
    while (labels.size() < set.n_tokens()) labels.push_back(QString::number(labels.size()));
    heatmap.showView(view, labels,
                     viewTitle(set, AttentionMode::Head, layerIndex, headIndex, false));
    heatmap.settleLayout(size.width(), size.height());
    if (!plot.savePng(path, size.width(), size.height()))
        return fail(error, QStringLiteral("could not write PNG %1").arg(path));
    return true;
}

QSize headGridPngSize(const attention_set& set) {
    return gridGeometry(set).size();
}

bool renderHeadGridPng(const attention_set& set, const QString& path, QString* error) {
    if (!haveApplication(error) || !usableSet(set, error)) return false;
    const GridGeometry g = gridGeometry(set);

    // Thumbnails and entropies in parallel: one task per head.
    std::vector<Thumbnail> thumbs(set.mats.size());
    std::vector<size_t> indices(set.mats.size());
    std::iota(indices.begin(), indices.end(), size_t{0});
    QtConcurrent::blockingMap(indices, [&](size_t i) {
        const attn_matrix& full = set.mats[i];
        const attn_matrix small = downsample(full, g.thumb, pooling::mean);
        float maxValue = 0;
        for (const float v : small.p) maxValue = std::max(maxValue, v);
        QImage image(static_cast<int>(small.n), static_cast<int>(small.n), QImage::Format_RGB32);
        for (int64_t q = 0; q < small.n; ++q) {
            auto* line = reinterpret_cast<QRgb*>(image.scanLine(static_cast<int>(q)));
            for (int64_t k = 0; k < small.n; ++k) {
                const float v = small.at(q, k);
                line[k] = (k > q && v == 0) ? maskedColor().rgb()
                                            : viridisColor(maxValue > 0 ? v / maxValue : 0).rgb();
            }
        }
        thumbs[i] = Thumbnail{.image = std::move(image), .entropy = mean_row_entropy(full)};
    });

    const QSize size = g.size();
    QImage canvas(size, QImage::Format_RGB32);
    canvas.fill(Qt::white);
    QPainter painter(&canvas);
    painter.setRenderHint(QPainter::TextAntialiasing);
    const QColor ink(30, 30, 30);
    const QColor muted(90, 90, 90);

    const QString model =
        set.model.empty() ? QStringLiteral("attention") : QString::fromStdString(set.model);
    painter.setFont(pixelFont(18, true));
    painter.setPen(ink);
    painter.drawText(QRect(g.margin, g.margin, size.width() - 2 * g.margin, 26),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     QStringLiteral("%1 — attention of every captured head (%2 layers × %3 "
                                    "heads, %4 tokens)")
                         .arg(model)
                         .arg(g.nLayers)
                         .arg(g.nHeads)
                         .arg(set.n_tokens()));
    painter.setFont(pixelFont(13));
    painter.setPen(muted);
    painter.drawText(QRect(g.margin, g.margin + 28, size.width() - 2 * g.margin, 20),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     QStringLiteral("rows = query tokens (top to bottom), columns = key tokens; "
                                    "each thumbnail scaled to its own maximum; H = mean row "
                                    "entropy in nats"));

    for (int l = 0; l < g.nLayers; ++l) {
        const QPoint rowOrigin = g.thumbOrigin(l, 0);
        painter.setFont(pixelFont(14, true));
        painter.setPen(ink);
        painter.drawText(QRect(g.margin, rowOrigin.y(), g.rowLabel - 8, g.thumb),
                         Qt::AlignRight | Qt::AlignVCenter,
                         QStringLiteral("L%1").arg(set.layers[static_cast<size_t>(l)]));
        for (int h = 0; h < g.nHeads; ++h) {
            const size_t i =
                static_cast<size_t>(l) * static_cast<size_t>(g.nHeads) + static_cast<size_t>(h);
            const QPoint origin = g.thumbOrigin(l, h);
            const QString title = QStringLiteral("L%1 H%2 · H=%3")
                                      .arg(set.layers[static_cast<size_t>(l)])
                                      .arg(set.heads[static_cast<size_t>(h)])
                                      .arg(thumbs[i].entropy, 0, 'f', 2);
            int pixels = 12;
            while (pixels > 9 && QFontMetrics(pixelFont(pixels)).horizontalAdvance(title) > g.thumb)
                --pixels;
            painter.setFont(pixelFont(pixels));
            painter.setPen(ink);
            const QFontMetrics fm(painter.font());
            painter.drawText(QRect(origin.x(), origin.y() - g.titleHeight, g.thumb, g.titleHeight),
                             Qt::AlignLeft | Qt::AlignVCenter,
                             fm.elidedText(title, Qt::ElideRight, g.thumb));
            const QRect target(origin, QSize(g.thumb, g.thumb));
            painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
            painter.drawImage(target, thumbs[i].image);
            painter.setPen(QPen(QColor(180, 180, 180), 1));
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(target.adjusted(0, 0, -1, -1));
        }
    }

    // Colour key.
    const int barY = size.height() - g.margin - 20;
    const QRect bar(g.margin + g.rowLabel, barY, 240, 12);
    QLinearGradient gradient(bar.topLeft(), bar.topRight());
    for (int s = 0; s <= 8; ++s) gradient.setColorAt(s / 8.0, viridisColor(s / 8.0));
    painter.fillRect(bar, gradient);
    painter.setPen(QPen(QColor(120, 120, 120), 1));
    painter.drawRect(bar.adjusted(0, 0, -1, -1));
    painter.setFont(pixelFont(12));
    painter.setPen(muted);
    painter.drawText(QRect(bar.right() + 8, barY - 4, 520, 20), Qt::AlignLeft | Qt::AlignVCenter,
                     QStringLiteral("attention probability, 0 → head's maximum (grey: future "
                                    "tokens, masked)"));
    painter.end();
    if (!canvas.save(path, "PNG"))
        return fail(error, QStringLiteral("could not write PNG %1").arg(path));
    return true;
}

}  // namespace prism::viz
