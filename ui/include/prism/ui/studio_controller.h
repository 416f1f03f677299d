// StudioController: the studio's non-visual half. It owns the open project (the store of
// projects/), the ModelWorker on its own QThread, and the bookkeeping that turns a
// generation into a stored run. The main window only shows what it reports.
//
// Threads (ARCHITECTURE.md, GUI threading): model loading and generation run on the worker
// thread, reached through queued signals only; Stop is the worker's one direct call. Small
// database writes (a run row, each ~30 ms token batch, the outcome) run on the GUI thread so
// a crash mid-run leaves the started run and its output so far in the database; they wait
// at most a second for another process's lock. Attention snapshots are encoded and written
// on the thread pool (QtConcurrent) through a project connection of their own, and reported
// back as signals; reading one back for a reopened run is done there too.
//
// Errors (a bad model file, a locked or damaged project, a failed generation) never throw
// past this class: each becomes errorOccurred(message) and a log line.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <memory>
#include <optional>

#include "prism/projects/project.h"
#include "prism/ui/model_worker.h"
#include "prism/ui/run_view.h"

namespace prism::ui {

/// What one generation asks for: the texts, the parameters (seed already resolved: the
/// seed stored with the run is the one used), and whether to capture attention.
struct GenerationSpec {
    QString prompt;
    QString systemPrompt;
    prism::projects::generation_params params;
    bool captureAttention = true;
};

class StudioController : public QObject {
    Q_OBJECT

public:
    explicit StudioController(QObject* parent = nullptr);
    /// Stops a running generation (its run is recorded as stopped) and joins the worker.
    ~StudioController() override;

    // ---- project ----
    /// Makes a new project in `dir` (empty or missing) and opens it. False (and
    /// errorOccurred) on failure; the previous project then stays open.
    bool createProject(const QString& dir);
    bool openProject(const QString& dir);
    bool hasProject() const { return m_project != nullptr; }
    QString projectDir() const { return m_projectDir; }
    /// The open project (GUI thread); null without one.
    std::shared_ptr<prism::projects::project> project() const { return m_project; }
    /// The model the project used last (its settings), or empty.
    QString lastModelPath() const;

    // ---- model ----
    /// Loads a model on the worker thread; the loaded one stays usable if this one fails.
    void loadModel(const QString& path);
    bool isLoadingModel() const { return m_loading; }
    bool hasModel() const { return m_modelInfo.has_value(); }
    std::optional<ModelInfo> modelInfo() const { return m_modelInfo; }
    /// The loaded model's id in the open project (0 when not registered).
    qint64 modelId() const { return m_modelId; }

    // ---- generation ----
    /// Records a run (status running) and starts it; its id, or 0 (and errorOccurred) when no
    /// project or model is ready or a generation is already running.
    qint64 generate(const GenerationSpec& spec);
    /// Asks the running generation to stop before its next token.
    void stop();
    bool isGenerating() const { return m_activeRun != 0; }
    qint64 activeRunId() const { return m_activeRun; }

    // ---- history ----
    /// The stored run as the playground shows it (its attention, if any, arrives later via
    /// attentionReady). Empty (and errorOccurred) when it cannot be read.
    std::optional<RunView> loadRun(qint64 runId);
    /// Saves params under `name` (replacing a user preset of that name). False on failure.
    bool savePreset(const QString& name, const prism::projects::generation_params& params);
    /// Records a note about a span of a run's attention.
    bool addFinding(const prism::projects::new_finding& finding);

signals:
    void projectOpened(const QString& dir);
    void modelLoadStarted(const QString& path);
    void modelLoaded(const prism::ui::ModelInfo& info);
    void modelLoadFailed(const QString& path, const QString& message);

    void generationStarted(qint64 runId, const QString& promptText);
    void tokensArrived(qint64 runId, const QVector<prism::ui::GeneratedToken>& tokens);
    /// The run ended (finished or stopped); view holds its final stored state.
    void generationFinished(qint64 runId, const prism::ui::RunView& view);
    void generationFailed(qint64 runId, const QString& message);
    /// Captured or reloaded attention of a run.
    void attentionReady(qint64 runId, std::shared_ptr<const prism::viz::attention_set> set);
    /// A run's attention snapshot is in the project (ok) or could not be written.
    void attentionSaved(qint64 runId, bool ok);

    void runsChanged();
    void presetsChanged();
    void findingsChanged();
    /// Busy state changed (loading a model, generating).
    void stateChanged();

    void logMessage(const QString& line);
    void errorOccurred(const QString& message);

    // To the worker (queued).
    void workerLoadRequested(const QString& path);
    void workerGenerateRequested(const prism::ui::GenerationRequest& request);

private slots:
    void onModelLoaded(const prism::ui::ModelInfo& info);
    void onModelLoadFailed(const QString& path, const QString& message);
    void onGenerationStarted(qint64 runId, const QString& promptText);
    void onTokensReady(qint64 runId, const QVector<prism::ui::GeneratedToken>& tokens);
    void onGenerationFinished(const prism::ui::GenerationResult& result);
    void onGenerationFailed(qint64 runId, const QString& message);

private:
    bool adoptProject(prism::result<prism::projects::project> opened, const QString& dir,
                      const QString& verb);
    void registerModel();
    void finishRunOnClose();
    void saveAttention(qint64 runId, std::shared_ptr<const prism::viz::attention_set> set);
    /// Starts reading the run's newest snapshot (attentionReady follows); false if none.
    bool readAttention(qint64 runId);
    void fail(const QString& message);

    QThread m_thread;
    ModelWorker* m_worker = nullptr;  // lives on m_thread, deleted when it finishes
    std::shared_ptr<prism::projects::project> m_project;
    QString m_projectDir;
    std::optional<ModelInfo> m_modelInfo;
    qint64 m_modelId = 0;
    bool m_loading = false;
    qint64 m_activeRun = 0;
    bool m_stopRequested = false;
};

}  // namespace prism::ui
