// AttentionTab: the studio's Attention tab. It shows the captured attention of the run in
// the playground with the clicked token selected, or an empty state that says how to get
// some.
//
// Design: the tab wraps the attention inspector behind the inspector's own small interface
// (setAttention(set, runId), clear(), selectToken(position), findingRequested) and records
// what it was given, so the studio and its tests do not depend on the inspector's insides.
#pragma once

#include <QWidget>

#include <memory>

#include "prism/ui/attention_inspector.h"
#include "prism/viz/attention_data.h"

class QLabel;
class QStackedWidget;

namespace prism::ui {

class AttentionTab : public QWidget {
    Q_OBJECT

public:
    using Inspector = AttentionInspector;

    explicit AttentionTab(QWidget* parent = nullptr);

    void setAttention(std::shared_ptr<const prism::viz::attention_set> set, qint64 runId);
    /// Back to the empty state; `why` replaces the default explanation when given.
    void clear(const QString& why = {});
    /// Selects token `position` (prompt tokens first, BOS included).
    void selectToken(int position);

    std::shared_ptr<const prism::viz::attention_set> attention() const { return m_set; }
    qint64 runId() const { return m_runId; }
    int selectedToken() const { return m_selected; }
    Inspector* inspector() const { return m_inspector; }
    QString emptyText() const;
    /// Waits (bounded) until the views of the inspector are drawn (screenshots, tests).
    bool waitForPrepared(int timeoutMs = 10000);

signals:
    void findingRequested(qint64 runId, int layer, int head, int tokenStart, int tokenEnd,
                          const QString& note);

private:
    QStackedWidget* m_stack = nullptr;
    QLabel* m_empty = nullptr;
    Inspector* m_inspector = nullptr;
    std::shared_ptr<const prism::viz::attention_set> m_set;
    qint64 m_runId = 0;
    int m_selected = -1;
};

}  // namespace prism::ui
