// prism-studio: the Prism Studio GUI. main() only parses arguments and wires the window
// (prism_ui holds the logic):
//   prism-studio [--project DIR] [--screenshot FILE] [--tab playground|attention]
// Without --project the sample project (created on first launch in the user's data folder,
// with the bundled model) opens. --screenshot runs a short demo generation, renders the
// window to FILE (PNG) and exits: 0 on success, 1 with a message otherwise; it works
// without a display under QT_QPA_PLATFORM=offscreen.
#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "prism/mapped_file.h"
#include "prism/ui/main_window.h"
#include "prism/ui/message_banner.h"
#include "prism/ui/studio_demo.h"

namespace {

bool set(const char* var) {
    const char* v = std::getenv(var);
    return v && *v;
}

// A display Qt can reach: a platform chosen explicitly, a Wayland display, or an X display
// whose local socket exists (":N" → /tmp/.X11-unix/XN; remote "host:N" is trusted). Qt
// aborts the process when it cannot connect, so check before constructing QApplication.
bool haveDisplay() {
    if (set("QT_QPA_PLATFORM") || set("WAYLAND_DISPLAY")) return true;
    if (!set("DISPLAY")) return false;
    const std::string display = std::getenv("DISPLAY");
    if (display.empty() || display[0] != ':') return true;
    const std::string number = display.substr(1, display.find('.') - 1);
    return std::filesystem::exists("/tmp/.X11-unix/X" + number);
}

bool asksForHelpOrVersion(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version")
            return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (!haveDisplay()) {
        if (asksForHelpOrVersion(argc, argv)) {
            qputenv("QT_QPA_PLATFORM", "offscreen");  // printing help needs no window
        } else {
            std::fputs("prism-studio: no display; run with QT_QPA_PLATFORM=offscreen "
                       "--screenshot FILE, or use the prism CLI\n",
                       stderr);
            return 2;
        }
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Prism"));
    QApplication::setApplicationName(QStringLiteral("Prism Studio"));
    QApplication::setApplicationVersion(QStringLiteral(PRISM_VERSION));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Prism Studio: an IDE for local LLMs"));
    cli.addHelpOption();
    cli.addVersionOption();
    const QCommandLineOption project(QStringLiteral("project"),
                                     QStringLiteral("Open (or create) the project in DIR."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Run a short demo generation, save the window as a PNG and exit."),
        QStringLiteral("FILE"));
    const QCommandLineOption tab(QStringLiteral("tab"),
                                 QStringLiteral("Tab to show: playground or attention."),
                                 QStringLiteral("TAB"), QStringLiteral("playground"));
    cli.addOptions({project, screenshot, tab});
    cli.process(app);

    const QString tabName = cli.value(tab).toLower();
    if (tabName != QLatin1String("playground") && tabName != QLatin1String("attention")) {
        std::fprintf(stderr, "prism-studio: --tab must be playground or attention, not %s\n",
                     qPrintable(tabName));
        return 1;
    }
    const auto shownTab = tabName == QLatin1String("attention")
                              ? prism::ui::MainWindow::Tab::Attention
                              : prism::ui::MainWindow::Tab::Playground;

    // Check the screenshot's path before the demo generates (and stores) anything.
    if (cli.isSet(screenshot)) {
        const QString png = cli.value(screenshot);
        if (auto ok = prism::file_check_output(png.toStdString()); !ok) {
            std::fprintf(stderr, "prism-studio: %s\n", ok.error().message.c_str());
            return 1;
        }
        if (!png.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
            std::fprintf(stderr, "prism-studio: --screenshot %s must end in .png\n",
                         qPrintable(png));
            return 1;
        }
    }

    prism::ui::MainWindow window;
    const bool opened = cli.isSet(project) ? window.openOrCreateProject(cli.value(project))
                                           : window.openSampleProject();
    window.showTab(shownTab);

    if (!cli.isSet(screenshot)) {
        window.show();
        return app.exec();
    }
    if (!opened) {
        std::fprintf(stderr, "prism-studio: %s\n", qPrintable(window.banner()->text()));
        return 1;
    }
    prism::ui::StudioDemo demo(&window, {.outputPng = cli.value(screenshot), .tab = shownTab});
    QObject::connect(
        &demo, &prism::ui::StudioDemo::finished, &app, [](bool ok, const QString& message) {
            QTextStream(ok ? stdout : stderr) << "prism-studio: " << message << Qt::endl;
            QCoreApplication::exit(ok ? 0 : 1);
        });
    demo.start();
    return app.exec();
}
