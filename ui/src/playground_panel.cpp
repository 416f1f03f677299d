// PlaygroundPanel (see playground_panel.h): editors, buttons, the token view and its stats.
#include "prism/ui/playground_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QVBoxLayout>

#include "prism/ui/token_view.h"

namespace prism::ui {

namespace {

QLabel* caption(const QString& text, QWidget* parent) {
    auto* l = new QLabel(text, parent);
    QFont f = l->font();
    f.setBold(true);
    l->setFont(f);
    return l;
}

}  // namespace

PlaygroundPanel::PlaygroundPanel(QWidget* parent) : QWidget(parent) {
    auto* inputs = new QWidget(this);
    auto* in = new QVBoxLayout(inputs);
    in->setContentsMargins(0, 0, 0, 0);
    in->setSpacing(4);
    in->addWidget(caption(tr("System prompt"), inputs));
    m_system = new QPlainTextEdit(inputs);
    m_system->setPlaceholderText(tr("Optional instructions placed before the prompt"));
    m_system->setTabChangesFocus(true);
    m_system->setMaximumHeight(m_system->fontMetrics().lineSpacing() * 3 + 14);
    in->addWidget(m_system);
    in->addSpacing(4);
    in->addWidget(caption(tr("Prompt"), inputs));
    m_prompt = new QPlainTextEdit(inputs);
    m_prompt->setPlaceholderText(tr("Write a prompt, then press Ctrl+Enter to generate"));
    m_prompt->setTabChangesFocus(true);
    m_prompt->setMinimumHeight(m_prompt->fontMetrics().lineSpacing() * 3 + 14);
    in->addWidget(m_prompt, 1);

    auto* buttons = new QHBoxLayout;
    m_generate = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Generate"));
    m_generate->setToolTip(tr("Generate (Ctrl+Enter)"));
    m_generate->setDefault(true);
    m_stop = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"));
    m_stop->setToolTip(tr("Stop generating (Esc)"));
    m_rerun = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Re-run"));
    m_rerun->setToolTip(tr("Run the shown run again with identical parameters and seed"));
    m_runLabel = new QLabel(inputs);
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_runLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    buttons->addWidget(m_generate);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_rerun);
    buttons->addSpacing(8);
    buttons->addWidget(m_runLabel, 1);
    in->addLayout(buttons);

    auto* outputs = new QWidget(this);
    auto* out = new QVBoxLayout(outputs);
    out->setContentsMargins(0, 0, 0, 0);
    out->setSpacing(4);
    auto* outputHeader = new QHBoxLayout;
    outputHeader->addWidget(caption(tr("Output"), outputs));
    auto* legend = new QLabel(tr("shading: the less likely a token was, the stronger"), outputs);
    legend->setForegroundRole(QPalette::PlaceholderText);
    outputHeader->addStretch(1);
    outputHeader->addWidget(legend);
    out->addLayout(outputHeader);
    m_output = new TokenView(outputs);
    m_output->showPlaceholder(tr("The generated text appears here, token by token. Hover a "
                                 "token for its probability and alternatives; click it to "
                                 "see its attention."));
    out->addWidget(m_output, 1);
    m_stats = new QLabel(outputs);
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    out->addWidget(m_stats);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(inputs);
    split->addWidget(outputs);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({280, 520});
    split->setChildrenCollapsible(false);
    auto* top = new QVBoxLayout(this);
    top->setContentsMargins(8, 8, 8, 6);
    top->addWidget(split);

    connect(m_generate, &QPushButton::clicked, this, &PlaygroundPanel::generateRequested);
    connect(m_stop, &QPushButton::clicked, this, &PlaygroundPanel::stopRequested);
    connect(m_rerun, &QPushButton::clicked, this, [this] {
        if (m_runId != 0) emit rerunRequested(m_runId);
    });
    connect(m_output, &TokenView::forkRequested, this, &PlaygroundPanel::forkFrom);
    connect(m_output, &TokenView::tokenClicked, this,
            [this](int index) { emit tokenClicked(m_runId, index); });
    setState(false, false);
    updateStats();
}

QString PlaygroundPanel::systemPrompt() const {
    return m_system->toPlainText();
}
void PlaygroundPanel::setSystemPrompt(const QString& text) {
    m_system->setPlainText(text);
}
QString PlaygroundPanel::prompt() const {
    return m_prompt->toPlainText();
}
void PlaygroundPanel::setPrompt(const QString& text) {
    m_prompt->setPlainText(text);
}

void PlaygroundPanel::beginRun(qint64 runId, const QString& promptText) {
    m_runId = runId;
    m_runPrompt = m_prompt->toPlainText();  // generate() and rerun() read it from here
    m_status = QStringLiteral("running");
    m_ttftMs.reset();
    m_tokensPerSecond.reset();
    m_runLabel->setText(tr("Run #%1").arg(runId));
    m_output->startOutput(promptText);
    updateStats();
}

void PlaygroundPanel::appendTokens(qint64 runId, const QVector<GeneratedToken>& tokens) {
    if (runId != m_runId) return;
    m_output->appendTokens(tokens);
    updateStats();
}

void PlaygroundPanel::showRun(const RunView& run) {
    m_runId = run.runId;
    m_runPrompt = run.prompt;
    m_status = run.status;
    m_ttftMs = run.ttftMs;
    m_tokensPerSecond = run.tokensPerSecond;
    m_system->setPlainText(run.systemPrompt);
    m_prompt->setPlainText(run.prompt);
    m_runLabel->setText(tr("Run #%1 · %2").arg(run.runId).arg(paramsSummary(run.params)));
    m_runLabel->setToolTip(m_runLabel->text());
    const QString echo = run.systemPrompt.isEmpty()
                             ? run.prompt
                             : run.systemPrompt + QStringLiteral("\n\n") + run.prompt;
    m_output->startOutput(echo);
    QVector<GeneratedToken> tokens = run.tokens;
    if (!run.trailingText.isEmpty()) tokens.push_back({.id = -1, .text = run.trailingText});
    m_output->appendTokens(tokens);
    if (!run.error.isEmpty()) m_status += QStringLiteral(": ") + run.error;
    updateStats();
    setState(m_canGenerate, m_generating);
}

void PlaygroundPanel::finishRun(const RunView& run) {
    if (run.runId != m_runId) return;
    if (run.tokens.size() != m_output->tokenCount()) return showRun(run);
    m_runPrompt = run.prompt;
    m_status = run.status;
    m_ttftMs = run.ttftMs;
    m_tokensPerSecond = run.tokensPerSecond;
    m_runLabel->setText(tr("Run #%1 · %2").arg(run.runId).arg(paramsSummary(run.params)));
    m_runLabel->setToolTip(m_runLabel->text());
    updateStats();
}

void PlaygroundPanel::showFailure(qint64 runId, const QString& message) {
    if (runId != m_runId) return;
    m_status = tr("failed: %1").arg(message);
    updateStats();
}

void PlaygroundPanel::forkFrom(int index) {
    if (index < 0 || index >= m_output->tokenCount()) return;
    QString text = m_runPrompt;
    for (int i = 0; i <= index; ++i) text += m_output->token(i).text;
    m_prompt->setPlainText(text);
    m_prompt->moveCursor(QTextCursor::End);
    m_prompt->setFocus();
}

void PlaygroundPanel::setState(bool canGenerate, bool generating) {
    m_canGenerate = canGenerate;
    m_generating = generating;
    m_generate->setEnabled(canGenerate && !generating);
    m_stop->setEnabled(generating);
    m_rerun->setEnabled(canGenerate && !generating && m_runId != 0);
}

void PlaygroundPanel::updateStats() {
    if (m_runId == 0) {
        m_stats->setText(tr("No run yet"));
        return;
    }
    QStringList parts;
    const int n = m_output->tokenCount();
    parts << (n == 1 ? tr("1 token") : tr("%1 tokens").arg(n));
    if (m_ttftMs) parts << tr("TTFT %1 ms").arg(*m_ttftMs, 0, 'f', 1);
    if (m_tokensPerSecond) parts << tr("%1 tokens/s").arg(*m_tokensPerSecond, 0, 'f', 1);
    parts << (m_status == QLatin1String("running") ? tr("generating…") : m_status);
    m_stats->setText(parts.join(QStringLiteral("  ·  ")));
}

}  // namespace prism::ui
