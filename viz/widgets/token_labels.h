// Token text as the widgets show it, and an axis ticker that labels token positions.
//
// Pieces are raw decoded text: leading spaces, newlines and control bytes are common and
// would be invisible (or break a line) in an axis label, so labels show a space as '·',
// escape newlines/tabs/control characters C-style and elide long pieces. The ticker
// thins labels to a "nice" stride (1, 2, 5 × 10^k positions) so that neighbouring labels
// are at least one line height apart at the axis' current pixel length: they never
// overlap, and zooming in brings them back.
#pragma once

#include <QSharedPointer>
#include <QString>
#include <QStringList>

#include <qcustomplot.h>

#include <string>
#include <vector>

namespace prism::viz {

/// Display label of a piece: ' ' and U+2581 ('▁') become '·', "\n" "\r" "\t" are escaped,
/// other control characters become \xNN, an empty piece is "∅"; longer than maxChars
/// (when > 0) is elided with '…'.
QString tokenLabel(const std::string& piece, int maxChars = 0);
/// Labels of every piece of a set.
QStringList tokenLabels(const std::vector<std::string>& pieces, int maxChars);
/// CSV label of a piece: control characters escaped as in tokenLabel, spaces kept.
QString csvLabel(const std::string& piece);
/// One RFC 4180 field: quoted (with inner quotes doubled) when it holds a comma, a quote,
/// CR/LF or leading/trailing spaces.
QString csvField(const QString& text);

/// Ticks at integer positions 0..labels-1 with their labels, thinned to a nice stride.
class TokenAxisTicker : public QCPAxisTicker {
public:
    explicit TokenAxisTicker(QCPAxis* axis) : m_axis(axis) {}

    void setLabels(QStringList labels) { m_labels = std::move(labels); }
    /// Prefix thinned labels with their position ("12 cat") so a sparse axis stays readable.
    void setIndexWhenThinned(bool on) { m_indexWhenThinned = on; }
    /// Stride chosen at the last generate() (1 = every position labelled).
    int lastStride() const { return m_lastStride; }
    /// Axis pixel length the last generate() assumed; when the layout then gives the axis
    /// another length, the owner replots so the thinning matches (see needsRegenerate).
    double lastLength() const { return m_lastLength; }
    /// True when the axis' laid-out length differs from lastLength() by more than 2%.
    bool needsRegenerate() const;

    void generate(const QCPRange& range, const QLocale& locale, QChar formatChar, int precision,
                  QVector<double>& ticks, QVector<double>* subTicks,
                  QVector<QString>* tickLabels) override;

private:
    QCPAxis* m_axis;
    QStringList m_labels;
    bool m_indexWhenThinned = true;
    int m_lastStride = 1;
    double m_lastLength = 0;
};

/// Ticks are generated before QCustomPlot's layout step, from the previous layout's axis
/// lengths; after a resize that can thin labels for the wrong length. This replots once
/// more (queued) when a TokenAxisTicker of `plot` assumed a length the layout then changed
/// by more than 2% — at most once per viewport size, so label-width feedback cannot loop.
void keepTickersFitted(QCustomPlot* plot);

/// Smallest "nice" stride (1, 2, 5, 10, 20, 50, ...) that is >= minimum.
int niceStride(double minimum);

}  // namespace prism::viz
