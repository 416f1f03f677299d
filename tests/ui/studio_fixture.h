// Shared pieces of the studio GUI tests: a MainWindow with its own temporary folder (project,
// settings ini, sample project location), waiting on the event loop with a deadline, and a
// generation helper that sets the parameter dock and waits for the run to end.
#pragma once

#include <gtest/gtest.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

#include "prism/ui/main_window.h"
#include "prism/ui/parameter_panel.h"
#include "prism/ui/playground_panel.h"
#include "prism/ui/studio_controller.h"
#include "qt_app.h"
#include "test_paths.h"

namespace prism::test {

/// Runs the event loop until cond() holds or timeoutMs passes; cond()'s last value.
inline bool wait_until(const std::function<bool()>& cond, int timeoutMs = 10000) {
    QElapsedTimer clock;
    clock.start();
    while (!cond()) {
        if (clock.elapsed() > timeoutMs) return false;
        QTest::qWait(5);
    }
    return true;
}

struct studio_env {
    QTemporaryDir tmp;

    ui::StudioOptions options() const {
        return {.settingsFile = tmp.filePath(QStringLiteral("settings.ini")),
                .sampleProjectDir = tmp.filePath(QStringLiteral("Sample Project")),
                .defaultModel = QString::fromStdString(bundled_model())};
    }
    QString project_dir() const { return tmp.filePath(QStringLiteral("project")); }

    /// A window on project_dir() (created on first use) with the bundled model loaded.
    std::unique_ptr<ui::MainWindow> open_window() const {
        qt_app();
        auto w = std::make_unique<ui::MainWindow>(options());
        const bool ok = w->openOrCreateProject(project_dir());
        EXPECT_TRUE(ok);
        EXPECT_TRUE(wait_until(
            [&] { return w->controller()->hasModel() && !w->controller()->isLoadingModel(); }));
        return w;
    }
};

struct gen_options {
    float temp = 0.0f;
    uint64_t seed = 0;
    bool random_seed = false;
    int n_predict = 20;
    bool capture = true;
    QString prompt = QStringLiteral("Once upon a time");
};

/// Generates from the playground with these parameters and waits until the run ends; the
/// run id (0 if it did not start or end in time).
inline qint64 generate_and_wait(ui::MainWindow& w, const gen_options& o = {}) {
    auto* params = w.parameters();
    auto p = params->params();
    p.temp = o.temp;
    p.seed = o.seed;
    p.n_predict = o.n_predict;
    params->setParams(p);
    params->setRandomSeed(o.random_seed);
    params->setCaptureAttention(o.capture);
    w.playground()->setPrompt(o.prompt);
    QSignalSpy finished(w.controller(), &ui::StudioController::generationFinished);
    const qint64 id = w.generate();
    if (id == 0) return 0;
    if (!wait_until([&] { return finished.count() > 0; }, 20000)) return 0;
    return id;
}

/// Waits until run `id`'s attention snapshot is in the project (it is written off the GUI
/// thread after the run finishes; polling the store cannot miss an early completion the way
/// a signal spy made afterwards could).
inline bool wait_for_snapshot(ui::MainWindow& w, qint64 id) {
    return wait_until([&] {
        auto snaps = w.controller()->project()->list_attention_snapshots(id);
        return snaps && !snaps->empty();
    });
}

}  // namespace prism::test
