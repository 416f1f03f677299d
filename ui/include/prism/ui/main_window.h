// MainWindow: the studio's IDE layout. The project explorer docked left, the Playground and
// Attention tabs in the centre under a dismissable message banner, the parameter dock on
// the right, the log dock at the bottom and a status bar (model, backend, last tokens/s,
// memory in use). The File menu makes and opens projects (with a persisted recent list)
// and opens models; Ctrl+Enter generates and Esc stops anywhere in the window.
//
// Design: the window owns a StudioController (project, worker thread, run bookkeeping) and
// only wires its reports to the panels. Nothing here blocks: errors become a banner message
// and a log line, never a modal dialog. Settings (recent projects, window geometry) go to
// QSettings, or to the ini file StudioOptions names (tests use a temporary one).
#pragma once

#include <QMainWindow>
#include <QString>

#include <memory>

class QDockWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QSettings;
class QTabWidget;

namespace prism::ui {

class AttentionTab;
class MessageBanner;
class ParameterPanel;
class PlaygroundPanel;
class ProjectExplorer;
class StudioController;
struct RunView;

struct StudioOptions {
    QString settingsFile;      ///< ini file for settings; empty = the user's QSettings
    QString sampleProjectDir;  ///< empty = AppDataLocation + "/Sample Project"
    QString defaultModel;      ///< empty = prism::default_model_path()
};

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    enum class Tab { Playground, Attention };

    explicit MainWindow(const StudioOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Opens a project and, unless a model is loaded already, loads the model it used last
    /// (or the bundled one). False (banner + log) on failure.
    bool openProject(const QString& dir);
    bool createProject(const QString& dir);
    /// Opens the project in `dir`, or makes one there when the folder is missing or empty.
    bool openOrCreateProject(const QString& dir);
    /// First launch: opens the sample project, creating it (in the user's data folder unless
    /// StudioOptions says otherwise) with the bundled model when it does not exist.
    bool openSampleProject();
    QString sampleProjectDir() const;
    void loadModel(const QString& path);

    /// Generates from the playground's prompts and the parameter dock; the run id or 0.
    qint64 generate();
    /// Runs a stored run again with its prompts, parameters and seed; the new run id or 0.
    qint64 rerun(qint64 runId);
    void stop();
    /// Shows a stored run in the playground (and its attention, when captured).
    void showRun(qint64 runId);
    /// Selects generated token `index` of the shown run in the Attention tab and shows it.
    void selectGeneratedToken(int index);
    void showTab(Tab tab);

    void log(const QString& line);
    void showError(const QString& message);

    QStringList recentProjects() const;

    StudioController* controller() const { return m_controller; }
    PlaygroundPanel* playground() const { return m_playground; }
    ParameterPanel* parameters() const { return m_parameters; }
    ProjectExplorer* explorer() const { return m_explorer; }
    AttentionTab* attentionTab() const { return m_attention; }
    MessageBanner* banner() const { return m_banner; }
    QPlainTextEdit* logView() const { return m_log; }
    QTabWidget* tabs() const { return m_tabs; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildUi();
    void buildMenus();
    void wireController();
    void updateState();
    void updateTitle();
    void updateMemory();
    void addRecent(const QString& dir);
    void fillRecentMenu();
    void afterProjectOpened();
    void onGenerationFinished(qint64 runId, const RunView& view);

    StudioOptions m_options;
    std::unique_ptr<QSettings> m_settings;
    StudioController* m_controller = nullptr;

    MessageBanner* m_banner = nullptr;
    QTabWidget* m_tabs = nullptr;
    PlaygroundPanel* m_playground = nullptr;
    AttentionTab* m_attention = nullptr;
    ProjectExplorer* m_explorer = nullptr;
    ParameterPanel* m_parameters = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QDockWidget* m_explorerDock = nullptr;
    QDockWidget* m_parameterDock = nullptr;
    QDockWidget* m_logDock = nullptr;
    QMenu* m_recentMenu = nullptr;

    QLabel* m_statusModel = nullptr;
    QLabel* m_statusBackend = nullptr;
    QLabel* m_statusSpeed = nullptr;
    QLabel* m_statusMemory = nullptr;

    int m_pendingToken = -1;    // generated-token index to select once the run's attention arrives
    QByteArray m_defaultState;  ///< the layout before any saved one is restored
};

/// Resident memory of this process from /proc/self/status (VmRSS), in bytes; -1 if unknown.
qint64 residentMemoryBytes();

}  // namespace prism::ui
