// The one QApplication of a widget test process. Widgets need one before they are made;
// call prism::test::qt_app() first in every test (it is created once, on first use, and
// lives until the process exits). Uses the offscreen platform unless QT_QPA_PLATFORM says
// otherwise (ctest sets it too).
//
// The application is deliberately never destroyed: as a function-local static it would be
// destroyed during exit, after Qt's own global objects (the input-device registry), and
// crash there once a test has sent mouse events.
#pragma once

#include <QApplication>
#include <QByteArray>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

namespace prism::test {

inline QApplication& qt_app() {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "prism-tests";
    static char* argv[] = {name, nullptr};
    static QApplication* const app = new QApplication(argc, argv);
    return *app;
}

/// Waits until `spy` has recorded at least `count` signals, processing events meanwhile.
/// Unlike QSignalSpy::wait(), a signal that another thread emitted before the wait began
/// counts too (wait() only sees emissions during the wait, a race with worker threads).
inline bool wait_for(QSignalSpy& spy, int count = 1, int timeout_ms = 10000) {
    QElapsedTimer clock;
    clock.start();
    while (spy.count() < count && clock.elapsed() < timeout_ms) QTest::qWait(5);
    return spy.count() >= count;
}

}  // namespace prism::test
