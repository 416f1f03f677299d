// StudioController (see studio_controller.h): project, worker thread and run bookkeeping.
#include "prism/ui/studio_controller.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtConcurrent/QtConcurrentRun>

#include "prism/viz/attention_io.h"
#include "prism/viz/widgets/soft_check.h"

namespace prism::ui {

namespace {

namespace pj = prism::projects;

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

// The project setting that remembers the model a project used last.
constexpr std::string_view k_last_model_key = "studio.last_model";

// How long a database call on the GUI thread waits for another process's write lock: long
// enough for a concurrent CLI's short transactions, short enough that a locked project is a
// prompt error rather than a frozen window.
constexpr int k_gui_busy_timeout_ms = 1000;

struct LoadedAttention {
    std::shared_ptr<const prism::viz::attention_set> set;
    QString error;
};

}  // namespace

StudioController::StudioController(QObject* parent) : QObject(parent), m_worker(new ModelWorker) {
    m_worker->moveToThread(&m_thread);
    m_thread.setObjectName(QStringLiteral("prism-model-worker"));
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &StudioController::workerLoadRequested, m_worker, &ModelWorker::loadModel,
            Qt::QueuedConnection);
    connect(this, &StudioController::workerGenerateRequested, m_worker, &ModelWorker::generate,
            Qt::QueuedConnection);
    connect(m_worker, &ModelWorker::modelLoaded, this, &StudioController::onModelLoaded,
            Qt::QueuedConnection);
    connect(m_worker, &ModelWorker::modelLoadFailed, this, &StudioController::onModelLoadFailed,
            Qt::QueuedConnection);
    connect(m_worker, &ModelWorker::generationStarted, this, &StudioController::onGenerationStarted,
            Qt::QueuedConnection);
    connect(m_worker, &ModelWorker::tokensReady, this, &StudioController::onTokensReady,
            Qt::QueuedConnection);
    connect(m_worker, &ModelWorker::generationFinished, this,
            &StudioController::onGenerationFinished, Qt::QueuedConnection);
    connect(m_worker, &ModelWorker::generationFailed, this, &StudioController::onGenerationFailed,
            Qt::QueuedConnection);
    m_thread.start();
}

StudioController::~StudioController() {
    if (m_activeRun != 0) m_worker->requestStop();
    m_thread.quit();
    m_thread.wait();
    finishRunOnClose();
}

void StudioController::finishRunOnClose() {
    if (m_activeRun == 0 || !m_project) return;
    // The worker's last batches and its result were dropped with the event queue: the run
    // keeps the output appended so far and ends as stopped.
    (void)m_project->finish_run(m_activeRun, {.status = pj::run_status::stopped});
    m_activeRun = 0;
}

void StudioController::fail(const QString& message) {
    emit logMessage(QStringLiteral("error: ") + message);
    emit errorOccurred(message);
}

// ---- project ------------------------------------------------------------------------------

bool StudioController::createProject(const QString& dir) {
    if (m_activeRun != 0) {
        fail(tr("Stop the running generation before switching projects."));
        return false;
    }
    return adoptProject(
        pj::project::create(dir.toStdString(), {.busy_timeout_ms = k_gui_busy_timeout_ms}), dir,
        tr("create"));
}

bool StudioController::openProject(const QString& dir) {
    if (m_activeRun != 0) {
        fail(tr("Stop the running generation before switching projects."));
        return false;
    }
    return adoptProject(
        pj::project::open(dir.toStdString(), {.busy_timeout_ms = k_gui_busy_timeout_ms}), dir,
        tr("open"));
}

bool StudioController::adoptProject(prism::result<pj::project> opened, const QString& dir,
                                    const QString& verb) {
    if (!opened) {
        fail(tr("Could not %1 the project %2: %3").arg(verb, dir, qs(opened.error().message)));
        return false;
    }
    m_project = std::make_shared<pj::project>(std::move(*opened));
    m_projectDir = QFileInfo(dir).absoluteFilePath();
    m_modelId = 0;
    if (m_modelInfo) registerModel();
    emit logMessage(tr("Project %1 opened").arg(m_projectDir));
    emit projectOpened(m_projectDir);
    emit runsChanged();
    emit presetsChanged();
    emit findingsChanged();
    emit stateChanged();
    return true;
}

QString StudioController::lastModelPath() const {
    if (!m_project) return {};
    auto v = m_project->get_setting(k_last_model_key);
    return v && *v ? qs(**v) : QString();
}

// ---- model --------------------------------------------------------------------------------

void StudioController::loadModel(const QString& path) {
    if (m_activeRun != 0) {
        fail(tr("Stop the running generation before loading another model."));
        return;
    }
    m_loading = true;
    emit logMessage(tr("Loading model %1").arg(path));
    emit modelLoadStarted(path);
    emit stateChanged();
    emit workerLoadRequested(path);
}

void StudioController::onModelLoaded(const ModelInfo& info) {
    m_loading = false;
    m_modelInfo = info;
    registerModel();
    emit logMessage(tr("Model %1 loaded (%2; %3)").arg(info.name, info.summary, info.backend));
    emit modelLoaded(info);
    emit stateChanged();
}

void StudioController::onModelLoadFailed(const QString& path, const QString& message) {
    m_loading = false;
    QString text = tr("Could not load the model %1: %2").arg(path, message);
    if (m_modelInfo) text += tr(" (still using %1)").arg(m_modelInfo->name);
    fail(text);
    emit modelLoadFailed(path, message);
    emit stateChanged();
}

void StudioController::registerModel() {
    m_modelId = 0;
    if (!m_project || !m_modelInfo) return;
    const ModelInfo& info = *m_modelInfo;
    auto found = m_project->find_model_by_sha256(info.sha256.toStdString());
    if (found && *found) {
        m_modelId = (*found)->id;
    } else {
        const QJsonObject meta{{"summary", info.summary},
                               {"backend", info.backend},
                               {"bytes", static_cast<double>(info.bytes)}};
        auto id = m_project->add_model(
            {.path = info.path.toStdString(),
             .sha256 = info.sha256.toStdString(),
             .format = info.format.isEmpty() ? std::string("unknown") : info.format.toStdString(),
             .name = info.name.toStdString(),
             .metadata_json = QJsonDocument(meta).toJson(QJsonDocument::Compact).toStdString()});
        if (!id) {
            fail(tr("Could not register the model in the project: %1").arg(qs(id.error().message)));
            return;
        }
        m_modelId = *id;
        emit runsChanged();  // the explorer lists models too
    }
    (void)m_project->set_setting(k_last_model_key, info.path.toStdString());
}

// ---- generation ---------------------------------------------------------------------------

qint64 StudioController::generate(const GenerationSpec& spec) {
    if (!m_project) {
        fail(tr("Open or create a project first."));
        return 0;
    }
    if (m_activeRun != 0) {
        fail(tr("A generation is already running."));
        return 0;
    }
    if (m_loading) {
        fail(tr("A model is still loading."));
        return 0;
    }
    if (!m_modelInfo || m_modelId == 0) {
        fail(tr("No model is loaded: open one with File > Open Model."));
        return 0;
    }
    if (spec.prompt.trimmed().isEmpty()) {
        fail(tr("Write a prompt first."));
        return 0;
    }
    pj::generation_params params = spec.params;
    params.system_prompt = spec.systemPrompt.isEmpty()
                               ? std::nullopt
                               : std::optional<std::string>(spec.systemPrompt.toStdString());
    const prism::sampler_params sampling = params.sampling();
    if (auto ok = prism::sampler_params_validate(sampling); !ok) {
        fail(tr("Invalid parameters: %1").arg(qs(ok.error().message)));
        return 0;
    }
    auto id = m_project->add_run(
        {.model_id = m_modelId, .prompt = spec.prompt.toStdString(), .params = params});
    if (!id) {
        fail(tr("Could not record the run: %1").arg(qs(id.error().message)));
        return 0;
    }
    m_activeRun = *id;
    m_stopRequested = false;
    // Cleared here, before the request is queued, not by the worker when it starts: a Stop
    // pressed while the request waits in the queue must still stop this run.
    m_worker->clearStop();
    GenerationRequest request;
    request.runId = *id;
    request.systemPrompt = spec.systemPrompt;
    request.prompt = spec.prompt;
    request.sampling = sampling;
    request.nPredict = params.n_predict;
    request.captureAttention = spec.captureAttention;
    emit logMessage(tr("Run #%1 started (%2)").arg(*id).arg(paramsSummary(params)));
    emit workerGenerateRequested(request);
    emit runsChanged();
    emit stateChanged();
    return *id;
}

void StudioController::stop() {
    if (m_activeRun == 0 || m_stopRequested) return;
    m_stopRequested = true;
    m_worker->requestStop();  // the one direct call: an atomic flag
    emit logMessage(tr("Run #%1: stop requested").arg(m_activeRun));
}

void StudioController::onGenerationStarted(qint64 runId, const QString& promptText) {
    PRISM_SOFT_CHECK(runId == m_activeRun, return );
    emit generationStarted(runId, promptText);
}

void StudioController::onTokensReady(qint64 runId, const QVector<GeneratedToken>& tokens) {
    PRISM_SOFT_CHECK(runId == m_activeRun, return );
    if (m_project) {
        if (auto ok = m_project->append_run_output(runId, outputDelta(tokens)); !ok)
            emit logMessage(tr("warning: run #%1: output not saved: %2")
                                .arg(runId)
                                .arg(qs(ok.error().message)));
    }
    emit tokensArrived(runId, tokens);
}

void StudioController::onGenerationFinished(const GenerationResult& result) {
    PRISM_SOFT_CHECK(result.runId == m_activeRun, return );
    const qint64 runId = result.runId;
    m_activeRun = 0;
    const bool stopped = result.stopReason == QLatin1String("cancelled");
    pj::run_outcome outcome{.status = stopped ? pj::run_status::stopped : pj::run_status::finished};
    if (!result.tokens.isEmpty()) {
        outcome.ttft_ms = result.ttftMs;
        outcome.tokens_per_s = result.tokensPerSecond;
    }
    std::optional<RunView> view;
    if (m_project) {
        if (auto ok = m_project->finish_run(runId, outcome); !ok)
            fail(tr("Run #%1 could not be finished in the project: %2")
                     .arg(runId)
                     .arg(qs(ok.error().message)));
        view = loadRun(runId);
    }
    if (!view) {
        view.emplace();
        view->runId = runId;
        view->tokens = result.tokens;
        view->status = stopped ? QStringLiteral("stopped") : QStringLiteral("finished");
    }
    PRISM_SOFT_CHECK(view->tokens.size() == result.tokens.size(),
                     emit logMessage(tr("warning: run #%1 stored %2 of %3 tokens")
                                         .arg(runId)
                                         .arg(view->tokens.size())
                                         .arg(result.tokens.size())));
    emit logMessage(tr("Run #%1 %2: %3 tokens, TTFT %4 ms, %5 tokens/s (%6)")
                        .arg(runId)
                        .arg(view->status)
                        .arg(result.tokens.size())
                        .arg(result.ttftMs, 0, 'f', 1)
                        .arg(result.tokensPerSecond, 0, 'f', 1)
                        .arg(result.stopReason));
    // Attention first, so whoever reacts to the finished run finds it in place.
    if (result.attention) emit attentionReady(runId, result.attention);
    emit generationFinished(runId, *view);
    if (result.attention) saveAttention(runId, result.attention);
    emit runsChanged();
    emit stateChanged();
}

void StudioController::onGenerationFailed(qint64 runId, const QString& message) {
    PRISM_SOFT_CHECK(runId == m_activeRun, return );
    m_activeRun = 0;
    if (m_project)
        (void)m_project->finish_run(
            runId, {.status = pj::run_status::failed, .error = message.toStdString()});
    fail(tr("Run #%1 failed: %2").arg(runId).arg(message));
    emit generationFailed(runId, message);
    emit runsChanged();
    emit stateChanged();
}

// ---- attention snapshots ------------------------------------------------------------------

void StudioController::saveAttention(qint64 runId,
                                     std::shared_ptr<const prism::viz::attention_set> set) {
    if (!m_project) return;
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, runId] {
        const QString error = watcher->result();
        watcher->deleteLater();
        if (error.isEmpty()) {
            emit logMessage(tr("Run #%1: attention snapshot saved").arg(runId));
        } else {
            emit logMessage(
                tr("error: run #%1: attention snapshot not saved: %2").arg(runId).arg(error));
        }
        emit attentionSaved(runId, error.isEmpty());
    });
    // A connection of its own: the blob's hashing, writing and fsync then never hold the
    // GUI's project object (its mutex) and only the final INSERT takes the write lock.
    watcher->setFuture(QtConcurrent::run([dir = m_project->dir(), runId, set]() -> QString {
        const std::vector<std::byte> bytes = prism::viz::attention_set_to_bytes(*set);
        auto project = pj::project::open(dir, {.busy_timeout_ms = 10000});
        if (!project) return qs(project.error().message);
        auto ok = project->add_attention_snapshot(runId, set->layers, set->heads, bytes);
        return ok ? QString() : qs(ok.error().message);
    }));
}

bool StudioController::readAttention(qint64 runId) {
    auto snapshots = m_project->list_attention_snapshots(runId);
    if (!snapshots || snapshots->empty()) return false;
    const int64_t snapshotId = snapshots->back().id;
    auto* watcher = new QFutureWatcher<LoadedAttention>(this);
    connect(watcher, &QFutureWatcher<LoadedAttention>::finished, this, [this, watcher, runId] {
        const LoadedAttention loaded = watcher->result();
        watcher->deleteLater();
        if (loaded.set)
            emit attentionReady(runId, loaded.set);
        else
            emit logMessage(tr("error: run #%1: attention snapshot unreadable: %2")
                                .arg(runId)
                                .arg(loaded.error));
    });
    watcher->setFuture(QtConcurrent::run([dir = m_project->dir(), snapshotId]() -> LoadedAttention {
        auto project = pj::project::open(dir, {.read_only = true});
        if (!project) return {nullptr, qs(project.error().message)};
        auto bytes = project->read_attention_blob(snapshotId);
        if (!bytes) return {nullptr, qs(bytes.error().message)};
        auto set = prism::viz::attention_set_from_bytes(*bytes);
        if (!set) return {nullptr, qs(set.error().message)};
        return {std::make_shared<const prism::viz::attention_set>(std::move(*set)), {}};
    }));
    return true;
}

// ---- history, presets, findings -----------------------------------------------------------

std::optional<RunView> StudioController::loadRun(qint64 runId) {
    if (!m_project) return std::nullopt;
    auto record = m_project->get_run(runId);
    if (!record) {
        fail(tr("Could not read run #%1: %2").arg(runId).arg(qs(record.error().message)));
        return std::nullopt;
    }
    RunView view = runViewFromRecord(*record, nullptr, runId == m_activeRun);
    if (runId != m_activeRun) view.hasAttention = readAttention(runId);
    return view;
}

bool StudioController::savePreset(const QString& name, const pj::generation_params& params) {
    if (!m_project) {
        fail(tr("Open or create a project first."));
        return false;
    }
    const std::string key = name.trimmed().toStdString();
    auto existing = m_project->find_preset_by_name(key);
    prism::result<void> ok;
    if (existing && *existing) {
        ok = m_project->update_preset((*existing)->id, key, params);
    } else {
        auto id = m_project->create_preset(key, params);
        if (!id) ok = std::unexpected(id.error());
    }
    if (!ok) {
        fail(tr("Could not save the preset \"%1\": %2").arg(name, qs(ok.error().message)));
        return false;
    }
    emit logMessage(tr("Preset \"%1\" saved").arg(name.trimmed()));
    emit presetsChanged();
    return true;
}

bool StudioController::addFinding(const pj::new_finding& finding) {
    if (!m_project) return false;
    auto id = m_project->add_finding(finding);
    if (!id) {
        fail(tr("Could not save the finding: %1").arg(qs(id.error().message)));
        return false;
    }
    emit logMessage(tr("Finding saved for run #%1").arg(finding.run_id));
    emit findingsChanged();
    return true;
}

}  // namespace prism::ui
