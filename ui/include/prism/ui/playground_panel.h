// PlaygroundPanel: the studio's prompt playground. A system prompt and a prompt editor,
// Generate / Stop / Re-run buttons, the streaming TokenView, and a line of statistics under
// it (time to first token, tokens per second, tokens, how the run ended).
//
// Design: the panel only shows and asks. It emits generateRequested / stopRequested /
// rerunRequested and is told what happened (beginRun, appendTokens, showRun, showFailure)
// by the main window, which owns the controller. The Ctrl+Enter and Esc shortcuts are the
// main window's (window-wide), not the editors'.
#pragma once

#include <QWidget>

#include "prism/ui/run_view.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace prism::ui {

class TokenView;

class PlaygroundPanel : public QWidget {
    Q_OBJECT

public:
    explicit PlaygroundPanel(QWidget* parent = nullptr);

    QString systemPrompt() const;
    void setSystemPrompt(const QString& text);
    QString prompt() const;
    void setPrompt(const QString& text);

    /// Starts showing a new run: the prompt echo, an empty output, "generating…".
    void beginRun(qint64 runId, const QString& promptText);
    void appendTokens(qint64 runId, const QVector<GeneratedToken>& tokens);
    /// Shows a stored run whole (its prompts go back into the editors).
    void showRun(const RunView& run);
    /// The streamed run ended: its final status and timings (the streamed tokens stay, with
    /// the probabilities they arrived with).
    void finishRun(const RunView& run);
    void showFailure(qint64 runId, const QString& message);

    /// The run the output shows (0 = none).
    qint64 displayedRunId() const { return m_runId; }
    /// Puts the shown run's prompt and its output up to generated token `index` (inclusive)
    /// into the prompt editor, to continue from there.
    void forkFrom(int index);
    /// Enables Generate / Stop / Re-run for the studio's state.
    void setState(bool canGenerate, bool generating);

    TokenView* tokenView() const { return m_output; }
    QPushButton* generateButton() const { return m_generate; }
    QPushButton* stopButton() const { return m_stop; }
    QPushButton* rerunButton() const { return m_rerun; }
    QLabel* statsLabel() const { return m_stats; }

signals:
    void generateRequested();
    void stopRequested();
    void rerunRequested(qint64 runId);
    /// A generated token of the shown run was clicked (index among the generated tokens).
    void tokenClicked(qint64 runId, int index);

private:
    void updateStats();

    QPlainTextEdit* m_system = nullptr;
    QPlainTextEdit* m_prompt = nullptr;
    QPushButton* m_generate = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_rerun = nullptr;
    QLabel* m_runLabel = nullptr;
    TokenView* m_output = nullptr;
    QLabel* m_stats = nullptr;

    qint64 m_runId = 0;
    QString m_status;
    QString m_runPrompt;  // the prompt of the shown run (for forks)
    std::optional<double> m_ttftMs;
    std::optional<double> m_tokensPerSecond;
    bool m_canGenerate = false;
    bool m_generating = false;
};

}  // namespace prism::ui
