// ProjectExplorer: the left-hand dock. A tree of the open project's Models, Runs (history,
// newest first, each with its status and the first words of its prompt), Presets and
// Findings. Selecting a run reopens it; activating a model loads it; activating a preset
// applies it; selecting a finding reopens its run.
//
// Design: refresh() reads the project's small lists on the GUI thread (a few indexed
// queries; runs are paged to the newest k_max_runs) and rebuilds the tree, keeping the
// selected item and the groups' expansion. Items carry their kind and record id as data.
#pragma once

#include <QWidget>

#include <memory>

class QTreeWidget;
class QTreeWidgetItem;

namespace prism::projects {
class project;
}

namespace prism::ui {

class ProjectExplorer : public QWidget {
    Q_OBJECT

public:
    enum ItemKind { GroupItem = 0, ModelItem, RunItem, PresetItem, FindingItem, EmptyItem };
    static constexpr int k_max_runs = 200;

    explicit ProjectExplorer(QWidget* parent = nullptr);

    void setProject(std::shared_ptr<prism::projects::project> project);
    /// Rebuilds the tree from the project.
    void refresh();
    /// The run being generated now (shown as running rather than interrupted).
    void setActiveRun(qint64 runId);
    /// The loaded model (shown in bold).
    void setLoadedModel(qint64 modelId);

    /// Selects a run's item without emitting runSelected.
    void selectRun(qint64 runId);
    QTreeWidgetItem* runItem(qint64 runId) const;
    /// Run ids in display order (newest first).
    QList<qint64> runIds() const;
    QTreeWidget* tree() const { return m_tree; }

signals:
    void runSelected(qint64 runId);
    void modelActivated(const QString& path);
    void presetActivated(const QString& name);

private:
    QTreeWidgetItem* group(int index) const;
    void fillModels(QTreeWidgetItem* g);
    void fillRuns(QTreeWidgetItem* g);
    void fillPresets(QTreeWidgetItem* g);
    void fillFindings(QTreeWidgetItem* g);
    void onCurrentChanged(QTreeWidgetItem* item);
    void onActivated(QTreeWidgetItem* item);

    QTreeWidget* m_tree = nullptr;
    std::shared_ptr<prism::projects::project> m_project;
    qint64 m_activeRun = 0;
    qint64 m_loadedModel = 0;
    bool m_rebuilding = false;
};

}  // namespace prism::ui
