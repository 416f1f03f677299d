// AttentionTab (see attention_tab.h): empty state or the inspector, and what it was given.
#include "prism/ui/attention_tab.h"

#include <QElapsedTimer>
#include <QLabel>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/token_strip.h"

namespace prism::ui {

namespace {

QString defaultEmptyText() {
    return QObject::tr("No attention to show yet.\n\nTick “Capture attention” in the "
                       "parameters, generate in the Playground, then click a generated token "
                       "to see what it attended to.");
}

}  // namespace

AttentionTab::AttentionTab(QWidget* parent) : QWidget(parent) {
    m_stack = new QStackedWidget(this);
    m_empty = new QLabel(defaultEmptyText(), m_stack);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setMargin(40);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_inspector = new Inspector(m_stack);
    m_stack->addWidget(m_empty);
    m_stack->addWidget(m_inspector);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);
    connect(m_inspector, &Inspector::findingRequested, this, &AttentionTab::findingRequested);
}

void AttentionTab::setAttention(std::shared_ptr<const prism::viz::attention_set> set,
                                qint64 runId) {
    if (!set) return clear();
    m_set = std::move(set);
    m_runId = runId;
    m_selected = -1;
    m_inspector->setAttention(m_set, runId);
    m_stack->setCurrentWidget(m_inspector);
}

void AttentionTab::clear(const QString& why) {
    m_set.reset();
    m_runId = 0;
    m_selected = -1;
    m_inspector->clear();
    m_empty->setText(why.isEmpty() ? defaultEmptyText() : why);
    m_stack->setCurrentWidget(m_empty);
}

void AttentionTab::selectToken(int position) {
    if (!m_set || position < 0 || position >= m_set->n_tokens()) return;
    m_selected = position;
    m_inspector->selectToken(position);
}

QString AttentionTab::emptyText() const {
    return m_stack->currentWidget() == m_empty ? m_empty->text() : QString();
}

bool AttentionTab::waitForPrepared(int timeoutMs) {
    QElapsedTimer clock;
    clock.start();
    bool ok = true;
    for (auto* h : m_inspector->findChildren<prism::viz::AttentionHeatmap*>())
        ok = h->waitForPrepared(std::max(1, timeoutMs - static_cast<int>(clock.elapsed()))) && ok;
    for (auto* s : m_inspector->findChildren<prism::viz::TokenStrip*>())
        ok = s->waitForPrepared(std::max(1, timeoutMs - static_cast<int>(clock.elapsed()))) && ok;
    return ok;
}

}  // namespace prism::ui
