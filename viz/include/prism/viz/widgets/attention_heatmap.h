// AttentionHeatmap: the interactive token × token attention view of the studio.
//
// Shows one captured head, a layer aggregate (mean / max over heads) or attention
// rollout as a viridis heatmap (QCustomPlot QCPColorMap + QCPColorScale): queries top to
// bottom on y, keys on x, token labels on both axes thinned so they never overlap. Linear,
// log or rank colour scales; the sink column can be hidden (without_sink()). Hovering
// shows `query "tok" → key "tok": 0.123`; clicking selects a query row. Mouse wheel zooms,
// dragging pans.
//
// Design: every view is prepared off the GUI thread (QtConcurrent::run; matrix selection,
// rollout, pooling to about the widget's pixel size with downsample(), colour mapping)
// and handed over whole; a newer request supersedes an older one. So 2048 tokens stay
// smooth: the plot never holds more cells than the screen has pixels, and hover maps
// screen positions back to token positions. waitForPrepared() blocks until the latest
// request is shown (tests, CLI).
#pragma once

#include <QString>
#include <QWidget>

#include <memory>
#include <vector>

#include "prism/viz/attention_data.h"
#include "prism/viz/widgets/view_options.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QStackedWidget;
class QThread;
class QTimer;

namespace prism::viz {

struct HeatmapView;
class HeatmapPlot;
template <typename T> class LatestTask;

class AttentionHeatmap : public QWidget {
    Q_OBJECT

public:
    using Mode = AttentionMode;
    using Scale = ColorScale;

    explicit AttentionHeatmap(QWidget* parent = nullptr);
    ~AttentionHeatmap() override;

    /// Shows a captured set (nullptr: the empty state). Keeps layer/head/query when they
    /// still exist in the new set.
    void setAttention(std::shared_ptr<const attention_set> set);
    std::shared_ptr<const attention_set> attention() const { return m_set; }

    /// Index into attention_set::layers / ::heads (not the model's numbering).
    void setLayerIndex(int layerIndex);
    int layerIndex() const { return m_layerIndex; }
    void setHeadIndex(int headIndex);
    int headIndex() const { return m_headIndex; }
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    void setScale(Scale scale);
    Scale scale() const { return m_scale; }
    void setHideSink(bool hide);
    bool hideSink() const { return m_hideSink; }

    /// Selects (outlines) query row q and emits querySelected(q) when it changed; -1 clears.
    void selectQuery(int q);
    int selectedQuery() const { return m_selectedQuery; }

    /// Blocks until the latest requested view is prepared and shown. False on timeout.
    bool waitForPrepared(int timeoutMs = 30000);

    /// The matrix as drawn: mode, hide-sink and display pooling applied (mean over
    /// displayBlockSize()² tokens per cell). Empty (n = 0) when nothing is shown.
    const attn_matrix& displayedMatrix() const;
    /// Colour value of each displayed cell, row-major like displayedMatrix(): the
    /// probability (Linear, Log — zeros raised to the log range's floor) or its percentile
    /// among the displayed nonzero values (Rank); NaN for masked (future) cells.
    const std::vector<double>& displayedColorValues() const;
    /// Tokens per displayed cell along each axis (1 = full resolution).
    int64_t displayBlockSize() const;
    /// Thread that prepared the shown view (never the GUI thread); nullptr if none.
    QThread* lastPrepareThread() const;
    /// Why nothing is shown (e.g. rollout without every layer); empty when fine.
    QString errorText() const;

    /// `query "tok" → key "tok": 0.123` for token positions (q, k), value at full
    /// resolution with 3 decimals; empty when out of range or nothing shown.
    QString hoverText(int q, int k) const;
    /// "model — layer L, head H" (model numbering), or the mode's name for aggregates.
    QString title() const;

    /// Exports the plot as shown (title, axes, colour scale) at width × height pixels.
    bool exportPng(const QString& path, int width, int height, QString* error = nullptr);
    /// Exports the plot as SVG (QSvgGenerator); size 0 = the plot's current size.
    bool exportSvg(const QString& path, QString* error = nullptr, int width = 0, int height = 0);
    /// Exports the current view's matrix at full token resolution (no display pooling):
    /// a header row of key labels, then one row per query with its label first; RFC 4180
    /// quoting, CRLF line ends, values with up to 6 significant digits.
    bool exportCsv(const QString& path, QString* error = nullptr) const;

    QCustomPlot* plot() const { return m_plot; }
    /// Plot-widget pixel at the centre of token cell (q, k) (for tests and automation).
    QPoint cellCenter(int q, int k) const;

public slots:
    /// Head mode on captured (layerIndex, headIndex); connect HeadGrid::headSelected here.
    void showHead(int layerIndex, int headIndex);

signals:
    void querySelected(int q);
    /// A newly prepared view (or error) is on screen.
    void viewPrepared();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void buildUi();
    void syncControls();
    void requestView();
    void launchRequest();
    void applyView(std::shared_ptr<const HeatmapView> view);
    int64_t displayCellBudget() const;
    void onMouseMove(QMouseEvent* event);
    void onMousePress(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);

    std::shared_ptr<const attention_set> m_set;
    int m_layerIndex = 0;
    int m_headIndex = 0;
    Mode m_mode = Mode::Head;
    Scale m_scale = Scale::Linear;
    bool m_hideSink = false;
    int m_selectedQuery = -1;

    std::shared_ptr<const HeatmapView> m_view;
    std::unique_ptr<LatestTask<std::shared_ptr<const HeatmapView>>> m_task;
    bool m_requestPending = false;
    QTimer* m_requestTimer = nullptr;
    QTimer* m_resizeTimer = nullptr;
    QPoint m_pressPos;
    bool m_pressed = false;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QLabel* m_errorLabel = nullptr;
    QComboBox* m_layerCombo = nullptr;
    QComboBox* m_headCombo = nullptr;
    QComboBox* m_modeCombo = nullptr;
    QComboBox* m_scaleCombo = nullptr;
    QCheckBox* m_sinkCheck = nullptr;
    QCustomPlot* m_plot = nullptr;
    std::unique_ptr<HeatmapPlot> m_heatmap;
    QStringList m_labels;
    QStringList m_hoverLabels;
};

}  // namespace prism::viz
