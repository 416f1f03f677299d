// AttentionHeatmap (attention_heatmap.h): controls, empty state, off-thread preparation,
// hover / click / zoom, and PNG / SVG / CSV export.
#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/empty_state.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "heatmap_plot.h"
#include "heatmap_view.h"
#include "latest_task.h"
#include "prism/viz/widgets/soft_check.h"
#include "token_labels.h"

namespace prism::viz {

namespace {

constexpr int axis_label_chars = 16;   // longest token label on an axis
constexpr int hover_label_chars = 40;  // longest token label in a tooltip

/// Whether two requests select the same full matrix (so it can be reused).
bool sameMatrix(const HeatmapRequest& a, const HeatmapRequest& b) {
    if (a.mode != b.mode || a.hideSink != b.hideSink) return false;
    switch (a.mode) {
    case AttentionMode::Head:
        return a.layerIndex == b.layerIndex && a.headIndex == b.headIndex;
    case AttentionMode::MeanOverHeads:
    case AttentionMode::MaxOverHeads:
        return a.layerIndex == b.layerIndex;
    case AttentionMode::Rollout:
        return true;
    }
    return false;
}

const attn_matrix& emptyMatrix() {
    static const attn_matrix empty;
    return empty;
}

}  // namespace

AttentionHeatmap::AttentionHeatmap(QWidget* parent) : QWidget(parent) {
    m_task = std::make_unique<LatestTask<std::shared_ptr<const HeatmapView>>>(
        this, [this](std::shared_ptr<const HeatmapView> view) { applyView(std::move(view)); });
    buildUi();
    m_requestTimer = new QTimer(this);
    m_requestTimer->setSingleShot(true);
    m_requestTimer->setInterval(0);  // coalesces several setters in one event-loop turn
    connect(m_requestTimer, &QTimer::timeout, this, &AttentionHeatmap::launchRequest);
    m_resizeTimer = new QTimer(this);
    m_resizeTimer->setSingleShot(true);
    m_resizeTimer->setInterval(200);
    connect(m_resizeTimer, &QTimer::timeout, this, [this] {
        // Re-pool when the plot's new size calls for another block size.
        if (!m_view || !m_view->full) return;
        const int64_t n = m_view->full->n;
        const int64_t budget = displayCellBudget();
        const int64_t block = n > budget ? (n + budget - 1) / budget : 1;
        if (block != m_view->block) requestView();
    });
    setAttention(nullptr);
}

AttentionHeatmap::~AttentionHeatmap() = default;

void AttentionHeatmap::buildUi() {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    outer->addWidget(m_stack);

    m_emptyLabel = makeEmptyStateLabel(tr("No attention captured yet.\n\nRun a prompt with "
                                          "attention capture on to see which tokens each token "
                                          "attends to."),
                                       m_stack);
    m_stack->addWidget(m_emptyLabel);

    auto* page = new QWidget(m_stack);
    auto* column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    auto* controls = new QHBoxLayout;
    m_layerCombo = new QComboBox(page);
    m_headCombo = new QComboBox(page);
    m_modeCombo = new QComboBox(page);
    m_scaleCombo = new QComboBox(page);
    m_sinkCheck = new QCheckBox(tr("Hide sink"), page);
    m_sinkCheck->setToolTip(tr("Hide column 0 (the attention sink) and renormalize each row "
                               "over the other keys"));
    for (const Mode mode : {Mode::Head, Mode::MeanOverHeads, Mode::MaxOverHeads, Mode::Rollout})
        m_modeCombo->addItem(attentionModeName(mode));
    for (const Scale scale : {Scale::Linear, Scale::Log, Scale::Rank})
        m_scaleCombo->addItem(colorScaleName(scale));
    m_scaleCombo->setToolTip(tr("Rank: each value's percentile among the displayed nonzero "
                                "values"));
    controls->addWidget(new QLabel(tr("Layer"), page));
    controls->addWidget(m_layerCombo);
    controls->addWidget(new QLabel(tr("Head"), page));
    controls->addWidget(m_headCombo);
    controls->addWidget(new QLabel(tr("View"), page));
    controls->addWidget(m_modeCombo);
    controls->addWidget(new QLabel(tr("Colour"), page));
    controls->addWidget(m_scaleCombo);
    controls->addWidget(m_sinkCheck);
    controls->addStretch(1);
    column->addLayout(controls);
    m_errorLabel = new QLabel(page);
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #a00000;"));
    m_errorLabel->hide();
    column->addWidget(m_errorLabel);
    m_plot = new QCustomPlot(page);
    m_plot->setMinimumSize(200, 200);
    m_plot->setMouseTracking(true);
    column->addWidget(m_plot, 1);
    m_stack->addWidget(page);
    m_heatmap = std::make_unique<HeatmapPlot>(m_plot);

    connect(m_layerCombo, &QComboBox::currentIndexChanged, this,
            [this](int i) { setLayerIndex(i); });
    connect(m_headCombo, &QComboBox::currentIndexChanged, this, [this](int i) { setHeadIndex(i); });
    connect(m_modeCombo, &QComboBox::currentIndexChanged, this,
            [this](int i) { setMode(static_cast<Mode>(i)); });
    connect(m_scaleCombo, &QComboBox::currentIndexChanged, this,
            [this](int i) { setScale(static_cast<Scale>(i)); });
    connect(m_sinkCheck, &QCheckBox::toggled, this, [this](bool on) { setHideSink(on); });
    connect(m_plot, &QCustomPlot::mouseMove, this, &AttentionHeatmap::onMouseMove);
    connect(m_plot, &QCustomPlot::mousePress, this, &AttentionHeatmap::onMousePress);
    connect(m_plot, &QCustomPlot::mouseRelease, this, &AttentionHeatmap::onMouseRelease);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        m_heatmap->resetRange();
        m_plot->replot();
    });
}

void AttentionHeatmap::syncControls() {
    const QSignalBlocker b1(m_layerCombo), b2(m_headCombo), b3(m_modeCombo), b4(m_scaleCombo),
        b5(m_sinkCheck);
    m_layerCombo->clear();
    m_headCombo->clear();
    if (m_set) {
        for (const int32_t layer : m_set->layers)
            m_layerCombo->addItem(QStringLiteral("L%1").arg(layer));
        for (const int32_t head : m_set->heads)
            m_headCombo->addItem(QStringLiteral("H%1").arg(head));
    }
    m_layerCombo->setCurrentIndex(m_layerIndex);
    m_headCombo->setCurrentIndex(m_headIndex);
    m_modeCombo->setCurrentIndex(static_cast<int>(m_mode));
    m_scaleCombo->setCurrentIndex(static_cast<int>(m_scale));
    m_sinkCheck->setChecked(m_hideSink);
    m_layerCombo->setEnabled(m_mode != Mode::Rollout);
    m_headCombo->setEnabled(m_mode == Mode::Head);
}

void AttentionHeatmap::setAttention(std::shared_ptr<const attention_set> set) {
    m_set = std::move(set);
    m_view.reset();
    m_requestPending = false;
    m_requestTimer->stop();
    m_task->cancel();
    const bool shaped = m_set && m_set->mats.size() == m_set->layers.size() * m_set->heads.size();
    PRISM_SOFT_CHECK(!m_set || shaped, m_set.reset());
    if (!m_set || m_set->mats.empty() || m_set->n_tokens() == 0) {
        m_set.reset();
        m_labels.clear();
        m_hoverLabels.clear();
        m_selectedQuery = -1;
        m_heatmap->clear(QString());
        m_errorLabel->hide();
        syncControls();
        m_stack->setCurrentIndex(0);
        return;
    }
    const auto count = [](size_t n) { return static_cast<int>(n); };
    if (m_layerIndex >= count(m_set->layers.size())) m_layerIndex = 0;
    if (m_headIndex >= count(m_set->heads.size())) m_headIndex = 0;
    if (m_selectedQuery >= m_set->n_tokens()) m_selectedQuery = -1;
    m_labels = tokenLabels(m_set->pieces, axis_label_chars);
    m_hoverLabels = tokenLabels(m_set->pieces, hover_label_chars);
    while (m_labels.size() < m_set->n_tokens()) {  // pieces missing: label by position
        m_labels.push_back(QString::number(m_labels.size()));
        m_hoverLabels.push_back(QString::number(m_hoverLabels.size()));
    }
    syncControls();
    m_stack->setCurrentIndex(1);
    requestView();
}

void AttentionHeatmap::setLayerIndex(int layerIndex) {
    if (!m_set) {
        m_layerIndex = std::max(0, layerIndex);
        return;
    }
    PRISM_SOFT_CHECK(layerIndex >= 0 && static_cast<size_t>(layerIndex) < m_set->layers.size(),
                     return );
    if (layerIndex == m_layerIndex) return;
    m_layerIndex = layerIndex;
    syncControls();
    requestView();
}

void AttentionHeatmap::setHeadIndex(int headIndex) {
    if (!m_set) {
        m_headIndex = std::max(0, headIndex);
        return;
    }
    PRISM_SOFT_CHECK(headIndex >= 0 && static_cast<size_t>(headIndex) < m_set->heads.size(),
                     return );
    if (headIndex == m_headIndex) return;
    m_headIndex = headIndex;
    syncControls();
    requestView();
}

void AttentionHeatmap::setMode(Mode mode) {
    if (mode == m_mode) return;
    m_mode = mode;
    syncControls();
    requestView();
}

void AttentionHeatmap::setScale(Scale scale) {
    if (scale == m_scale) return;
    m_scale = scale;
    syncControls();
    requestView();
}

void AttentionHeatmap::setHideSink(bool hide) {
    if (hide == m_hideSink) return;
    m_hideSink = hide;
    syncControls();
    requestView();
}

void AttentionHeatmap::showHead(int layerIndex, int headIndex) {
    const bool changed =
        m_mode != Mode::Head || layerIndex != m_layerIndex || headIndex != m_headIndex;
    m_mode = Mode::Head;
    if (m_set) {
        PRISM_SOFT_CHECK(layerIndex >= 0 && static_cast<size_t>(layerIndex) < m_set->layers.size(),
                         return );
        PRISM_SOFT_CHECK(headIndex >= 0 && static_cast<size_t>(headIndex) < m_set->heads.size(),
                         return );
    }
    m_layerIndex = layerIndex;
    m_headIndex = headIndex;
    syncControls();
    if (changed) requestView();
}

void AttentionHeatmap::selectQuery(int q) {
    const int64_t n = m_set ? m_set->n_tokens() : 0;
    PRISM_SOFT_CHECK(q >= -1 && q < n, return );
    if (q == m_selectedQuery) return;
    m_selectedQuery = q;
    m_heatmap->setSelectedQuery(q);
    if (q >= 0) emit querySelected(q);
}

void AttentionHeatmap::requestView() {
    if (!m_set) return;
    m_requestPending = true;
    m_requestTimer->start();
}

void AttentionHeatmap::launchRequest() {
    m_requestTimer->stop();
    if (!m_requestPending || !m_set) return;
    m_requestPending = false;
    HeatmapRequest request{.mode = m_mode,
                           .layerIndex = m_layerIndex,
                           .headIndex = m_headIndex,
                           .scale = m_scale,
                           .hideSink = m_hideSink,
                           .maxCells = displayCellBudget()};
    if (m_view && m_view->full && sameMatrix(m_view->request, request))
        request.reuseFull = m_view->full;
    m_task->start([set = m_set, request](const std::function<bool()>& superseded) {
        return std::make_shared<const HeatmapView>(prepareHeatmapView(*set, request, superseded));
    });
}

bool AttentionHeatmap::waitForPrepared(int timeoutMs) {
    if (m_requestPending) launchRequest();
    return m_task->wait(timeoutMs);
}

void AttentionHeatmap::applyView(std::shared_ptr<const HeatmapView> view) {
    PRISM_SOFT_CHECK(view && m_set, return );
    if (view->superseded) return;
    m_view = std::move(view);
    const HeatmapRequest& r = m_view->request;
    const QString heading = viewTitle(*m_set, r.mode, r.layerIndex, r.headIndex, r.hideSink);
    if (!m_view->error.isEmpty()) {
        m_errorLabel->setText(
            tr("Cannot show %1: %2").arg(attentionModeName(r.mode).toLower(), m_view->error));
        m_errorLabel->show();
        m_heatmap->clear(heading);
    } else {
        m_errorLabel->hide();
        m_heatmap->showView(*m_view, m_labels, heading);
        m_heatmap->setSelectedQuery(m_selectedQuery);
    }
    emit viewPrepared();
}

int64_t AttentionHeatmap::displayCellBudget() const {
    const double ratio = m_plot->devicePixelRatioF();
    const int side = std::max(m_plot->width(), m_plot->height());
    return std::max<int64_t>(64, std::llround(side * ratio));
}

void AttentionHeatmap::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // Checked once the resize settles (and the layout has resized the plot).
    if (m_view && m_view->full && m_view->full->n > 64) m_resizeTimer->start();
}

const attn_matrix& AttentionHeatmap::displayedMatrix() const {
    return m_view && m_view->error.isEmpty() ? m_view->displayed : emptyMatrix();
}

const std::vector<double>& AttentionHeatmap::displayedColorValues() const {
    static const std::vector<double> none;
    return m_view && m_view->error.isEmpty() ? m_view->color : none;
}

int64_t AttentionHeatmap::displayBlockSize() const {
    return m_view ? m_view->block : 1;
}

QThread* AttentionHeatmap::lastPrepareThread() const {
    return m_view ? m_view->preparedOn : nullptr;
}

QString AttentionHeatmap::errorText() const {
    return m_view ? m_view->error : QString();
}

QString AttentionHeatmap::hoverText(int q, int k) const {
    if (!m_view || !m_view->full) return {};
    const int64_t n = m_view->full->n;
    if (q < 0 || k < 0 || q >= n || k >= n || q >= m_hoverLabels.size()) return {};
    const double value = m_view->full->at(q, k);
    // Three decimals as a rule; tiny nonzero values keep three significant digits instead
    // of reading as 0.000, and the causal mask is named rather than shown as a number.
    const QString shown = k > q && value == 0.0            ? tr("masked (future token)")
                          : value != 0.0 && value < 0.0005 ? QString::number(value, 'g', 3)
                                                           : QString::number(value, 'f', 3);
    return QStringLiteral("query \"%1\" → key \"%2\": %3")
        .arg(m_hoverLabels[q], m_hoverLabels[k], shown);
}

QString AttentionHeatmap::title() const {
    if (!m_set) return tr("No attention captured");
    return viewTitle(*m_set, m_mode, m_layerIndex, m_headIndex, m_hideSink);
}

QPoint AttentionHeatmap::cellCenter(int q, int k) const {
    return m_heatmap->cellCenter(q, k).toPoint();
}

void AttentionHeatmap::onMouseMove(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) return;  // panning
    int q = 0;
    int k = 0;
    if (m_heatmap->tokenAt(event->position(), &q, &k)) {
        QToolTip::showText(event->globalPosition().toPoint(), hoverText(q, k), m_plot);
    } else {
        QToolTip::hideText();
    }
}

void AttentionHeatmap::onMousePress(QMouseEvent* event) {
    m_pressed = event->button() == Qt::LeftButton;
    m_pressPos = event->position().toPoint();
}

void AttentionHeatmap::onMouseRelease(QMouseEvent* event) {
    const bool click = m_pressed && event->button() == Qt::LeftButton &&
                       (event->position().toPoint() - m_pressPos).manhattanLength() <= 3;
    m_pressed = false;
    int q = 0;
    int k = 0;
    if (click && m_heatmap->tokenAt(event->position(), &q, &k)) selectQuery(q);
}

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

}  // namespace

bool AttentionHeatmap::exportPng(const QString& path, int width, int height, QString* error) {
    if (!m_view || !m_view->full) return fail(error, tr("no attention view to export"));
    if (width <= 0 || height <= 0)
        return fail(error, tr("invalid image size %1×%2").arg(width).arg(height));
    m_heatmap->settleLayout(width, height);
    const bool ok = m_plot->savePng(path, width, height);
    m_plot->replot();
    return ok ? true : fail(error, tr("could not write PNG %1").arg(path));
}

bool AttentionHeatmap::exportSvg(const QString& path, QString* error, int width, int height) {
    if (!m_view || !m_view->full) return fail(error, tr("no attention view to export"));
    if (width <= 0 || height <= 0) {
        width = std::max(m_plot->width(), 400);
        height = std::max(m_plot->height(), 400);
    }
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(QSize(width, height));
    generator.setViewBox(QRect(0, 0, width, height));
    generator.setTitle(title());
    generator.setDescription(tr("Prism Studio attention heatmap"));
    m_heatmap->settleLayout(width, height);
    QCPPainter painter;
    if (!painter.begin(&generator)) {
        m_plot->replot();
        return fail(error, tr("could not write SVG %1").arg(path));
    }
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    m_plot->toPainter(&painter, width, height);
    painter.end();
    m_plot->replot();
    if (!QFileInfo(path).isFile() || QFileInfo(path).size() == 0)
        return fail(error, tr("could not write SVG %1").arg(path));
    return true;
}

bool AttentionHeatmap::exportCsv(const QString& path, QString* error) const {
    if (!m_view || !m_view->full || !m_set) return fail(error, tr("no attention view to export"));
    const attn_matrix& m = *m_view->full;
    const auto label = [&](int64_t i) {
        return static_cast<size_t>(i) < m_set->pieces.size()
                   ? csvLabel(m_set->pieces[static_cast<size_t>(i)])
                   : QString::number(i);
    };
    QByteArray out;
    out.reserve(static_cast<qsizetype>(m.n * m.n * 8 + m.n * 16));
    out += csvField(QStringLiteral("query\\key")).toUtf8();
    for (int64_t k = 0; k < m.n; ++k) out += ',' + csvField(label(k)).toUtf8();
    out += "\r\n";
    for (int64_t q = 0; q < m.n; ++q) {
        out += csvField(label(q)).toUtf8();
        for (int64_t k = 0; k < m.n; ++k) {
            out += ',';
            out += QByteArray::number(static_cast<double>(m.at(q, k)), 'g', 6);
        }
        out += "\r\n";
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, tr("could not open %1: %2").arg(path, file.errorString()));
    if (file.write(out) != out.size() || !file.commit())
        return fail(error, tr("could not write %1: %2").arg(path, file.errorString()));
    return true;
}

}  // namespace prism::viz
