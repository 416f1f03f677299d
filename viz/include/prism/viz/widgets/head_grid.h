// HeadGrid: an overview of every captured (layer, head) as one cell of a layers × heads
// colour map (QCPColorMap), coloured by a chosen head statistic from
// compute_all_head_stats() — entropy, sink mass, previous-token, local or induction score.
// Clicking a cell emits headSelected(layerIndex, headIndex), which AttentionHeatmap::showHead
// accepts; hovering shows all five statistics of the head. Statistics are computed off the
// GUI thread (QtConcurrent::run) and handed over whole; waitForStats() blocks until shown.
#pragma once

#include <QString>
#include <QWidget>

#include <memory>
#include <vector>

#include "prism/viz/analysis.h"
#include "prism/viz/attention_data.h"

class QComboBox;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QStackedWidget;

namespace prism::viz {

template <typename T> class LatestTask;
class TokenAxisTicker;

class HeadGrid : public QWidget {
    Q_OBJECT

public:
    enum class Statistic { Entropy, Sink, PreviousToken, Local, Induction };

    explicit HeadGrid(QWidget* parent = nullptr);
    ~HeadGrid() override;

    /// Shows a captured set (nullptr: the empty state) and starts computing its statistics.
    void setAttention(std::shared_ptr<const attention_set> set);
    std::shared_ptr<const attention_set> attention() const { return m_set; }

    void setStatistic(Statistic statistic);
    Statistic statistic() const { return m_statistic; }
    /// "mean row entropy (nats)", "sink mass", ... — the colour scale's caption.
    static QString statisticName(Statistic statistic);
    /// The value of `statistic` in a head_stats.
    static double statisticValue(const head_stats& stats, Statistic statistic);

    /// Blocks until the statistics of the current set are computed and shown.
    bool waitForStats(int timeoutMs = 30000);
    /// Statistics in the set's mats order ([layerIndex * heads + headIndex]); empty until ready.
    const std::vector<head_stats>& stats() const;
    /// Tooltip of a cell: "L2 H5" and all five statistics; empty when out of range.
    QString toolTipFor(int layerIndex, int headIndex) const;

    /// Outlines one cell (e.g. the head the heatmap shows); (-1, -1) clears.
    void setSelectedHead(int layerIndex, int headIndex);
    /// Plot-widget pixel at the centre of a cell (for tests and automation).
    QPoint cellCenter(int layerIndex, int headIndex) const;
    /// Cell under a plot-widget pixel; false outside.
    bool cellAt(const QPointF& pos, int* layerIndex, int* headIndex) const;
    QCustomPlot* plot() const { return m_plot; }

signals:
    void headSelected(int layerIndex, int headIndex);
    /// Statistics of a new set are on screen.
    void statsReady();

private:
    void applyStats(std::shared_ptr<const std::vector<head_stats>> stats);
    void redraw();

    std::shared_ptr<const attention_set> m_set;
    std::shared_ptr<const std::vector<head_stats>> m_stats;
    Statistic m_statistic = Statistic::Entropy;
    std::unique_ptr<LatestTask<std::shared_ptr<const std::vector<head_stats>>>> m_task;
    int m_selectedLayer = -1;
    int m_selectedHead = -1;
    QPoint m_pressPos;
    bool m_pressed = false;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QComboBox* m_statCombo = nullptr;
    QCustomPlot* m_plot = nullptr;
    QCPTextElement* m_title = nullptr;
    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCPItemRect* m_selection = nullptr;
};

}  // namespace prism::viz
