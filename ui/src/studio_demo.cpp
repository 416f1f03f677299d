// StudioDemo (see studio_demo.h): load → generate → select a token → grab → save.
#include "prism/ui/studio_demo.h"

#include <QApplication>
#include <QPixmap>
#include <QTimer>

#include "prism/ui/attention_tab.h"
#include "prism/ui/parameter_panel.h"
#include "prism/ui/playground_panel.h"
#include "prism/ui/studio_controller.h"

namespace prism::ui {

StudioDemo::StudioDemo(MainWindow* window, StudioDemoParams params, QObject* parent)
    : QObject(parent), m_window(window), m_params(std::move(params)) {
    m_timeout = new QTimer(this);
    m_timeout->setSingleShot(true);
    connect(m_timeout, &QTimer::timeout, this,
            [this] { finish(false, tr("timed out after %1 ms").arg(m_params.timeoutMs)); });
    StudioController* c = m_window->controller();
    connect(c, &StudioController::modelLoaded, this, [this] {
        if (!m_started) generate();
    });
    connect(c, &StudioController::modelLoadFailed, this,
            [this](const QString& path, const QString& message) {
                if (!m_started)
                    finish(false, tr("could not load the model %1: %2").arg(path, message));
            });
    connect(c, &StudioController::generationFailed, this, [this](qint64 runId, const QString& m) {
        if (runId == m_runId) finish(false, tr("the demo run failed: %1").arg(m));
    });
    connect(c, &StudioController::generationFinished, this,
            [this](qint64 runId, const RunView& view) {
                if (runId == m_runId) onRunFinished(runId, static_cast<int>(view.tokens.size()));
            });
}

void StudioDemo::start() {
    m_timeout->start(m_params.timeoutMs);
    m_window->resize(m_params.size);
    m_window->show();
    StudioController* c = m_window->controller();
    if (c->hasModel() && !c->isLoadingModel())
        generate();
    else if (!c->isLoadingModel())
        finish(false, tr("no model is loaded"));
}

void StudioDemo::generate() {
    m_started = true;
    ParameterPanel* p = m_window->parameters();
    p->applyPreset(QStringLiteral("Precise"));
    auto params = p->params();
    params.n_predict = m_params.nPredict;
    params.seed = 0;
    p->setParams(params);
    p->applyPreset(QStringLiteral("Precise"));  // shows the preset's name again
    p->setCaptureAttention(true);
    m_window->playground()->setPrompt(m_params.prompt);
    m_runId = m_window->generate();
    if (m_runId == 0) finish(false, tr("the demo run could not start"));
}

void StudioDemo::onRunFinished(qint64, int nTokens) {
    if (nTokens <= 0) return finish(false, tr("the demo run generated no tokens"));
    // The attention set was handed over right after the run ended (same event).
    const int index = std::min(nTokens - 1, std::max(0, nTokens * 2 / 3));
    m_window->selectGeneratedToken(index);
    m_window->showTab(m_params.tab);
    m_window->resize(m_params.size);
    if (m_window->attentionTab()->attention() == nullptr)
        return finish(false, tr("the demo run has no attention"));
    // Let layouts settle, then wait for the off-thread views before grabbing.
    QTimer::singleShot(100, this, &StudioDemo::capture);
}

void StudioDemo::capture() {
    QApplication::processEvents();
    if (!m_window->attentionTab()->waitForPrepared(30000))
        return finish(false, tr("the attention views were not drawn in time"));
    QApplication::processEvents();
    const QPixmap shot = m_window->grab();
    if (shot.isNull()) return finish(false, tr("grabbing the window failed"));
    if (!shot.save(m_params.outputPng, "PNG"))
        return finish(false, tr("could not write %1").arg(m_params.outputPng));
    finish(true,
           tr("wrote %1 (%2×%3)").arg(m_params.outputPng).arg(shot.width()).arg(shot.height()));
}

void StudioDemo::finish(bool ok, const QString& message) {
    if (m_done) return;
    m_done = true;
    m_timeout->stop();
    emit finished(ok, message);
}

}  // namespace prism::ui
