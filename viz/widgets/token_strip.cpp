// TokenStrip (token_strip.h): flow layout of chips, painting, click and tooltip handling.
#include "prism/viz/widgets/token_strip.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
#include <QToolTip>

#include <algorithm>
#include <stdexcept>

#include "heatmap_view.h"
#include "latest_task.h"
#include "prism/viz/widgets/soft_check.h"
#include "token_labels.h"

namespace prism::viz {

namespace {

constexpr int margin = 6;  // around the whole strip
constexpr int padX = 5;    // inside a chip
constexpr int padY = 2;
constexpr int gapX = 3;                   // between chips
constexpr int gapY = 4;                   // between lines
constexpr int label_chars = 32;           // longest chip label
const QColor accent(253, 141, 60);        // background of the row's maximum
const QColor queryOutline(31, 119, 180);  // the query chip's border
const QColor chipBorder(200, 200, 200);

QColor blendWhite(const QColor& to, double t) {
    t = std::clamp(t, 0.0, 1.0);
    const auto mix = [t](int c) { return static_cast<int>(255 + t * (c - 255) + 0.5); };
    return QColor(mix(to.red()), mix(to.green()), mix(to.blue()));
}

}  // namespace

/// The matrix a strip shows, or why there is none; prepared on the thread pool.
struct StripMatrix {
    attn_matrix matrix;
    QString error;
};

TokenStrip::TokenStrip(QWidget* parent) : QWidget(parent) {
    m_task = std::make_unique<LatestTask<std::shared_ptr<const StripMatrix>>>(
        this, [this](std::shared_ptr<const StripMatrix> matrix) {
            m_matrix = std::move(matrix);
            update();
        });
    m_requestTimer = new QTimer(this);
    m_requestTimer->setSingleShot(true);
    m_requestTimer->setInterval(0);
    connect(m_requestTimer, &QTimer::timeout, this, &TokenStrip::launchRequest);
    setAttribute(Qt::WA_OpaquePaintEvent);
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

TokenStrip::~TokenStrip() = default;

void TokenStrip::setAttention(std::shared_ptr<const attention_set> set) {
    m_set = std::move(set);
    m_matrix.reset();
    m_task->cancel();
    m_requestPending = false;
    const bool shaped = m_set && m_set->mats.size() == m_set->layers.size() * m_set->heads.size();
    PRISM_SOFT_CHECK(!m_set || shaped, m_set.reset());
    if (m_set && (m_set->mats.empty() || m_set->n_tokens() == 0)) m_set.reset();
    m_labels.clear();
    m_query = -1;
    if (m_set) {
        m_labels = tokenLabels(m_set->pieces, label_chars);
        while (m_labels.size() < m_set->n_tokens())
            m_labels.push_back(QString::number(m_labels.size()));
        if (static_cast<size_t>(m_layerIndex) >= m_set->layers.size()) m_layerIndex = 0;
        if (static_cast<size_t>(m_headIndex) >= m_set->heads.size()) m_headIndex = 0;
        m_query = static_cast<int>(m_set->n_tokens() - 1);
        requestMatrix();
    }
    m_layout = Layout{};
    updateGeometry();
    update();
}

void TokenStrip::setLayerIndex(int layerIndex) {
    if (m_set) {
        PRISM_SOFT_CHECK(layerIndex >= 0 && static_cast<size_t>(layerIndex) < m_set->layers.size(),
                         return );
    }
    if (layerIndex == m_layerIndex) return;
    m_layerIndex = layerIndex;
    if (m_mode != Mode::Rollout) requestMatrix();
}

void TokenStrip::setHeadIndex(int headIndex) {
    if (m_set) {
        PRISM_SOFT_CHECK(headIndex >= 0 && static_cast<size_t>(headIndex) < m_set->heads.size(),
                         return );
    }
    if (headIndex == m_headIndex) return;
    m_headIndex = headIndex;
    if (m_mode == Mode::Head) requestMatrix();
}

void TokenStrip::setMode(Mode mode) {
    if (mode == m_mode) return;
    m_mode = mode;
    requestMatrix();
}

void TokenStrip::showHead(int layerIndex, int headIndex) {
    if (m_set) {
        PRISM_SOFT_CHECK(layerIndex >= 0 && static_cast<size_t>(layerIndex) < m_set->layers.size(),
                         return );
        PRISM_SOFT_CHECK(headIndex >= 0 && static_cast<size_t>(headIndex) < m_set->heads.size(),
                         return );
    }
    m_mode = Mode::Head;
    m_layerIndex = layerIndex;
    m_headIndex = headIndex;
    requestMatrix();
}

void TokenStrip::setQuery(int q) {
    const int n = m_set ? static_cast<int>(m_set->n_tokens()) : 0;
    PRISM_SOFT_CHECK(q >= 0 && q < n, return );
    if (q == m_query) return;
    m_query = q;
    update();
    emit querySelected(q);
}

void TokenStrip::requestMatrix() {
    if (!m_set) return;
    m_requestPending = true;
    m_requestTimer->start();
}

void TokenStrip::launchRequest() {
    m_requestTimer->stop();
    if (!m_requestPending || !m_set) return;
    m_requestPending = false;
    m_task->start([set = m_set, mode = m_mode, layer = m_layerIndex,
                   head = m_headIndex](const std::function<bool()>&) {
        auto result = std::make_shared<StripMatrix>();
        try {
            result->matrix = viewMatrix(*set, mode, layer, head);
        } catch (const std::exception& e) {
            result->error = QString::fromUtf8(e.what());
        }
        return std::shared_ptr<const StripMatrix>(std::move(result));
    });
}

bool TokenStrip::waitForPrepared(int timeoutMs) {
    if (m_requestPending) launchRequest();
    return m_task->wait(timeoutMs);
}

QString TokenStrip::errorText() const {
    return m_matrix ? m_matrix->error : QString();
}

double TokenStrip::intensity(int k) const {
    if (!m_matrix) return 0;
    const attn_matrix& m = m_matrix->matrix;
    if (m_query < 0 || k < 0 || k > m_query || k >= m.n || m_query >= m.n) return 0;
    return m.at(m_query, k);
}

QString TokenStrip::captionText() const {
    if (!m_set) return {};
    if (m_matrix && !m_matrix->error.isEmpty())
        return tr("Cannot show %1: %2").arg(attentionModeName(m_mode).toLower(), m_matrix->error);
    const QString where = viewTitle(*m_set, m_mode, m_layerIndex, m_headIndex, false)
                              .section(QStringLiteral(" — "), 1);
    return tr("Attention from \"%1\" (token %2) — %3; click a token to make it the query")
        .arg(m_query >= 0 ? m_labels[m_query] : QString())
        .arg(m_query)
        .arg(where);
}

TokenStrip::Layout TokenStrip::computeLayout(int width) const {
    Layout result;
    result.width = width;
    const QFontMetrics fm(font());
    const int lineHeight = fm.height() + 2 * padY;
    int y = margin + fm.height() + 8;  // below the caption
    int x = margin;
    const int right = std::max(width - margin, margin + 1);
    const int n = m_set ? static_cast<int>(m_set->n_tokens()) : 0;
    result.chips.reserve(static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) {
        const int w = fm.horizontalAdvance(m_labels[k]) + 2 * padX;
        if (x > margin && x + w > right) {
            x = margin;
            y += lineHeight + gapY;
        }
        result.chips.emplace_back(x, y, w, lineHeight);
        x += w + gapX;
        // A piece ending a line of text ends a line of chips too.
        const std::string& piece = m_set->pieces.size() > static_cast<size_t>(k)
                                       ? m_set->pieces[static_cast<size_t>(k)]
                                       : std::string();
        if (piece.find('\n') != std::string::npos) {
            x = margin;
            y += lineHeight + gapY;
        }
    }
    result.height = (n > 0 ? y + lineHeight : y) + margin;
    return result;
}

const TokenStrip::Layout& TokenStrip::layout() const {
    if (m_layout.width != width()) m_layout = computeLayout(width());
    return m_layout;
}

int TokenStrip::heightForWidth(int width) const {
    if (!m_set) return 80;
    return computeLayout(width).height;
}

QSize TokenStrip::sizeHint() const {
    return {600, heightForWidth(600)};
}

QSize TokenStrip::minimumSizeHint() const {
    return {120, 60};
}

QRect TokenStrip::tokenRect(int k) const {
    const Layout& l = layout();
    if (k < 0 || static_cast<size_t>(k) >= l.chips.size()) return {};
    return l.chips[static_cast<size_t>(k)];
}

int TokenStrip::tokenAt(const QPoint& pos) const {
    const Layout& l = layout();
    for (size_t k = 0; k < l.chips.size(); ++k) {
        if (l.chips[k].contains(pos)) return static_cast<int>(k);
    }
    return -1;
}

void TokenStrip::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), Qt::white);
    painter.setRenderHint(QPainter::Antialiasing);
    if (!m_set) {
        painter.setPen(QColor(85, 85, 85));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("No attention captured yet."));
        return;
    }
    const QFontMetrics fm(font());
    painter.setPen(QColor(85, 85, 85));
    painter.drawText(QRect(margin, margin, width() - 2 * margin, fm.height()),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     fm.elidedText(captionText(), Qt::ElideRight, width() - 2 * margin));

    const Layout& l = layout();
    double rowMax = 0;
    for (int k = 0; k <= m_query && k < static_cast<int>(l.chips.size()); ++k)
        rowMax = std::max(rowMax, intensity(k));
    for (size_t i = 0; i < l.chips.size(); ++i) {
        const int k = static_cast<int>(i);
        const QRectF chip = QRectF(l.chips[i]).adjusted(0.5, 0.5, -0.5, -0.5);
        const bool future = k > m_query;
        const double t = rowMax > 0 ? intensity(k) / rowMax : 0;
        painter.setBrush(future ? QColor(248, 248, 248) : blendWhite(accent, t));
        if (k == m_query) {
            painter.setPen(QPen(queryOutline, 2));
        } else {
            painter.setPen(QPen(chipBorder, 1));
        }
        painter.drawRoundedRect(chip, 3, 3);
        painter.setPen(future ? QColor(170, 170, 170) : QColor(20, 20, 20));
        painter.drawText(chip, Qt::AlignCenter, m_labels[k]);
    }
}

bool TokenStrip::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int k = tokenAt(help->pos());
        if (k >= 0 && m_query >= 0 && m_set) {
            const QString query = tokenLabel(m_set->pieces[static_cast<size_t>(m_query)], 40);
            const QString key = tokenLabel(m_set->pieces[static_cast<size_t>(k)], 40);
            QToolTip::showText(help->globalPos(),
                               QStringLiteral("query \"%1\" → key \"%2\": %3")
                                   .arg(query, key, QString::number(intensity(k), 'f', 3)),
                               this);
        } else {
            QToolTip::hideText();
            event->ignore();
        }
        return true;
    }
    return QWidget::event(event);
}

void TokenStrip::mousePressEvent(QMouseEvent* event) {
    m_pressedToken = event->button() == Qt::LeftButton ? tokenAt(event->position().toPoint()) : -1;
    QWidget::mousePressEvent(event);
}

void TokenStrip::mouseReleaseEvent(QMouseEvent* event) {
    const int k = event->button() == Qt::LeftButton ? tokenAt(event->position().toPoint()) : -1;
    if (k >= 0 && k == m_pressedToken) setQuery(k);
    m_pressedToken = -1;
    QWidget::mouseReleaseEvent(event);
}

void TokenStrip::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    m_layout = Layout{};
}

void TokenStrip::changeEvent(QEvent* event) {
    if (event->type() == QEvent::FontChange) {
        m_layout = Layout{};
        updateGeometry();
    }
    QWidget::changeEvent(event);
}

}  // namespace prism::viz
