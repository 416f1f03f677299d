// HeadGrid (head_grid.h). The map's data coordinates are (head index, layer index), one
// unit per cell, layers top to bottom like the model's stack; the colour range is the
// statistic's range over the shown heads so that differences between heads stand out.
#include "prism/viz/widgets/head_grid.h"
#include "prism/viz/widgets/empty_state.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QStackedWidget>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "colors.h"
#include "latest_task.h"
#include "prism/viz/widgets/soft_check.h"
#include "token_labels.h"

namespace prism::viz {

namespace {

constexpr HeadGrid::Statistic all_statistics[] = {
    HeadGrid::Statistic::Entropy, HeadGrid::Statistic::Sink, HeadGrid::Statistic::PreviousToken,
    HeadGrid::Statistic::Local, HeadGrid::Statistic::Induction};

const std::vector<head_stats>& noStats() {
    static const std::vector<head_stats> none;
    return none;
}

}  // namespace

QString HeadGrid::statisticName(Statistic statistic) {
    switch (statistic) {
    case Statistic::Entropy:
        return QStringLiteral("mean row entropy (nats)");
    case Statistic::Sink:
        return QStringLiteral("sink mass");
    case Statistic::PreviousToken:
        return QStringLiteral("previous-token score");
    case Statistic::Local:
        return QStringLiteral("local score (last 4 tokens)");
    case Statistic::Induction:
        return QStringLiteral("induction score");
    }
    return {};
}

double HeadGrid::statisticValue(const head_stats& stats, Statistic statistic) {
    switch (statistic) {
    case Statistic::Entropy:
        return stats.entropy;
    case Statistic::Sink:
        return stats.sink;
    case Statistic::PreviousToken:
        return stats.prev_token;
    case Statistic::Local:
        return stats.local;
    case Statistic::Induction:
        return stats.induction;
    }
    return 0;
}

HeadGrid::HeadGrid(QWidget* parent) : QWidget(parent) {
    m_task = std::make_unique<LatestTask<std::shared_ptr<const std::vector<head_stats>>>>(
        this, [this](std::shared_ptr<const std::vector<head_stats>> stats) {
            applyStats(std::move(stats));
        });

    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    outer->addWidget(m_stack);
    m_emptyLabel = makeEmptyStateLabel(QString(), m_stack, 1.0);
    m_stack->addWidget(m_emptyLabel);

    auto* page = new QWidget(m_stack);
    auto* column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    auto* controls = new QHBoxLayout;
    m_statCombo = new QComboBox(page);
    for (const Statistic s : all_statistics) m_statCombo->addItem(statisticName(s));
    controls->addWidget(new QLabel(tr("Colour by"), page));
    controls->addWidget(m_statCombo);
    controls->addStretch(1);
    column->addLayout(controls);
    m_plot = new QCustomPlot(page);
    m_plot->setMinimumSize(160, 160);
    m_plot->setMouseTracking(true);
    column->addWidget(m_plot, 1);
    m_stack->addWidget(page);

    const ColorMapPlot parts = setupColorMapPlot(m_plot, 1.0, 12);
    m_title = parts.title;
    m_map = parts.map;
    m_scale = parts.scale;
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        auto ticker = QSharedPointer<TokenAxisTicker>::create(axis);
        ticker->setIndexWhenThinned(false);
        axis->setTicker(ticker);
        axis->setSubTicks(false);
        axis->grid()->setVisible(false);
        axis->setTickLength(0, 3);
    }
    keepTickersFitted(m_plot);
    m_plot->xAxis->setLabel(tr("head"));
    m_plot->yAxis->setLabel(tr("layer"));
    m_plot->yAxis->setRangeReversed(true);
    m_selection = new QCPItemRect(m_plot);
    m_selection->setPen(QPen(QColor(230, 40, 40), 2));
    m_selection->setBrush(Qt::NoBrush);
    m_selection->setVisible(false);

    connect(m_statCombo, &QComboBox::currentIndexChanged, this,
            [this](int i) { setStatistic(static_cast<Statistic>(i)); });
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        int layer = 0;
        int head = 0;
        if (cellAt(event->position(), &layer, &head)) {
            QToolTip::showText(event->globalPosition().toPoint(), toolTipFor(layer, head), m_plot);
        } else {
            QToolTip::hideText();
        }
    });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        m_pressed = event->button() == Qt::LeftButton;
        m_pressPos = event->position().toPoint();
    });
    connect(m_plot, &QCustomPlot::mouseRelease, this, [this](QMouseEvent* event) {
        const bool click = m_pressed && event->button() == Qt::LeftButton &&
                           (event->position().toPoint() - m_pressPos).manhattanLength() <= 3;
        m_pressed = false;
        int layer = 0;
        int head = 0;
        if (click && cellAt(event->position(), &layer, &head)) {
            setSelectedHead(layer, head);
            emit headSelected(layer, head);
        }
    });
    setAttention(nullptr);
}

HeadGrid::~HeadGrid() = default;

void HeadGrid::setAttention(std::shared_ptr<const attention_set> set) {
    m_set = std::move(set);
    m_stats.reset();
    m_task->cancel();
    m_selectedLayer = -1;
    m_selectedHead = -1;
    const bool shaped = m_set && m_set->mats.size() == m_set->layers.size() * m_set->heads.size();
    PRISM_SOFT_CHECK(!m_set || shaped, m_set.reset());
    if (!m_set || m_set->mats.empty()) {
        m_set.reset();
        m_emptyLabel->setText(tr("No attention captured yet.\n\nEach captured head will appear "
                                 "here as one cell, coloured by a statistic."));
        m_stack->setCurrentIndex(0);
        redraw();
        return;
    }
    m_emptyLabel->setText(tr("Computing head statistics…"));
    m_stack->setCurrentIndex(0);
    m_task->start([set = m_set](const std::function<bool()>&) {
        return std::make_shared<const std::vector<head_stats>>(compute_all_head_stats(*set));
    });
}

void HeadGrid::applyStats(std::shared_ptr<const std::vector<head_stats>> stats) {
    PRISM_SOFT_CHECK(stats && m_set && stats->size() == m_set->mats.size(), return );
    m_stats = std::move(stats);
    m_stack->setCurrentIndex(1);
    redraw();
    emit statsReady();
}

bool HeadGrid::waitForStats(int timeoutMs) {
    return m_task->wait(timeoutMs);
}

const std::vector<head_stats>& HeadGrid::stats() const {
    return m_stats ? *m_stats : noStats();
}

void HeadGrid::setStatistic(Statistic statistic) {
    if (statistic == m_statistic) return;
    m_statistic = statistic;
    {
        const QSignalBlocker blocker(m_statCombo);
        m_statCombo->setCurrentIndex(static_cast<int>(statistic));
    }
    redraw();
}

void HeadGrid::redraw() {
    const auto tickerOf = [](QCPAxis* axis) {
        return axis->ticker().staticCast<TokenAxisTicker>();
    };
    if (!m_set || !m_stats) {
        m_map->data()->clear();
        tickerOf(m_plot->xAxis)->setLabels({});
        tickerOf(m_plot->yAxis)->setLabels({});
        m_selection->setVisible(false);
        m_plot->replot();
        return;
    }
    const int nLayers = static_cast<int>(m_set->layers.size());
    const int nHeads = static_cast<int>(m_set->heads.size());
    QStringList layerLabels;
    QStringList headLabels;
    for (const int32_t layer : m_set->layers)
        layerLabels.push_back(QStringLiteral("L%1").arg(layer));
    for (const int32_t head : m_set->heads) headLabels.push_back(QStringLiteral("H%1").arg(head));
    tickerOf(m_plot->xAxis)->setLabels(headLabels);
    tickerOf(m_plot->yAxis)->setLabels(layerLabels);

    // QCustomPlot needs two cells per axis to know a cell's extent: a single layer or head
    // is drawn as two half-width cells holding the same value.
    const int keySize = std::max(nHeads, 2);
    const int valueSize = std::max(nLayers, 2);
    const auto span = [](int n) { return n >= 2 ? QCPRange(0, n - 1) : QCPRange(-0.25, 0.25); };
    QCPColorMapData* cells = m_map->data();
    cells->setSize(keySize, valueSize);
    cells->setRange(span(nHeads), span(nLayers));
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (int y = 0; y < valueSize; ++y) {
        for (int x = 0; x < keySize; ++x) {
            const int layer = std::min(y, nLayers - 1);
            const int head = std::min(x, nHeads - 1);
            const double v =
                statisticValue((*m_stats)[static_cast<size_t>(layer) * static_cast<size_t>(nHeads) +
                                          static_cast<size_t>(head)],
                               m_statistic);
            cells->setCell(x, y, v);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    m_scale->setDataRange(QCPRange(lo, hi));
    m_scale->setLabel(statisticName(m_statistic));
    // Short lines: the grid often sits in a narrow side pane (the studio's inspector), and
    // the model's name is already in the heatmap's title beside it.
    m_title->setText(tr("%1 layers × %2 heads\nclick a head to open it").arg(nLayers).arg(nHeads));
    m_plot->xAxis->setRange(-0.5, nHeads - 0.5);
    m_plot->yAxis->setRange(-0.5, nLayers - 0.5);
    setSelectedHead(m_selectedLayer, m_selectedHead);
    m_plot->replot();
}

QString HeadGrid::toolTipFor(int layerIndex, int headIndex) const {
    if (!m_set || !m_stats || layerIndex < 0 || headIndex < 0 ||
        static_cast<size_t>(layerIndex) >= m_set->layers.size() ||
        static_cast<size_t>(headIndex) >= m_set->heads.size())
        return {};
    const head_stats& s = (*m_stats)[static_cast<size_t>(layerIndex) * m_set->heads.size() +
                                     static_cast<size_t>(headIndex)];
    return tr("L%1 H%2\nentropy: %3 nats\nsink: %4\nprevious-token: %5\nlocal: %6\n"
              "induction: %7")
        .arg(m_set->layers[static_cast<size_t>(layerIndex)])
        .arg(m_set->heads[static_cast<size_t>(headIndex)])
        .arg(s.entropy, 0, 'f', 3)
        .arg(s.sink, 0, 'f', 3)
        .arg(s.prev_token, 0, 'f', 3)
        .arg(s.local, 0, 'f', 3)
        .arg(s.induction, 0, 'f', 3);
}

void HeadGrid::setSelectedHead(int layerIndex, int headIndex) {
    m_selectedLayer = layerIndex;
    m_selectedHead = headIndex;
    const bool visible = m_set && layerIndex >= 0 && headIndex >= 0 &&
                         static_cast<size_t>(layerIndex) < m_set->layers.size() &&
                         static_cast<size_t>(headIndex) < m_set->heads.size();
    m_selection->setVisible(visible);
    if (visible) {
        m_selection->topLeft->setCoords(headIndex - 0.5, layerIndex - 0.5);
        m_selection->bottomRight->setCoords(headIndex + 0.5, layerIndex + 0.5);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QPoint HeadGrid::cellCenter(int layerIndex, int headIndex) const {
    return QPointF(m_plot->xAxis->coordToPixel(headIndex), m_plot->yAxis->coordToPixel(layerIndex))
        .toPoint();
}

bool HeadGrid::cellAt(const QPointF& pos, int* layerIndex, int* headIndex) const {
    if (!m_set || !m_stats || !m_plot->axisRect()->rect().contains(pos.toPoint())) return false;
    const long head = std::lround(m_plot->xAxis->pixelToCoord(pos.x()));
    const long layer = std::lround(m_plot->yAxis->pixelToCoord(pos.y()));
    if (head < 0 || layer < 0 || static_cast<size_t>(head) >= m_set->heads.size() ||
        static_cast<size_t>(layer) >= m_set->layers.size())
        return false;
    *layerIndex = static_cast<int>(layer);
    *headIndex = static_cast<int>(head);
    return true;
}

}  // namespace prism::viz
