// StudioDemo: drives a MainWindow through a short demonstration and renders it to a PNG,
// for `prism-studio --screenshot` (documentation images, smoke tests without a display).
// Once a model is ready it generates greedily from a prompt with attention captured,
// selects a generated token (so the Attention tab shows its row), switches to the chosen
// tab, waits until the attention views are drawn, grabs the window at the requested size
// with QWidget::grab() and saves it. finished(ok, message) reports the outcome; every
// failure (model, run, timeout, writing the file) is ok = false with a message.
#pragma once

#include <QObject>
#include <QSize>
#include <QString>

#include "prism/ui/main_window.h"

class QTimer;

namespace prism::ui {

struct StudioDemoParams {
    QString outputPng;
    MainWindow::Tab tab = MainWindow::Tab::Playground;
    QSize size{1400, 900};
    QString prompt = QStringLiteral("Once upon a time");
    int nPredict = 60;
    int timeoutMs = 120000;
};

class StudioDemo : public QObject {
    Q_OBJECT

public:
    StudioDemo(MainWindow* window, StudioDemoParams params, QObject* parent = nullptr);

    /// Starts now if a model is ready, else when the loading one is.
    void start();

signals:
    void finished(bool ok, const QString& message);

private:
    void generate();
    void onRunFinished(qint64 runId, int nTokens);
    void capture();
    void finish(bool ok, const QString& message);

    MainWindow* m_window;
    StudioDemoParams m_params;
    QTimer* m_timeout = nullptr;
    qint64 m_runId = 0;
    bool m_started = false;
    bool m_done = false;
};

}  // namespace prism::ui
