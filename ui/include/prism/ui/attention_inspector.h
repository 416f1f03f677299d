// AttentionInspector: the studio's "Attention" tab. For the selected run it puts the viz
// widgets together and keeps them in step:
//
//   ┌ header: run, model, tokens, captured layers × heads ──────────────────────────┐
//   │ TokenStrip (the text as chips; the selected query's row: where it looked)      │
//   ├──────────────────────────────────────────────────────┬─────────────────────────┤
//   │ AttentionHeatmap (layer / head / view / colour)      │ HeadGrid (layers×heads) │
//   ├──────────────────────────────────────────────────────┴─────────────────────────┤
//   │ selection summary · note [............] [Pin finding] · [PNG] [SVG] [CSV]      │
//   └────────────────────────────────────────────────────────────────────────────────┘
//
// One query token is selected at a time: clicking a chip in the strip, a row in the heatmap
// or calling selectToken() moves it in both. Clicking a head-grid cell shows that head in
// heatmap and strip; changing the heatmap's layer / head / view combos carries over to the
// strip and the grid's outline. "Pin finding" emits findingRequested for the current view
// and the selected token; the owner stores it (projects::project::add_finding).
//
// Design: the inspector holds no matrices of its own and computes nothing heavy; every
// matrix view is prepared off the GUI thread by the widgets (LatestTask). The only work
// here is the selection summary's "looked most at" list, one row of one head or an O(heads
// × T) aggregate row, computed on demand. Splitters keep the layout usable from about
// 900×600 up; 1400×900 is the reference size.
#pragma once

#include <QString>
#include <QWidget>

#include <memory>

#include "prism/viz/attention_data.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QSplitter;
class QStackedWidget;

namespace prism::viz {
class AttentionHeatmap;
class HeadGrid;
class TokenStrip;
}  // namespace prism::viz

namespace prism::ui {

class AttentionInspector : public QWidget {
    Q_OBJECT

public:
    explicit AttentionInspector(QWidget* parent = nullptr);
    ~AttentionInspector() override;

    /// Shows a run's captured attention. nullptr shows the empty state (with a hint that
    /// the run was generated without capture when runId > 0). A new set selects its last
    /// token as the query, keeping the heatmap's layer / head / view where they exist.
    void setAttention(std::shared_ptr<const viz::attention_set> set, qint64 runId);
    /// Back to the empty state: "Generate in the Playground, then click a generated token…".
    void clear();

    std::shared_ptr<const viz::attention_set> attention() const { return m_set; }
    qint64 runId() const { return m_runId; }
    bool isEmptyStateShown() const;
    /// The text the empty state shows now.
    QString emptyStateText() const;

    /// Makes token `position` the query in strip and heatmap (the Playground calls this
    /// when a generated token is clicked). Out of range: a logged soft check, no change.
    void selectToken(int position);
    /// The query token, or -1 when nothing is shown.
    int selectedToken() const { return m_selectedToken; }
    /// The shown layer in model numbering; for rollout the last captured layer; -1 when
    /// nothing is shown.
    int currentLayer() const;
    /// The shown head in model numbering; -1 for the aggregate views (mean, max, rollout)
    /// and when nothing is shown.
    int currentHead() const;

    /// The heatmap as shown, as files (the export buttons ask for a path, then call these).
    /// They wait for the view being prepared, if any, to be shown. PNG size follows
    /// viz::heatmapPngSize (grows with the token count); CSV is the full-resolution matrix.
    /// False with a message in *error when given.
    bool exportPng(const QString& path, QString* error = nullptr);
    bool exportSvg(const QString& path, QString* error = nullptr);
    bool exportCsv(const QString& path, QString* error = nullptr);

    /// "Looked most at: "Lily" 0.42 · "<s>" 0.21 · …" for the selected query in the current
    /// view (head or layer aggregate); empty for rollout or when nothing is selected.
    QString topAttendedText() const;

    viz::TokenStrip* tokenStrip() const { return m_strip; }
    viz::AttentionHeatmap* heatmap() const { return m_heatmap; }
    viz::HeadGrid* headGrid() const { return m_grid; }
    QLineEdit* noteEdit() const { return m_noteEdit; }
    QPushButton* pinButton() const { return m_pinButton; }

signals:
    /// The query token changed (a click in strip or heatmap, selectToken, a new set).
    void tokenSelected(int position);
    /// "Pin finding": a note on tokens [tokenStart, tokenEnd) of the shown layer / head
    /// (model numbering; head -1 for an aggregate view) of run runId.
    void findingRequested(qint64 runId, int layer, int head, int tokenStart, int tokenEnd,
                          const QString& note);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void buildUi();
    void fitStripPane();
    QWidget* buildBottomBar(QWidget* parent);
    void showEmptyState(const QString& text);
    void setSelected(int position);
    void onHeadSelected(int layerIndex, int headIndex);
    void onHeatmapViewChanged();
    void updateSummary();
    void pinFinding();
    void exportWithDialog(const QString& kind);

    std::shared_ptr<const viz::attention_set> m_set;
    qint64 m_runId = 0;
    int m_selectedToken = -1;
    bool m_userSizedStrip = false;  ///< the user dragged the splitter: keep their sizes

    QStackedWidget* m_stack = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QLabel* m_header = nullptr;
    QSplitter* m_vertical = nullptr;
    QSplitter* m_horizontal = nullptr;
    QScrollArea* m_stripScroll = nullptr;
    viz::TokenStrip* m_strip = nullptr;
    viz::AttentionHeatmap* m_heatmap = nullptr;
    viz::HeadGrid* m_grid = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_status = nullptr;
    QLineEdit* m_noteEdit = nullptr;
    QPushButton* m_pinButton = nullptr;
    QPushButton* m_pngButton = nullptr;
    QPushButton* m_svgButton = nullptr;
    QPushButton* m_csvButton = nullptr;
};

}  // namespace prism::ui
