// TokenView: the playground's output, rendered token by token. The prompt is shown muted,
// then each generated token is one span of text whose background tint grows as the model's
// probability of it falls (a sure token is plain, a long-shot is amber). Hovering a token
// shows its probability and the five most probable tokens at that step; clicking one emits
// tokenClicked(index) and outlines it; its context menu offers "Fork from here"
// (forkRequested(index)).
//
// Design: a read-only QTextBrowser. Each token is inserted with a QTextCharFormat that
// carries an anchor ("#t<index>", so clicks come back through anchorClicked with links
// never followed) and its rich-text tooltip (shown by QTextEdit's own tooltip handling), so
// streaming costs one cursor insert per token and no HTML is re-parsed.
#pragma once

#include <QTextBrowser>
#include <QVector>

#include "prism/ui/model_worker.h"

namespace prism::ui {

class TokenView : public QTextBrowser {
    Q_OBJECT

public:
    explicit TokenView(QWidget* parent = nullptr);

    /// Empties the view and shows `promptText` (muted) as the start of a new output.
    void startOutput(const QString& promptText);
    /// Appends generated tokens (id < 0: text only, e.g. bytes held to the end).
    void appendTokens(const QVector<GeneratedToken>& tokens);
    /// Shows a message in place of any output (the empty state).
    void showPlaceholder(const QString& text);

    int tokenCount() const { return static_cast<int>(m_tokens.size()); }
    const GeneratedToken& token(int index) const { return m_tokens[index]; }
    /// The output text after the prompt.
    QString outputText() const;

    /// Rich-text tooltip of a token: its piece, probability and top alternatives.
    static QString toolTipFor(const GeneratedToken& token);
    /// Viewport rectangle of a token's first character (empty if out of range / no text).
    QRect tokenRect(int index) const;
    /// Token under a viewport position, or -1.
    int tokenAt(const QPoint& viewportPos) const;

    /// Outlines token `index` (-1 clears).
    void setSelectedToken(int index);
    int selectedToken() const { return m_selected; }

signals:
    void tokenClicked(int index);
    void forkRequested(int index);

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    struct Span {
        int start = 0;
        int end = 0;
    };
    void onAnchorClicked(const QUrl& url);

    QVector<GeneratedToken> m_tokens;
    QVector<Span> m_spans;  // document positions of each token's text
    int m_outputStart = 0;  // document position where the output starts
    int m_selected = -1;
};

}  // namespace prism::ui
