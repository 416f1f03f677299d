// AttentionInspector (attention_inspector.h): layout, selection sync between strip,
// heatmap and head grid, the selection summary, pinning findings and exports.
#include "prism/ui/attention_inspector.h"
#include "prism/viz/widgets/empty_state.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>
#include <vector>

#include "prism/viz/labels.h"
#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/head_grid.h"
#include "prism/viz/widgets/render.h"
#include "prism/viz/widgets/soft_check.h"
#include "prism/viz/widgets/token_strip.h"

namespace prism::ui {

namespace {

using Mode = viz::AttentionMode;

constexpr int top_attended = 4;    // keys listed in the selection summary
constexpr int summary_chars = 24;  // longest token label in the summary

QString tokenText(const viz::attention_set& set, int position) {
    if (position < 0 || static_cast<size_t>(position) >= set.pieces.size())
        return QString::number(position);
    return QString::fromStdString(
        viz::token_label(set.pieces[static_cast<size_t>(position)], summary_chars));
}

QString defaultEmptyText() {
    return AttentionInspector::tr(
        "Generate in the Playground, then click a generated token to see where it looked.");
}

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

}  // namespace

AttentionInspector::AttentionInspector(QWidget* parent) : QWidget(parent) {
    buildUi();
    clear();
}

AttentionInspector::~AttentionInspector() = default;

void AttentionInspector::buildUi() {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    outer->addWidget(m_stack);

    m_emptyLabel = viz::makeEmptyStateLabel(QString(), m_stack, 1.3, 48);
    m_emptyLabel->setObjectName(QStringLiteral("attentionInspectorEmpty"));
    m_stack->addWidget(m_emptyLabel);

    auto* page = new QWidget(m_stack);
    auto* column = new QVBoxLayout(page);
    column->setContentsMargins(8, 6, 8, 6);
    column->setSpacing(6);
    m_header = new QLabel(page);
    m_header->setObjectName(QStringLiteral("attentionInspectorHeader"));
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont headerFont = m_header->font();
    headerFont.setBold(true);
    m_header->setFont(headerFont);
    column->addWidget(m_header);

    m_vertical = new QSplitter(Qt::Vertical, page);
    m_vertical->setChildrenCollapsible(false);
    m_stripScroll = new QScrollArea(m_vertical);
    m_stripScroll->setWidgetResizable(true);
    m_stripScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_stripScroll->setFrameShape(QFrame::StyledPanel);
    m_stripScroll->setMinimumHeight(70);
    m_strip = new viz::TokenStrip(m_stripScroll);
    m_stripScroll->setWidget(m_strip);
    m_horizontal = new QSplitter(Qt::Horizontal, m_vertical);
    m_horizontal->setChildrenCollapsible(false);
    m_heatmap = new viz::AttentionHeatmap(m_horizontal);
    m_heatmap->setMinimumWidth(360);
    m_grid = new viz::HeadGrid(m_horizontal);
    m_grid->setMinimumWidth(240);
    m_horizontal->addWidget(m_heatmap);
    m_horizontal->addWidget(m_grid);
    m_horizontal->setStretchFactor(0, 3);
    m_horizontal->setStretchFactor(1, 1);
    m_horizontal->setSizes({920, 440});
    m_vertical->addWidget(m_stripScroll);
    m_vertical->addWidget(m_horizontal);
    m_vertical->setStretchFactor(0, 0);
    m_vertical->setStretchFactor(1, 1);
    m_vertical->setSizes({160, 640});
    column->addWidget(m_vertical, 1);
    column->addWidget(buildBottomBar(page));
    m_stack->addWidget(page);

    connect(m_strip, &viz::TokenStrip::querySelected, this, [this](int q) { setSelected(q); });
    connect(m_heatmap, &viz::AttentionHeatmap::querySelected, this,
            [this](int q) { setSelected(q); });
    connect(m_grid, &viz::HeadGrid::headSelected, this, &AttentionInspector::onHeadSelected);
    connect(m_heatmap, &viz::AttentionHeatmap::viewPrepared, this,
            &AttentionInspector::onHeatmapViewChanged);
    connect(m_vertical, &QSplitter::splitterMoved, this, [this] { m_userSizedStrip = true; });
}

void AttentionInspector::fitStripPane() {
    // The strip's pane fits its chips, up to a third of the height (then it scrolls), so
    // a short text leaves the room to the heatmap.
    if (!m_set || m_userSizedStrip) return;
    const int total = m_vertical->height() - m_vertical->handleWidth();
    if (total <= 0) return;
    const int frame = 2 * m_stripScroll->frameWidth();
    const int content = m_strip->heightForWidth(m_stripScroll->width() - frame) + frame;
    const int low = m_stripScroll->minimumHeight();
    const int strip = std::clamp(content, low, std::max(low, total / 3));
    m_vertical->setSizes({strip, total - strip});
}

void AttentionInspector::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitStripPane();
}

QWidget* AttentionInspector::buildBottomBar(QWidget* parent) {
    auto* bar = new QFrame(parent);
    bar->setFrameShape(QFrame::StyledPanel);
    auto* rows = new QVBoxLayout(bar);
    rows->setContentsMargins(8, 6, 8, 6);
    rows->setSpacing(6);

    m_summary = new QLabel(bar);
    m_summary->setObjectName(QStringLiteral("attentionInspectorSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setMinimumWidth(100);
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    rows->addWidget(m_summary);

    auto* actions = new QHBoxLayout;
    actions->setSpacing(6);
    actions->addWidget(new QLabel(tr("Note"), bar));
    m_noteEdit = new QLineEdit(bar);
    m_noteEdit->setObjectName(QStringLiteral("attentionInspectorNote"));
    m_noteEdit->setPlaceholderText(tr("What does this head do at the selected token?"));
    m_noteEdit->setClearButtonEnabled(true);
    m_noteEdit->setMinimumWidth(220);
    actions->addWidget(m_noteEdit, 3);
    m_pinButton = new QPushButton(tr("Pin finding"), bar);
    m_pinButton->setObjectName(QStringLiteral("attentionInspectorPin"));
    m_pinButton->setToolTip(tr("Save the note for the selected token in the shown layer and "
                               "head with this run"));
    actions->addWidget(m_pinButton);
    m_status = new QLabel(bar);
    m_status->setObjectName(QStringLiteral("attentionInspectorStatus"));
    m_status->setStyleSheet(QStringLiteral("color: #555;"));
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setMinimumWidth(60);
    actions->addWidget(m_status, 2);
    actions->addSpacing(12);
    actions->addWidget(new QLabel(tr("Export heatmap"), bar));
    m_pngButton = new QPushButton(tr("PNG…"), bar);
    m_svgButton = new QPushButton(tr("SVG…"), bar);
    m_csvButton = new QPushButton(tr("CSV…"), bar);
    m_pngButton->setToolTip(tr("The heatmap as shown, as an image"));
    m_svgButton->setToolTip(tr("The heatmap as shown, as a vector drawing"));
    m_csvButton->setToolTip(tr("The shown matrix at full token resolution"));
    for (QPushButton* button : {m_pngButton, m_svgButton, m_csvButton}) actions->addWidget(button);
    rows->addLayout(actions);

    connect(m_pinButton, &QPushButton::clicked, this, &AttentionInspector::pinFinding);
    connect(m_noteEdit, &QLineEdit::returnPressed, this, &AttentionInspector::pinFinding);
    connect(m_pngButton, &QPushButton::clicked, this, [this] { exportWithDialog("png"); });
    connect(m_svgButton, &QPushButton::clicked, this, [this] { exportWithDialog("svg"); });
    connect(m_csvButton, &QPushButton::clicked, this, [this] { exportWithDialog("csv"); });
    return bar;
}

void AttentionInspector::setAttention(std::shared_ptr<const viz::attention_set> set, qint64 runId) {
    if (set && set == m_set && runId == m_runId) return;
    const bool usable = set && !set->mats.empty() && set->n_tokens() > 0 &&
                        set->mats.size() == set->layers.size() * set->heads.size();
    PRISM_SOFT_CHECK(!set || set->mats.empty() ||
                         set->mats.size() == set->layers.size() * set->heads.size(),
                     set.reset());
    if (!usable) {
        clear();
        m_runId = runId;
        if (runId > 0)
            showEmptyState(tr("Run #%1 was generated without attention capture.\n\nGenerate "
                              "again in the Playground with attention capture on, then click "
                              "a generated token to see where it looked.")
                               .arg(runId));
        return;
    }
    m_set = std::move(set);
    m_runId = runId;
    m_selectedToken = -1;
    m_heatmap->setAttention(m_set);  // keeps layer / head / view where they exist
    m_strip->setAttention(m_set);
    m_grid->setAttention(m_set);
    m_strip->setMode(m_heatmap->mode());
    m_strip->setLayerIndex(m_heatmap->layerIndex());
    m_strip->setHeadIndex(m_heatmap->headIndex());
    m_grid->setSelectedHead(m_heatmap->mode() == Mode::Head ? m_heatmap->layerIndex() : -1,
                            m_heatmap->mode() == Mode::Head ? m_heatmap->headIndex() : -1);

    const auto& s = *m_set;
    const int64_t n = s.n_tokens();
    const QString model = s.model.empty() ? tr("model") : QString::fromStdString(s.model);
    const QString run = runId > 0 ? tr("Run #%1").arg(runId) : tr("Unsaved run");
    m_header->setText(tr("%1 · %2 · %3 tokens (%4 prompt + %5 generated) · %6 of %7 layers × "
                         "%8 of %9 heads captured")
                          .arg(run, model)
                          .arg(n)
                          .arg(s.n_prompt)
                          .arg(n - s.n_prompt)
                          .arg(s.layers.size())
                          .arg(s.n_layer_total)
                          .arg(s.heads.size())
                          .arg(s.n_head_total));
    m_pinButton->setEnabled(runId > 0);
    m_pinButton->setToolTip(runId > 0 ? tr("Save the note for the selected token in the shown "
                                           "layer and head with this run")
                                      : tr("Only runs saved in a project can hold findings"));
    m_status->clear();
    m_stack->setCurrentIndex(1);
    fitStripPane();
    setSelected(static_cast<int>(n - 1));
}

void AttentionInspector::clear() {
    m_set.reset();
    m_runId = 0;
    m_selectedToken = -1;
    m_heatmap->setAttention(nullptr);
    m_strip->setAttention(nullptr);
    m_grid->setAttention(nullptr);
    m_header->clear();
    m_summary->clear();
    m_status->clear();
    m_noteEdit->clear();
    showEmptyState(defaultEmptyText());
}

void AttentionInspector::showEmptyState(const QString& text) {
    m_emptyLabel->setText(text);
    m_stack->setCurrentIndex(0);
}

bool AttentionInspector::isEmptyStateShown() const {
    return m_stack->currentIndex() == 0;
}

QString AttentionInspector::emptyStateText() const {
    return m_emptyLabel->text();
}

void AttentionInspector::selectToken(int position) {
    PRISM_SOFT_CHECK(m_set, return );
    PRISM_SOFT_CHECK(position >= 0 && position < m_set->n_tokens(), return );
    setSelected(position);
}

void AttentionInspector::setSelected(int position) {
    if (!m_set || position == m_selectedToken) return;
    PRISM_SOFT_CHECK(position >= 0 && position < m_set->n_tokens(), return );
    m_selectedToken = position;  // first: the widgets' signals below come back here
    m_strip->setQuery(position);
    m_heatmap->selectQuery(position);
    // Keep the query chip in view, with a few lines around it, when the text is longer
    // than the strip's pane (near the start this scrolls to the top, caption included).
    const QRect chip = m_strip->tokenRect(position);
    if (!chip.isEmpty())
        m_stripScroll->ensureVisible(chip.center().x(), chip.center().y(), 0,
                                     std::max(24, m_stripScroll->viewport()->height() / 3));
    updateSummary();
    emit tokenSelected(position);
}

int AttentionInspector::currentLayer() const {
    if (!m_set || m_set->layers.empty()) return -1;
    if (m_heatmap->mode() == Mode::Rollout) return m_set->layers.back();
    const int li = m_heatmap->layerIndex();
    PRISM_SOFT_CHECK(li >= 0 && static_cast<size_t>(li) < m_set->layers.size(), return -1);
    return m_set->layers[static_cast<size_t>(li)];
}

int AttentionInspector::currentHead() const {
    if (!m_set || m_heatmap->mode() != Mode::Head) return -1;
    const int hi = m_heatmap->headIndex();
    PRISM_SOFT_CHECK(hi >= 0 && static_cast<size_t>(hi) < m_set->heads.size(), return -1);
    return m_set->heads[static_cast<size_t>(hi)];
}

void AttentionInspector::onHeadSelected(int layerIndex, int headIndex) {
    m_heatmap->showHead(layerIndex, headIndex);
    m_strip->showHead(layerIndex, headIndex);
    updateSummary();
}

void AttentionInspector::onHeatmapViewChanged() {
    // The heatmap's own combos may have changed layer, head or view: carry them over.
    if (!m_set) return;
    const Mode mode = m_heatmap->mode();
    m_strip->setMode(mode);
    m_strip->setLayerIndex(m_heatmap->layerIndex());
    m_strip->setHeadIndex(m_heatmap->headIndex());
    if (mode == Mode::Head) {
        m_grid->setSelectedHead(m_heatmap->layerIndex(), m_heatmap->headIndex());
    } else {
        m_grid->setSelectedHead(-1, -1);
    }
    updateSummary();
}

QString AttentionInspector::topAttendedText() const {
    if (!m_set || m_selectedToken < 0) return {};
    const Mode mode = m_heatmap->mode();
    if (mode == Mode::Rollout) return {};
    const auto& s = *m_set;
    const auto li = static_cast<size_t>(m_heatmap->layerIndex());
    const auto hi = static_cast<size_t>(m_heatmap->headIndex());
    PRISM_SOFT_CHECK(li < s.layers.size() && hi < s.heads.size(), return {});
    const int64_t q = m_selectedToken;
    // One row over keys 0..q: O(q) for a head, O(heads × q) for an aggregate.
    std::vector<float> row(static_cast<size_t>(q + 1), 0.0f);
    if (mode == Mode::Head) {
        const auto& m = s.at(li, hi);
        for (int64_t k = 0; k <= q; ++k) row[static_cast<size_t>(k)] = m.at(q, k);
    } else {
        for (size_t h = 0; h < s.heads.size(); ++h) {
            const auto& m = s.at(li, h);
            for (int64_t k = 0; k <= q; ++k) {
                float& v = row[static_cast<size_t>(k)];
                v = mode == Mode::MaxOverHeads ? std::max(v, m.at(q, k)) : v + m.at(q, k);
            }
        }
        if (mode == Mode::MeanOverHeads)
            for (float& v : row) v /= static_cast<float>(s.heads.size());
    }
    std::vector<int> order(row.size());
    std::iota(order.begin(), order.end(), 0);
    const auto shown = std::min<size_t>(top_attended, order.size());
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
        [&](int a, int b) { return row[static_cast<size_t>(a)] > row[static_cast<size_t>(b)]; });
    QStringList parts;
    for (size_t i = 0; i < shown; ++i) {
        const int k = order[i];
        parts.push_back(tr("\"%1\" #%2 %3")
                            .arg(tokenText(s, k))
                            .arg(k)
                            .arg(static_cast<double>(row[static_cast<size_t>(k)]), 0, 'f', 2));
    }
    return tr("looked most at %1").arg(parts.join(QStringLiteral(" · ")));
}

void AttentionInspector::updateSummary() {
    if (!m_set || m_selectedToken < 0) {
        m_summary->clear();
        return;
    }
    const auto& s = *m_set;
    const int q = m_selectedToken;
    const QString role = q < s.n_prompt ? tr("prompt") : tr("generated");
    QString view;
    switch (m_heatmap->mode()) {
    case Mode::Head:
        view = tr("layer %1, head %2").arg(currentLayer()).arg(currentHead());
        break;
    case Mode::MeanOverHeads:
        view = tr("layer %1, mean over heads").arg(currentLayer());
        break;
    case Mode::MaxOverHeads:
        view = tr("layer %1, max over heads").arg(currentLayer());
        break;
    case Mode::Rollout:
        view = tr("rollout through layer %1").arg(currentLayer());
        break;
    }
    QString text = tr("Token %1 \"%2\" (%3) · %4").arg(q).arg(tokenText(s, q), role, view);
    const QString top = topAttendedText();
    if (!top.isEmpty()) text += QStringLiteral(" — ") + top;
    m_summary->setText(text);
    m_summary->setToolTip(text);
}

void AttentionInspector::pinFinding() {
    if (!m_set || m_selectedToken < 0) {
        m_status->setText(tr("Select a token first."));
        return;
    }
    if (m_runId <= 0) {
        m_status->setText(tr("Only runs saved in a project can hold findings."));
        return;
    }
    const int layer = currentLayer();
    const int head = currentHead();
    PRISM_SOFT_CHECK(layer >= 0, return );
    const QString note = m_noteEdit->text().trimmed();
    emit findingRequested(m_runId, layer, head, m_selectedToken, m_selectedToken + 1, note);
    m_noteEdit->clear();
    m_status->setText(
        head >= 0 ? tr("Pinned L%1 H%2, token %3.").arg(layer).arg(head).arg(m_selectedToken)
                  : tr("Pinned L%1 (all heads), token %2.").arg(layer).arg(m_selectedToken));
}

bool AttentionInspector::exportPng(const QString& path, QString* error) {
    if (!m_set) return fail(error, tr("no attention to export"));
    if (!m_heatmap->waitForPrepared()) return fail(error, tr("the heatmap is still preparing"));
    const QSize size = viz::heatmapPngSize(m_set->n_tokens());
    return m_heatmap->exportPng(path, size.width(), size.height(), error);
}

bool AttentionInspector::exportSvg(const QString& path, QString* error) {
    if (!m_set) return fail(error, tr("no attention to export"));
    if (!m_heatmap->waitForPrepared()) return fail(error, tr("the heatmap is still preparing"));
    const QSize size = viz::heatmapPngSize(m_set->n_tokens());
    return m_heatmap->exportSvg(path, error, size.width(), size.height());
}

bool AttentionInspector::exportCsv(const QString& path, QString* error) {
    if (!m_set) return fail(error, tr("no attention to export"));
    if (!m_heatmap->waitForPrepared()) return fail(error, tr("the heatmap is still preparing"));
    return m_heatmap->exportCsv(path, error);
}

void AttentionInspector::exportWithDialog(const QString& kind) {
    if (!m_set) return;
    const QString view = currentHead() >= 0
                             ? QStringLiteral("L%1-H%2").arg(currentLayer()).arg(currentHead())
                             : QStringLiteral("L%1-%2")
                                   .arg(currentLayer())
                                   .arg(viz::attentionModeName(m_heatmap->mode())
                                            .toLower()
                                            .replace(QLatin1Char(' '), QLatin1Char('-')));
    const QString suggested =
        QStringLiteral("attention-run%1-%2.%3").arg(m_runId).arg(view).arg(kind);
    const QString filter = kind == QLatin1String("png")   ? tr("PNG image (*.png)")
                           : kind == QLatin1String("svg") ? tr("SVG drawing (*.svg)")
                                                          : tr("CSV table (*.csv)");
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export heatmap"), suggested, filter);
    if (path.isEmpty()) return;
    QString error;
    bool ok = false;
    if (kind == QLatin1String("png")) {
        ok = exportPng(path, &error);
    } else if (kind == QLatin1String("svg")) {
        ok = exportSvg(path, &error);
    } else {
        ok = exportCsv(path, &error);
    }
    m_status->setText(ok ? tr("Saved %1.").arg(QFileInfo(path).fileName())
                         : tr("Export failed: %1").arg(error));
}

}  // namespace prism::ui
