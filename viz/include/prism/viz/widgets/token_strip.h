// TokenStrip: the text as a flowing, word-wrapped row of token chips (BertViz-style).
// Each chip's background shows how much attention the selected query token pays to it,
// for the chosen head, layer aggregate or rollout: white = none, orange = the row's
// maximum (the caption states the scale). The query token is outlined in blue, tokens after
// it (which a causal query cannot see) are greyed. Clicking a chip makes it the query and
// emits querySelected. The view's matrix is prepared off the GUI thread, like the heatmap.
#pragma once

#include <QString>
#include <QWidget>

#include <memory>
#include <vector>

#include "prism/viz/attention_data.h"
#include "prism/viz/widgets/view_options.h"

class QTimer;

namespace prism::viz {

template <typename T> class LatestTask;
struct StripMatrix;

class TokenStrip : public QWidget {
    Q_OBJECT

public:
    using Mode = AttentionMode;

    explicit TokenStrip(QWidget* parent = nullptr);
    ~TokenStrip() override;

    /// Shows a captured set (nullptr: the empty state); the query starts at the last token.
    void setAttention(std::shared_ptr<const attention_set> set);
    std::shared_ptr<const attention_set> attention() const { return m_set; }

    /// Index into attention_set::layers / ::heads, as in AttentionHeatmap.
    void setLayerIndex(int layerIndex);
    int layerIndex() const { return m_layerIndex; }
    void setHeadIndex(int headIndex);
    int headIndex() const { return m_headIndex; }
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }

    /// Makes token q the query; emits querySelected(q) when it changed.
    void setQuery(int q);
    int query() const { return m_query; }

    /// Blocks until the matrix of the current mode/layer/head is prepared and shown.
    bool waitForPrepared(int timeoutMs = 30000);
    /// Attention from the query to token k (the matrix value; 0 for k after the query or
    /// when nothing is shown).
    double intensity(int k) const;
    /// Why nothing is shown (e.g. rollout without every layer); empty when fine.
    QString errorText() const;

    /// Widget rectangle of token k's chip (empty when out of range).
    QRect tokenRect(int k) const;
    /// Token under a widget position, or -1.
    int tokenAt(const QPoint& pos) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

public slots:
    /// Head mode on captured (layerIndex, headIndex).
    void showHead(int layerIndex, int headIndex);

signals:
    void querySelected(int q);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct Layout {
        int width = -1;
        int height = 0;
        std::vector<QRect> chips;
    };
    Layout computeLayout(int width) const;
    const Layout& layout() const;
    QString captionText() const;
    void requestMatrix();
    void launchRequest();

    std::shared_ptr<const attention_set> m_set;
    std::shared_ptr<const StripMatrix> m_matrix;
    int m_layerIndex = 0;
    int m_headIndex = 0;
    Mode m_mode = Mode::Head;
    int m_query = -1;
    int m_pressedToken = -1;
    QStringList m_labels;
    mutable Layout m_layout;
    std::unique_ptr<LatestTask<std::shared_ptr<const StripMatrix>>> m_task;
    bool m_requestPending = false;
    QTimer* m_requestTimer = nullptr;
};

}  // namespace prism::viz
