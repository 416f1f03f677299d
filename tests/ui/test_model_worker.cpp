// The studio's engine worker on its own thread: loading, streamed token batches, the final
// result with attention, Stop within one token, errors as signals, and a GUI event loop
// that keeps running (no gap over 100 ms) while 256 tokens are generated with capture.
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QTimer>

#include "prism/ui/model_worker.h"
#include "qt_app.h"
#include "test_paths.h"

using namespace prism;
using prism::ui::ModelWorker;

namespace {

// A worker on its own thread, torn down in order.
struct threaded_worker {
    QThread thread;
    ModelWorker* worker = new ModelWorker;
    threaded_worker() {
        worker->moveToThread(&thread);
        QObject::connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
        thread.start();
    }
    ~threaded_worker() {
        thread.quit();
        thread.wait();
    }
    void load(const QString& path) {
        QMetaObject::invokeMethod(worker, "loadModel", Qt::QueuedConnection, Q_ARG(QString, path));
    }
    /// Loads the bundled model and waits for it.
    bool load_bundled() {
        QSignalSpy loaded(worker, &ModelWorker::modelLoaded);
        load(QString::fromStdString(test::bundled_model()));
        return test::wait_for(loaded, 1, 10000);
    }
    void generate(const ui::GenerationRequest& r) {
        QMetaObject::invokeMethod(worker, "generate", Qt::QueuedConnection,
                                  Q_ARG(prism::ui::GenerationRequest, r));
    }
};

ui::GenerationRequest greedy(int n) {
    ui::GenerationRequest r;
    r.runId = 7;
    r.prompt = "Once upon a time";
    r.nPredict = n;
    r.sampling.temp = 0;
    return r;
}

}  // namespace

TEST(model_worker, loads_streams_and_finishes_with_attention) {
    test::qt_app();
    threaded_worker w;
    QSignalSpy loaded(w.worker, &ModelWorker::modelLoaded);
    w.load(QString::fromStdString(test::bundled_model()));
    ASSERT_TRUE(test::wait_for(loaded, 1, 10000));
    const auto info = loaded.at(0).at(0).value<ui::ModelInfo>();
    EXPECT_EQ(info.format, "gguf");
    EXPECT_EQ(info.sha256, "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d");

    QSignalSpy batches(w.worker, &ModelWorker::tokensReady);
    QSignalSpy finished(w.worker, &ModelWorker::generationFinished);
    w.generate(greedy(27));
    ASSERT_TRUE(test::wait_for(finished, 1, 10000));
    const auto res = finished.at(0).at(0).value<ui::GenerationResult>();
    EXPECT_EQ(res.runId, 7);
    EXPECT_EQ(res.promptText, "Once upon a time");
    EXPECT_TRUE(res.text.startsWith(", there was a little girl named Lily"))
        << res.text.toStdString();
    ASSERT_EQ(res.tokens.size(), 27);
    EXPECT_EQ(res.tokens[0].top.size(), 5);
    EXPECT_EQ(res.tokens[0].top[0].id, res.tokens[0].id);
    ASSERT_NE(res.attention, nullptr);
    EXPECT_EQ(res.attention->n_tokens(), 32);
    int streamed = 0;
    QString text;
    for (const auto& args : batches)
        for (const auto& t : args.at(1).value<QVector<ui::GeneratedToken>>()) {
            ++streamed;
            text += t.text;
        }
    EXPECT_EQ(streamed, 27);
    EXPECT_EQ(text, res.text);
}

TEST(model_worker, stop_takes_effect_within_one_token) {
    test::qt_app();
    threaded_worker w;
    ASSERT_TRUE(w.load_bundled());
    QSignalSpy finished(w.worker, &ModelWorker::generationFinished);
    int seen = -1;
    QObject::connect(
        w.worker, &ModelWorker::tokensReady, w.worker,
        [&](qint64, const QVector<ui::GeneratedToken>& batch) {
            if (seen < 0) {
                seen = static_cast<int>(batch.size());  // tokens out when Stop is pressed
                w.worker->requestStop();  // direct call, as the GUI's Stop button does
            }
        },
        Qt::DirectConnection);
    auto r = greedy(-1);
    r.sampling.temp = 0.8f;
    r.sampling.seed = 3;
    w.worker->clearStop();
    w.generate(r);
    ASSERT_TRUE(test::wait_for(finished, 1, 10000));
    const auto res = finished.at(0).at(0).value<ui::GenerationResult>();
    EXPECT_EQ(res.stopReason, "cancelled");
    ASSERT_GT(seen, 0);
    EXPECT_LE(res.tokens.size(), seen + 1);  // at most the token in flight, then nothing
}

TEST(model_worker, a_stop_pressed_before_the_worker_starts_is_not_lost) {
    test::qt_app();
    threaded_worker w;
    ASSERT_TRUE(w.load_bundled());
    QSignalSpy finished(w.worker, &ModelWorker::generationFinished);
    w.worker->clearStop();
    w.generate(greedy(-1));   // queued
    w.worker->requestStop();  // pressed before the worker took the request
    ASSERT_TRUE(test::wait_for(finished, 1, 10000));
    const auto res = finished.at(0).at(0).value<ui::GenerationResult>();
    EXPECT_EQ(res.stopReason, "cancelled");
    EXPECT_TRUE(res.tokens.isEmpty());
}

TEST(model_worker, bad_model_is_a_signal_not_a_crash) {
    test::qt_app();
    threaded_worker w;
    QSignalSpy failed(w.worker, &ModelWorker::modelLoadFailed);
    w.load("/nonexistent/model.gguf");
    ASSERT_TRUE(test::wait_for(failed, 1, 10000));
    EXPECT_TRUE(failed.at(0).at(1).toString().contains("/nonexistent/model.gguf"));
    QSignalSpy genFailed(w.worker, &ModelWorker::generationFailed);
    w.generate(greedy(3));
    ASSERT_TRUE(test::wait_for(genFailed, 1, 10000));
}

TEST(model_worker, gui_event_loop_never_stalls_while_generating) {
    test::qt_app();
    threaded_worker w;
    ASSERT_TRUE(w.load_bundled());
    QSignalSpy finished(w.worker, &ModelWorker::generationFinished);
    QElapsedTimer clock;
    qint64 last = 0, worst = 0;
    QTimer tick;
    tick.setInterval(5);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        worst = std::max(worst, now - last);
        last = now;
    });
    auto r = greedy(256);
    r.prompt = "Once";
    r.sampling.temp = 1.0f;
    r.sampling.seed = 11;
    clock.start();
    tick.start();
    w.generate(r);
    ASSERT_TRUE(test::wait_for(finished, 1, 20000));
    tick.stop();
    const auto res = finished.at(0).at(0).value<ui::GenerationResult>();
    EXPECT_GT(res.tokens.size(), 100);
    RecordProperty("max_event_loop_gap_ms", static_cast<int>(worst));
    EXPECT_LT(worst, 100) << "the GUI thread stalled for " << worst << " ms";
}
