// MainWindow (see main_window.h), part 2: projects, models, runs, and the wiring of the
// controller's reports to the panels.
#include <algorithm>

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>

#include "prism/model_source.h"
#include "prism/ui/attention_tab.h"
#include "prism/ui/main_window.h"
#include "prism/ui/message_banner.h"
#include "prism/ui/parameter_panel.h"
#include "prism/ui/playground_panel.h"
#include "prism/ui/project_explorer.h"
#include "prism/ui/studio_controller.h"
#include "prism/ui/token_view.h"
#include "prism/viz/widgets/soft_check.h"

namespace prism::ui {

namespace {

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

}  // namespace

void MainWindow::wireController() {
    StudioController* c = m_controller;
    connect(c, &StudioController::logMessage, this, &MainWindow::log);
    connect(c, &StudioController::errorOccurred, this, &MainWindow::showError);
    connect(c, &StudioController::stateChanged, this, &MainWindow::updateState);
    connect(c, &StudioController::projectOpened, this, [this] {
        m_explorer->setProject(m_controller->project());
        m_explorer->setLoadedModel(m_controller->modelId());
        updateTitle();
    });
    connect(c, &StudioController::runsChanged, this, [this] {
        m_explorer->setActiveRun(m_controller->activeRunId());
        m_explorer->setLoadedModel(m_controller->modelId());
        m_explorer->refresh();
    });
    connect(c, &StudioController::findingsChanged, m_explorer, &ProjectExplorer::refresh);
    connect(c, &StudioController::presetsChanged, this, [this] {
        const auto project = m_controller->project();
        auto presets = project ? project->list_presets()
                               : prism::result<std::vector<prism::projects::preset_record>>{};
        m_parameters->setUserPresets(presets ? *presets
                                             : std::vector<prism::projects::preset_record>{});
        m_explorer->refresh();
    });
    connect(c, &StudioController::modelLoadStarted, this, [this](const QString& path) {
        m_parameters->setModelLoading(path);
        statusBar()->showMessage(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    });
    connect(c, &StudioController::modelLoaded, this, [this](const ModelInfo& info) {
        m_parameters->setModelInfo(info);
        m_statusModel->setText(info.name);
        m_statusModel->setToolTip(info.path);
        m_statusBackend->setText(info.backend);
        m_explorer->setLoadedModel(m_controller->modelId());
        statusBar()->showMessage(tr("Model %1 ready").arg(info.name), 4000);
    });
    connect(c, &StudioController::modelLoadFailed, this, [this] {
        statusBar()->clearMessage();
        const auto info = m_controller->modelInfo();
        if (info)
            m_parameters->setModelInfo(*info);
        else
            m_parameters->clearModelInfo(tr("No model loaded"));
    });
    connect(c, &StudioController::generationStarted, this,
            [this](qint64 runId, const QString& promptText) {
                m_playground->beginRun(runId, promptText);
                m_explorer->selectRun(runId);
            });
    connect(c, &StudioController::tokensArrived, m_playground, &PlaygroundPanel::appendTokens);
    connect(c, &StudioController::generationFinished, this, &MainWindow::onGenerationFinished);
    connect(c, &StudioController::generationFailed, m_playground, &PlaygroundPanel::showFailure);
    connect(c, &StudioController::attentionReady, this,
            [this](qint64 runId, std::shared_ptr<const prism::viz::attention_set> set) {
                if (runId != m_playground->displayedRunId()) return;
                m_attention->setAttention(std::move(set), runId);
                if (m_pendingToken >= 0) selectGeneratedToken(m_pendingToken);
            });

    connect(m_playground, &PlaygroundPanel::generateRequested, this, [this] { generate(); });
    connect(m_playground, &PlaygroundPanel::stopRequested, this, &MainWindow::stop);
    connect(m_playground, &PlaygroundPanel::rerunRequested, this,
            [this](qint64 runId) { rerun(runId); });
    connect(m_playground, &PlaygroundPanel::tokenClicked, this,
            [this](qint64, int index) { selectGeneratedToken(index); });
    connect(m_explorer, &ProjectExplorer::runSelected, this, &MainWindow::showRun);
    connect(m_explorer, &ProjectExplorer::modelActivated, this, &MainWindow::loadModel);
    connect(m_explorer, &ProjectExplorer::presetActivated, m_parameters,
            &ParameterPanel::applyPreset);
    connect(m_parameters, &ParameterPanel::savePresetRequested, this, [this](const QString& name) {
        // Built-in names (and the "Custom" placeholder) stay unambiguous in the preset box.
        const bool reserved =
            name.compare(tr("Custom"), Qt::CaseInsensitive) == 0 ||
            std::any_of(builtinPresets().begin(), builtinPresets().end(), [&](const auto& b) {
                return name.compare(b.name, Qt::CaseInsensitive) == 0;
            });
        if (reserved) {
            showError(tr("\"%1\" is a built-in preset name; choose another name.").arg(name));
            return;
        }
        if (const QString why = m_parameters->inputError(); !why.isEmpty()) {
            showError(why);
            return;
        }
        if (m_controller->savePreset(name, m_parameters->params())) m_parameters->applyPreset(name);
    });
    connect(m_attention, &AttentionTab::findingRequested, this,
            [this](qint64 runId, int layer, int head, int start, int end, const QString& note) {
                m_controller->addFinding({.run_id = runId,
                                          .layer = layer,
                                          .head = head,
                                          .token_start = start,
                                          .token_end = end,
                                          .note = note.toStdString()});
            });
}

void MainWindow::updateState() {
    const bool generating = m_controller->isGenerating();
    const bool ready =
        m_controller->hasProject() && m_controller->hasModel() && !m_controller->isLoadingModel();
    m_playground->setState(ready, generating);
    if (!m_controller->hasModel()) {
        m_statusModel->setText(m_controller->isLoadingModel() ? tr("loading model…")
                                                              : tr("no model"));
        m_statusBackend->clear();
    }
}

// ---- projects and models -------------------------------------------------------------------

bool MainWindow::openProject(const QString& dir) {
    if (!m_controller->openProject(dir)) return false;
    addRecent(dir);
    afterProjectOpened();
    return true;
}

bool MainWindow::createProject(const QString& dir) {
    if (!m_controller->createProject(dir)) return false;
    addRecent(dir);
    afterProjectOpened();
    return true;
}

bool MainWindow::openOrCreateProject(const QString& dir) {
    const QDir d(dir);
    const bool fresh =
        !d.exists() || d.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    return fresh ? createProject(dir) : openProject(dir);
}

void MainWindow::afterProjectOpened() {
    m_banner->dismiss();
    m_attention->clear();
    m_playground->tokenView()->showPlaceholder(
        tr("The generated text appears here, token by token. Hover a token for its probability "
           "and alternatives; click it to see its attention."));
    if (m_controller->hasModel() || m_controller->isLoadingModel()) return;
    QString model = m_controller->lastModelPath();
    if (model.isEmpty() || !QFileInfo::exists(model))
        model = m_options.defaultModel.isEmpty() ? qs(prism::default_model_path())
                                                 : m_options.defaultModel;
    loadModel(model);
}

QString MainWindow::sampleProjectDir() const {
    if (!m_options.sampleProjectDir.isEmpty()) return m_options.sampleProjectDir;
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
           QStringLiteral("/Sample Project");
}

bool MainWindow::openSampleProject() {
    const QString dir = sampleProjectDir();
    const bool exists = QFileInfo::exists(dir + QStringLiteral("/project.prism.db"));
    if (!exists) log(tr("First launch: creating the sample project in %1").arg(dir));
    if (!(exists ? openProject(dir) : createProject(dir))) return false;
    if (m_playground->prompt().isEmpty())
        m_playground->setPrompt(QStringLiteral("Once upon a time"));
    return true;
}

void MainWindow::loadModel(const QString& path) {
    m_controller->loadModel(path);
}

// ---- runs ----------------------------------------------------------------------------------

qint64 MainWindow::generate() {
    if (m_controller->isGenerating()) return 0;
    if (const QString why = m_parameters->inputError(); !why.isEmpty()) {
        showError(why);
        return 0;
    }
    GenerationSpec spec;
    spec.prompt = m_playground->prompt();
    spec.systemPrompt = m_playground->systemPrompt();
    spec.params = m_parameters->params();
    if (m_parameters->randomSeed()) spec.params.seed = QRandomGenerator::global()->generate64();
    spec.captureAttention = m_parameters->captureAttention();
    m_banner->dismiss();
    m_pendingToken = -1;
    const qint64 runId = m_controller->generate(spec);
    if (runId != 0) {
        m_attention->clear(
            tr("Run #%1 is generating; its attention appears when it ends.").arg(runId));
        showTab(Tab::Playground);
    }
    return runId;
}

qint64 MainWindow::rerun(qint64 runId) {
    const auto project = m_controller->project();
    PRISM_SOFT_CHECK(project != nullptr, return 0);
    auto record = project->get_run(runId);
    if (!record) {
        showError(tr("Could not read run #%1: %2").arg(runId).arg(qs(record.error().message)));
        return 0;
    }
    if (record->model_id != m_controller->modelId())
        log(tr("warning: run #%1 was made with another model; re-running with %2")
                .arg(runId)
                .arg(m_controller->modelInfo() ? m_controller->modelInfo()->name : QString()));
    GenerationSpec spec;
    spec.prompt = qs(record->prompt);
    spec.systemPrompt =
        record->params.system_prompt ? qs(*record->params.system_prompt) : QString();
    spec.params = record->params;
    spec.captureAttention = m_parameters->captureAttention();
    m_playground->setPrompt(spec.prompt);
    m_playground->setSystemPrompt(spec.systemPrompt);
    m_parameters->setParams(spec.params);
    m_banner->dismiss();
    m_pendingToken = -1;
    log(tr("Re-running run #%1").arg(runId));
    const qint64 id = m_controller->generate(spec);
    if (id != 0)
        m_attention->clear(
            tr("Run #%1 is generating; its attention appears when it ends.").arg(id));
    return id;
}

void MainWindow::stop() {
    m_controller->stop();
}

void MainWindow::showRun(qint64 runId) {
    if (runId == m_playground->displayedRunId()) return;
    if (m_controller->isGenerating()) {
        statusBar()->showMessage(tr("Run #%1 is generating; stop it to open another run.")
                                     .arg(m_controller->activeRunId()),
                                 5000);
        return;
    }
    const auto view = m_controller->loadRun(runId);  // its attention arrives via attentionReady
    if (!view) return;
    m_pendingToken = -1;
    if (view->hasAttention)
        m_attention->clear(tr("Loading the attention of run #%1…").arg(runId));
    else if (view->status == QLatin1String("failed") || view->tokens.isEmpty())
        m_attention->clear(tr("Run #%1 generated no tokens, so it has no attention.").arg(runId));
    else
        m_attention->clear(tr("Run #%1 ran without “Capture attention”. Tick it in the "
                              "parameters and re-run to see its attention.")
                               .arg(runId));
    m_playground->showRun(*view);
    m_parameters->setParams(view->params);
    m_explorer->selectRun(runId);
    if (view->tokensPerSecond)
        m_statusSpeed->setText(tr("%1 tokens/s").arg(*view->tokensPerSecond, 0, 'f', 1));
}

void MainWindow::onGenerationFinished(qint64 runId, const RunView& view) {
    m_playground->finishRun(view);
    if (view.tokensPerSecond)
        m_statusSpeed->setText(tr("%1 tokens/s").arg(*view.tokensPerSecond, 0, 'f', 1));
    if (view.tokens.isEmpty() || m_parameters->captureAttention()) return;
    m_attention->clear(tr("Run #%1 ran without “Capture attention”. Tick it in the parameters "
                          "and re-run to see its attention.")
                           .arg(runId));
}

void MainWindow::selectGeneratedToken(int index) {
    const qint64 runId = m_playground->displayedRunId();
    PRISM_SOFT_CHECK(index >= 0 && index < m_playground->tokenView()->tokenCount(), return );
    m_playground->tokenView()->setSelectedToken(index);
    const auto set = m_attention->attention();
    if (set && m_attention->runId() == runId) {
        m_pendingToken = -1;
        m_attention->selectToken(set->n_prompt + index);
    } else {
        m_pendingToken = index;  // selected when the run's attention arrives
    }
    showTab(Tab::Attention);
}

}  // namespace prism::ui
