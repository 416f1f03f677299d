// The prism-studio executable: --screenshot renders a 1400×900 PNG of a demo run (both
// tabs) offscreen and exits 0; without a display it explains itself and exits 2; a bad
// --tab is exit 1. Runs with HOME and XDG folders in a temporary directory so the user's
// settings and data are never touched.
#include <gtest/gtest.h>

#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>

#include "prism/projects/project.h"

namespace {

struct run_result {
    int code = -1;
    QString output;
};

run_result run_studio(const QStringList& args, const QTemporaryDir& home, bool display) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("HOME", home.path());
    env.insert("XDG_CONFIG_HOME", home.filePath(".config"));
    env.insert("XDG_DATA_HOME", home.filePath(".local/share"));
    env.insert("XDG_RUNTIME_DIR", home.path());
    env.remove("DISPLAY");
    env.remove("WAYLAND_DISPLAY");
    if (display)
        env.insert("QT_QPA_PLATFORM", "offscreen");
    else
        env.remove("QT_QPA_PLATFORM");
    QProcess p;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(PRISM_STUDIO_PATH, args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return {-1, "timed out"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAll())};
}

}  // namespace

TEST(studio_app, screenshot_of_both_tabs) {
    QTemporaryDir home;
    ASSERT_TRUE(home.isValid());
    const QString project = home.filePath("p1");
    for (const QString tab : {"playground", "attention"}) {
        const QString png = home.filePath(tab + ".png");
        const auto r =
            run_studio({"--project", project, "--screenshot", png, "--tab", tab}, home, true);
        ASSERT_EQ(r.code, 0) << r.output.toStdString();
        const QImage image(png);
        ASSERT_FALSE(image.isNull()) << tab.toStdString();
        EXPECT_EQ(image.size(), QSize(1400, 900));
    }
    // Both demo runs are in the project, finished.
    auto p = prism::projects::project::open(project.toStdString());
    ASSERT_TRUE(p.has_value());
    auto runs = p->list_runs();
    ASSERT_TRUE(runs.has_value());
    ASSERT_EQ(runs->size(), 2u);
    EXPECT_EQ(runs->front().status, prism::projects::run_status::finished);
    EXPECT_EQ(runs->front().n_tokens, 60);
}

TEST(studio_app, without_a_display_it_explains_and_exits_2) {
    QTemporaryDir home;
    const auto r = run_studio({}, home, false);
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(r.output.contains("prism-studio: no display; run with QT_QPA_PLATFORM=offscreen "
                                  "--screenshot FILE, or use the prism CLI"))
        << r.output.toStdString();
}

TEST(studio_app, a_bad_tab_is_an_error) {
    QTemporaryDir home;
    const auto r =
        run_studio({"--tab", "nope", "--screenshot", home.filePath("x.png")}, home, true);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(r.output.contains("--tab")) << r.output.toStdString();
}

TEST(studio_app, an_unwritable_screenshot_path_fails_before_any_run) {
    QTemporaryDir home;
    const QString project = home.filePath("p");
    auto r = run_studio({"--project", project, "--screenshot", home.filePath("missing/x.png")},
                        home, true);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(r.output.contains("does not exist")) << r.output.toStdString();
    r = run_studio({"--project", project, "--screenshot", home.filePath("x.jpg")}, home, true);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(r.output.contains("must end in .png")) << r.output.toStdString();
    EXPECT_FALSE(QFileInfo::exists(project + "/project.prism.db")) << "no demo run was made";
}
