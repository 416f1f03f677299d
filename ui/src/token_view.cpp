// TokenView (see token_view.h): token spans with anchors, tooltips and a selection outline.
#include "prism/ui/token_view.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QUrl>

#include <algorithm>

#include "prism/viz/widgets/soft_check.h"

namespace prism::ui {

namespace {

// A piece as visible text: spaces shown as middle dots, line breaks as ↵.
QString visiblePiece(const QString& piece) {
    QString out = piece.toHtmlEscaped();
    out.replace(QLatin1Char(' '), QChar(0x00B7));
    out.replace(QLatin1Char('\n'), QChar(0x21B5));
    return out.isEmpty() ? QStringLiteral("∅") : out;
}

QString percent(float p) {
    return QStringLiteral("%1%").arg(static_cast<double>(p) * 100.0, 0, 'f', p >= 0.1f ? 1 : 2);
}

QColor tintFor(float p) {
    if (p < 0) return Qt::transparent;
    const double surprise = std::clamp(1.0 - static_cast<double>(p), 0.0, 1.0);
    return QColor(255, 166, 0, static_cast<int>(std::lround(12 + surprise * 120)));
}

}  // namespace

TokenView::TokenView(QWidget* parent) : QTextBrowser(parent) {
    setOpenLinks(false);
    setOpenExternalLinks(false);
    setUndoRedoEnabled(false);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    document()->setDocumentMargin(10);
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 1.1);
    setFont(f);
    connect(this, &QTextBrowser::anchorClicked, this, &TokenView::onAnchorClicked);
}

void TokenView::showPlaceholder(const QString& text) {
    clear();
    m_tokens.clear();
    m_spans.clear();
    m_selected = -1;
    m_outputStart = 0;
    QTextCursor c(document());
    QTextCharFormat fmt;
    fmt.setForeground(palette().color(QPalette::PlaceholderText));
    c.insertText(text, fmt);
}

void TokenView::startOutput(const QString& promptText) {
    clear();
    m_tokens.clear();
    m_spans.clear();
    m_selected = -1;
    setExtraSelections({});
    QTextCursor c(document());
    QTextCharFormat fmt;
    fmt.setForeground(palette().color(QPalette::PlaceholderText));
    c.insertText(promptText, fmt);
    m_outputStart = c.position();
}

void TokenView::appendTokens(const QVector<GeneratedToken>& tokens) {
    QTextCursor c(document());
    c.movePosition(QTextCursor::End);
    const QColor ink = palette().color(QPalette::Text);
    for (const auto& t : tokens) {
        QTextCharFormat fmt;
        fmt.setForeground(ink);
        if (t.id < 0) {  // trailing text of the previous token
            c.insertText(t.text, fmt);
            if (!m_spans.isEmpty()) m_spans.back().end = c.position();
            continue;
        }
        const int index = static_cast<int>(m_tokens.size());
        fmt.setAnchor(true);
        fmt.setAnchorHref(QStringLiteral("#t%1").arg(index));
        fmt.setBackground(tintFor(t.p));
        fmt.setToolTip(toolTipFor(t));
        const int start = c.position();
        c.insertText(t.text, fmt);
        m_tokens.push_back(t);
        m_spans.push_back({start, c.position()});
    }
}

QString TokenView::outputText() const {
    QTextCursor c(document());
    c.setPosition(m_outputStart);
    c.movePosition(QTextCursor::End, QTextCursor::KeepAnchor);
    return c.selectedText().replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
}

QString TokenView::toolTipFor(const GeneratedToken& token) {
    QString html = QStringLiteral("<b>%1</b>&nbsp;&nbsp;id %2")
                       .arg(visiblePiece(token.piece.isEmpty() ? token.text : token.piece))
                       .arg(token.id);
    html += token.p >= 0 ? QStringLiteral("<br>p = %1").arg(percent(token.p))
                         : QStringLiteral("<br>p not recorded (below the top 5)");
    if (!token.top.isEmpty()) {
        html += QStringLiteral("<table cellspacing=0 cellpadding=1 style='margin-top:4px'>");
        for (const auto& alt : token.top) {
            const bool chosen = alt.id == token.id;
            html += QStringLiteral("<tr><td>%1%2%3</td><td align=right>&nbsp;&nbsp;%4</td></tr>")
                        .arg(chosen ? QStringLiteral("<b>") : QString(), visiblePiece(alt.piece),
                             chosen ? QStringLiteral("</b>") : QString(), percent(alt.p));
        }
        html += QStringLiteral("</table>");
    }
    return html;
}

QRect TokenView::tokenRect(int index) const {
    if (index < 0 || index >= m_spans.size()) return {};
    const Span s = m_spans[index];
    if (s.end <= s.start) return {};
    QTextCursor a(document());
    a.setPosition(s.start);
    QTextCursor b(document());
    b.setPosition(std::min(s.start + 1, s.end));
    const QRect ra = cursorRect(a);
    const QRect rb = cursorRect(b);
    if (ra.top() != rb.top()) return rb.adjusted(-2, 0, 0, 0);  // wrapped after its first char
    return QRect(QPoint(ra.left(), ra.top()),
                 QPoint(std::max(rb.left(), ra.left() + 1), ra.bottom()));
}

int TokenView::tokenAt(const QPoint& viewportPos) const {
    const QString href = anchorAt(viewportPos);
    if (!href.startsWith(QLatin1String("#t"))) return -1;
    bool ok = false;
    const int index = href.mid(2).toInt(&ok);
    return ok && index >= 0 && index < m_tokens.size() ? index : -1;
}

void TokenView::onAnchorClicked(const QUrl& url) {
    const QString frag = url.fragment();
    bool ok = false;
    const int index = frag.startsWith(QLatin1Char('t')) ? frag.mid(1).toInt(&ok) : -1;
    PRISM_SOFT_CHECK(ok && index >= 0 && index < m_tokens.size(), return );
    setSelectedToken(index);
    emit tokenClicked(index);
}

void TokenView::contextMenuEvent(QContextMenuEvent* event) {
    QMenu* menu = createStandardContextMenu(event->pos());
    const int index = tokenAt(viewport()->mapFrom(this, event->pos()));
    if (index >= 0) {
        menu->addSeparator();
        QAction* fork = menu->addAction(tr("Fork from here"));
        fork->setToolTip(tr("Put the prompt and the output up to this token into the prompt"));
        connect(fork, &QAction::triggered, this, [this, index] { emit forkRequested(index); });
    }
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(event->globalPos());
}

void TokenView::setSelectedToken(int index) {
    m_selected = index >= 0 && index < m_spans.size() ? index : -1;
    QList<QTextEdit::ExtraSelection> extra;
    if (m_selected >= 0) {
        QTextEdit::ExtraSelection sel;
        sel.cursor = QTextCursor(document());
        sel.cursor.setPosition(m_spans[m_selected].start);
        sel.cursor.setPosition(m_spans[m_selected].end, QTextCursor::KeepAnchor);
        sel.format.setBackground(QColor(52, 120, 246, 70));
        sel.format.setFontUnderline(true);
        sel.format.setUnderlineColor(QColor(52, 120, 246));
        extra.push_back(sel);
    }
    setExtraSelections(extra);
}

}  // namespace prism::ui
