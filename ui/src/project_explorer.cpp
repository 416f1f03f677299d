// ProjectExplorer (see project_explorer.h): the project tree and its refresh.
#include "prism/ui/project_explorer.h"

#include <QDateTime>
#include <QHeaderView>
#include <QPainter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "prism/projects/project.h"
#include "prism/ui/parameter_panel.h"
#include "prism/ui/run_view.h"

namespace prism::ui {

namespace {

namespace pj = prism::projects;

constexpr int k_kind_role = Qt::UserRole;
constexpr int k_id_role = Qt::UserRole + 1;
constexpr int k_text_role = Qt::UserRole + 2;  // model path, preset name

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QIcon dot(const QColor& color) {
    QPixmap pm(12, 12);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(color.darker(130));
    p.setBrush(color);
    p.drawEllipse(QRectF(2, 2, 8, 8));
    return QIcon(pm);
}

QIcon statusIcon(const QString& status) {
    if (status == QLatin1String("finished")) return dot(QColor(46, 160, 67));
    if (status == QLatin1String("stopped")) return dot(QColor(219, 151, 0));
    if (status == QLatin1String("running")) return dot(QColor(52, 120, 246));
    return dot(QColor(207, 34, 46));  // failed, interrupted
}

// The first words of a prompt, on one line, at most about `max` characters.
QString firstWords(const std::string& prompt, int max = 36) {
    QString s = qs(prompt).simplified();
    if (s.size() <= max) return s;
    const qsizetype cut = s.lastIndexOf(QLatin1Char(' '), max);
    return s.left(cut > max / 2 ? cut : max) + QStringLiteral("…");
}

QString when(pj::timestamp_ms ms) {
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd hh:mm:ss"));
}

QTreeWidgetItem* leaf(QTreeWidgetItem* parent, int kind, qint64 id, const QString& text) {
    auto* item = new QTreeWidgetItem(parent, {text});
    item->setData(0, k_kind_role, kind);
    item->setData(0, k_id_role, id);
    return item;
}

void emptyNote(QTreeWidgetItem* g, const QString& text) {
    auto* item = leaf(g, ProjectExplorer::EmptyItem, 0, text);
    item->setFlags(Qt::ItemIsEnabled);
    item->setForeground(0, QPalette().color(QPalette::PlaceholderText));
}

}  // namespace

ProjectExplorer::ProjectExplorer(QWidget* parent) : QWidget(parent) {
    m_tree = new QTreeWidget(this);
    m_tree->setHeaderHidden(true);
    m_tree->setColumnCount(1);
    m_tree->setUniformRowHeights(true);
    m_tree->setTextElideMode(Qt::ElideRight);
    m_tree->setIndentation(14);
    for (const QString& name : {tr("Models"), tr("Runs"), tr("Presets"), tr("Findings")}) {
        auto* g = new QTreeWidgetItem(m_tree, {name});
        g->setData(0, k_kind_role, GroupItem);
        QFont f = g->font(0);
        f.setBold(true);
        g->setFont(0, f);
        g->setFlags(Qt::ItemIsEnabled);
        g->setExpanded(true);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tree);
    connect(m_tree, &QTreeWidget::currentItemChanged, this,
            [this](QTreeWidgetItem* item) { onCurrentChanged(item); });
    connect(m_tree, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem* item) { onActivated(item); });
    refresh();
}

QTreeWidgetItem* ProjectExplorer::group(int index) const {
    return m_tree->topLevelItem(index);
}

void ProjectExplorer::setProject(std::shared_ptr<pj::project> project) {
    m_project = std::move(project);
    m_activeRun = 0;
    m_loadedModel = 0;
    refresh();
}

void ProjectExplorer::setActiveRun(qint64 runId) {
    m_activeRun = runId;
}

void ProjectExplorer::setLoadedModel(qint64 modelId) {
    m_loadedModel = modelId;
    fillModels(group(0));
}

void ProjectExplorer::refresh() {
    m_rebuilding = true;
    const QTreeWidgetItem* current = m_tree->currentItem();
    const int kind = current ? current->data(0, k_kind_role).toInt() : -1;
    const qint64 id = current ? current->data(0, k_id_role).toLongLong() : 0;
    fillModels(group(0));
    fillRuns(group(1));
    fillPresets(group(2));
    fillFindings(group(3));
    if (kind > GroupItem) {
        for (int g = 0; g < m_tree->topLevelItemCount(); ++g)
            for (int i = 0; i < group(g)->childCount(); ++i) {
                QTreeWidgetItem* item = group(g)->child(i);
                if (item->data(0, k_kind_role).toInt() == kind &&
                    item->data(0, k_id_role).toLongLong() == id)
                    m_tree->setCurrentItem(item);
            }
    }
    m_rebuilding = false;
}

void ProjectExplorer::fillModels(QTreeWidgetItem* g) {
    qDeleteAll(g->takeChildren());
    if (!m_project) return emptyNote(g, tr("No project open"));
    auto models = m_project->list_models();
    if (!models || models->empty()) return emptyNote(g, tr("No models yet"));
    for (const auto& m : *models) {
        auto* item = leaf(g, ModelItem, m.id, qs(m.name));
        item->setData(0, k_text_role, qs(m.path));
        item->setToolTip(0, tr("%1\n%2 · sha256 %3…\nDouble-click to load")
                                .arg(qs(m.path), qs(m.format), qs(m.sha256.substr(0, 12))));
        if (m.id == m_loadedModel) {
            QFont f = item->font(0);
            f.setBold(true);
            item->setFont(0, f);
            item->setText(0, tr("%1 (loaded)").arg(qs(m.name)));
        }
    }
}

void ProjectExplorer::fillRuns(QTreeWidgetItem* g) {
    qDeleteAll(g->takeChildren());
    if (!m_project) return emptyNote(g, tr("No project open"));
    auto runs = m_project->list_runs({.limit = k_max_runs});
    if (!runs || runs->empty()) return emptyNote(g, tr("No runs yet"));
    for (const auto& r : *runs) {
        const QString status = runStatusText(r.status, r.id == m_activeRun);
        auto* item =
            leaf(g, RunItem, r.id,
                 QStringLiteral("#%1 %2 · %3").arg(r.id).arg(status, firstWords(r.prompt)));
        item->setIcon(0, statusIcon(status));
        QString tip = tr("Run #%1, %2\n%3 tokens").arg(r.id).arg(status).arg(r.n_tokens);
        if (r.tokens_per_s) tip += tr(", %1 tokens/s").arg(*r.tokens_per_s, 0, 'f', 1);
        tip += tr("\nstarted %1").arg(when(r.created_at));
        tip += QStringLiteral("\n\n") + firstWords(r.prompt, 200);
        item->setToolTip(0, tip);
    }
}

void ProjectExplorer::fillPresets(QTreeWidgetItem* g) {
    qDeleteAll(g->takeChildren());
    for (const auto& b : builtinPresets()) {
        auto* item = leaf(g, PresetItem, 0, tr("%1 (built-in)").arg(b.name));
        item->setData(0, k_text_role, b.name);
        item->setToolTip(0, tr("Double-click to apply"));
    }
    if (!m_project) return;
    auto presets = m_project->list_presets();
    if (!presets) return;
    for (const auto& p : *presets) {
        auto* item = leaf(g, PresetItem, p.id, qs(p.name));
        item->setData(0, k_text_role, qs(p.name));
        item->setToolTip(0, paramsSummary(p.params) + tr("\nDouble-click to apply"));
    }
}

void ProjectExplorer::fillFindings(QTreeWidgetItem* g) {
    qDeleteAll(g->takeChildren());
    if (!m_project) return emptyNote(g, tr("No project open"));
    auto runs = m_project->list_runs({.limit = 50});
    int n = 0;
    if (runs) {
        for (const auto& r : *runs) {
            auto findings = m_project->list_findings(r.id);
            if (!findings) continue;
            for (const auto& f : *findings) {
                const QString head = f.head < 0 ? tr("all heads") : tr("H%1").arg(f.head);
                auto* item = leaf(
                    g, FindingItem, r.id,
                    tr("#%1 L%2 %3 · %4").arg(r.id).arg(f.layer).arg(head, firstWords(f.note, 30)));
                item->setToolTip(0, tr("Run #%1, layer %2, %3, tokens %4–%5\n%6")
                                        .arg(r.id)
                                        .arg(f.layer)
                                        .arg(head)
                                        .arg(f.token_start)
                                        .arg(f.token_end - 1)
                                        .arg(qs(f.note)));
                ++n;
            }
        }
    }
    if (n == 0) emptyNote(g, tr("No findings yet"));
}

void ProjectExplorer::selectRun(qint64 runId) {
    QTreeWidgetItem* item = runItem(runId);
    if (!item) return;
    m_rebuilding = true;
    m_tree->setCurrentItem(item);
    m_rebuilding = false;
}

QTreeWidgetItem* ProjectExplorer::runItem(qint64 runId) const {
    QTreeWidgetItem* g = group(1);
    for (int i = 0; i < g->childCount(); ++i) {
        QTreeWidgetItem* item = g->child(i);
        if (item->data(0, k_kind_role).toInt() == RunItem &&
            item->data(0, k_id_role).toLongLong() == runId)
            return item;
    }
    return nullptr;
}

QList<qint64> ProjectExplorer::runIds() const {
    QList<qint64> ids;
    QTreeWidgetItem* g = group(1);
    for (int i = 0; i < g->childCount(); ++i)
        if (g->child(i)->data(0, k_kind_role).toInt() == RunItem)
            ids << g->child(i)->data(0, k_id_role).toLongLong();
    return ids;
}

void ProjectExplorer::onCurrentChanged(QTreeWidgetItem* item) {
    if (m_rebuilding || !item) return;
    const int kind = item->data(0, k_kind_role).toInt();
    if (kind == RunItem || kind == FindingItem)
        emit runSelected(item->data(0, k_id_role).toLongLong());
}

void ProjectExplorer::onActivated(QTreeWidgetItem* item) {
    if (!item) return;
    switch (item->data(0, k_kind_role).toInt()) {
    case ModelItem:
        emit modelActivated(item->data(0, k_text_role).toString());
        break;
    case PresetItem:
        emit presetActivated(item->data(0, k_text_role).toString());
        break;
    case RunItem:
    case FindingItem:
        emit runSelected(item->data(0, k_id_role).toLongLong());
        break;
    default:
        break;
    }
}

}  // namespace prism::ui
