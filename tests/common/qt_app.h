// The one QApplication of a widget test process. Widgets need one before they are made;
// call prism::test::qt_app() first in every test (it is created once, on first use, and
// lives until the process exits). Uses the offscreen platform unless QT_QPA_PLATFORM says
// otherwise (ctest sets it too).
#pragma once

#include <QApplication>
#include <QByteArray>

namespace prism::test {

inline QApplication& qt_app() {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "prism-tests";
    static char* argv[] = {name, nullptr};
    static QApplication app(argc, argv);
    return app;
}

}  // namespace prism::test
