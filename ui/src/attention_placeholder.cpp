// AttentionPlaceholder (see attention_placeholder.h): heatmap + token strip kept in step.
#include "prism/ui/attention_placeholder.h"

#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/token_strip.h"

namespace prism::ui {

namespace {

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

}  // namespace

AttentionPlaceholder::AttentionPlaceholder(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::RichText);
    m_heatmap = new prism::viz::AttentionHeatmap(this);
    m_strip = new prism::viz::TokenStrip(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_heatmap);
    split->addWidget(m_strip);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(m_title);
    layout->addWidget(split, 1);
    connect(m_heatmap, &prism::viz::AttentionHeatmap::querySelected, this,
            &AttentionPlaceholder::selectToken);
    connect(m_strip, &prism::viz::TokenStrip::querySelected, this,
            &AttentionPlaceholder::selectToken);
    // The strip follows the head the heatmap shows.
    connect(m_heatmap, &prism::viz::AttentionHeatmap::viewPrepared, this, [this] {
        m_strip->setMode(m_heatmap->mode());
        m_strip->setLayerIndex(m_heatmap->layerIndex());
        m_strip->setHeadIndex(m_heatmap->headIndex());
    });
}

void AttentionPlaceholder::setAttention(std::shared_ptr<const prism::viz::attention_set> set,
                                        qint64 runId) {
    m_set = std::move(set);
    m_runId = runId;
    m_selected = -1;
    m_heatmap->setAttention(m_set);
    m_strip->setAttention(m_set);
    updateTitle();
}

void AttentionPlaceholder::clear() {
    setAttention(nullptr, 0);
}

void AttentionPlaceholder::selectToken(int position) {
    if (!m_set || position < 0 || position >= m_set->n_tokens()) return;
    if (position == m_selected) return;
    m_selected = position;
    m_heatmap->selectQuery(position);
    m_strip->setQuery(position);
    updateTitle();
}

void AttentionPlaceholder::updateTitle() {
    if (!m_set) {
        m_title->clear();
        return;
    }
    QString text = tr("<b>Run #%1</b> · %2 · %3 tokens (%4 prompt)")
                       .arg(m_runId)
                       .arg(qs(m_set->model).toHtmlEscaped())
                       .arg(m_set->n_tokens())
                       .arg(m_set->n_prompt);
    if (m_selected >= 0) {
        const QString piece = qs(m_set->pieces[static_cast<size_t>(m_selected)]);
        text += tr(" · selected token %1 <b>“%2”</b>%3")
                    .arg(m_selected)
                    .arg(piece.toHtmlEscaped())
                    .arg(m_selected >= m_set->n_prompt
                             ? tr(" (generated #%1)").arg(m_selected - m_set->n_prompt)
                             : tr(" (prompt)"));
    }
    m_title->setText(text);
}

}  // namespace prism::ui
