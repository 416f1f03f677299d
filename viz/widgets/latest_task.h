// "Latest wins" background work for widgets: each start() runs a function on the global
// thread pool (QtConcurrent::run) and hands its result, whole, to an apply callback on the
// GUI thread; a newer start() supersedes older ones, whose results are dropped (and whose
// functions can stop early by polling the `superseded` predicate they receive). wait()
// lets tests and the CLI block until the latest result has been applied.
//
// Design: the result travels by value (usually a shared_ptr<const ...>) through a QFuture;
// a QFutureWatcher parented to the widget delivers it with a queued connection, so nothing
// on the worker touches a QObject. The generation counter is shared with the worker
// through a shared_ptr so a destroyed widget never leaves a dangling pointer behind.
#pragma once

#include <QDeadlineTimer>
#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <utility>

namespace prism::viz {

template <typename T> class LatestTask {
public:
    using Superseded = std::function<bool()>;

    /// `context` owns the watchers and is the thread `apply` runs on (the GUI thread).
    LatestTask(QObject* context, std::function<void(T)> apply)
        : m_context(context), m_apply(std::move(apply)) {}
    ~LatestTask() { m_latest->store(std::numeric_limits<uint64_t>::max()); }
    LatestTask(const LatestTask&) = delete;
    LatestTask& operator=(const LatestTask&) = delete;

    /// Runs fn(superseded) -> T on the thread pool. fn must not capture the widget.
    template <typename Fn> void start(Fn fn) {
        const uint64_t generation = ++m_generation;
        m_latest->store(generation);
        std::shared_ptr<std::atomic<uint64_t>> latest = m_latest;
        m_future = QtConcurrent::run([fn = std::move(fn), latest, generation]() -> T {
            return fn(Superseded([latest, generation] { return latest->load() != generation; }));
        });
        auto* watcher = new QFutureWatcher<T>(m_context);
        QObject::connect(
            watcher, &QFutureWatcherBase::finished, m_context,
            [this, watcher, generation] {
                if (watcher->future().resultCount() > 0) deliver(generation, watcher->result());
                watcher->deleteLater();
            },
            Qt::QueuedConnection);
        watcher->setFuture(m_future);
    }

    /// Blocks (without an event loop) until the latest started task has finished, then
    /// applies its result if the watcher has not yet. False on timeout.
    bool wait(int timeoutMs) {
        if (m_applied == m_generation) return true;
        QDeadlineTimer deadline(timeoutMs);
        while (!m_future.isFinished()) {
            if (deadline.hasExpired()) return false;
            QThread::msleep(1);
        }
        if (m_future.resultCount() > 0) deliver(m_generation, m_future.result());
        return m_applied == m_generation;
    }

    /// Drops whatever is in flight: its result will not be applied.
    void cancel() {
        m_latest->store(++m_generation);
        m_applied = m_generation;
    }

    /// True while the latest started task has not been applied.
    bool busy() const { return m_applied != m_generation; }

private:
    void deliver(uint64_t generation, T value) {
        if (generation != m_generation || generation <= m_applied) return;  // superseded
        m_applied = generation;
        m_apply(std::move(value));
    }

    QObject* m_context;
    std::function<void(T)> m_apply;
    std::shared_ptr<std::atomic<uint64_t>> m_latest = std::make_shared<std::atomic<uint64_t>>(0);
    uint64_t m_generation = 0;
    uint64_t m_applied = 0;
    QFuture<T> m_future;
};

}  // namespace prism::viz
