// AttentionPlaceholder: a stand-in for prism::ui::AttentionInspector with the same small
// interface (setAttention, clear, selectToken, findingRequested): the viz heatmap of one
// head with the selected token's row outlined, and a token strip that shows how much that
// token attends to each earlier one. It records no findings.
#pragma once

#include <QWidget>

#include <memory>

#include "prism/viz/attention_data.h"

class QLabel;

namespace prism::viz {
class AttentionHeatmap;
class TokenStrip;
}  // namespace prism::viz

namespace prism::ui {

class AttentionPlaceholder : public QWidget {
    Q_OBJECT

public:
    explicit AttentionPlaceholder(QWidget* parent = nullptr);

    void setAttention(std::shared_ptr<const prism::viz::attention_set> set, qint64 runId);
    void clear();
    void selectToken(int position);

    prism::viz::AttentionHeatmap* heatmap() const { return m_heatmap; }
    prism::viz::TokenStrip* strip() const { return m_strip; }

signals:
    void findingRequested(qint64 runId, int layer, int head, int tokenStart, int tokenEnd,
                          const QString& note);

private:
    void updateTitle();

    QLabel* m_title = nullptr;
    prism::viz::AttentionHeatmap* m_heatmap = nullptr;
    prism::viz::TokenStrip* m_strip = nullptr;
    std::shared_ptr<const prism::viz::attention_set> m_set;
    qint64 m_runId = 0;
    int m_selected = -1;
};

}  // namespace prism::ui
