// The studio window end to end (offscreen, each test with its own project and settings):
// a generated run is in the explorer and the database and survives closing the window;
// re-running reproduces the text (greedy, a fixed sampled seed, a random seed); Stop ends a
// run as stopped and leaves the window usable; a bad model file is a visible, logged error
// after which the loaded model still generates.
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidgetItem>

#include "prism/projects/project.h"
#include "prism/projects/sql.h"
#include "prism/ui/attention_tab.h"
#include "prism/ui/message_banner.h"
#include "prism/ui/project_explorer.h"
#include "prism/ui/token_view.h"
#include "studio_fixture.h"

using namespace prism;
using prism::test::gen_options;
using prism::test::generate_and_wait;
using prism::test::wait_until;

namespace {

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

projects::run_record stored_run(ui::MainWindow& w, qint64 id) {
    auto rec = w.controller()->project()->get_run(id);
    EXPECT_TRUE(rec.has_value());
    return rec ? *rec : projects::run_record{};
}

}  // namespace

TEST(studio, generated_run_is_stored_listed_and_survives_reopening) {
    test::studio_env env;
    QString text;
    qint64 id = 0;
    {
        auto w = env.open_window();
        id = generate_and_wait(*w, {.n_predict = 20});
        ASSERT_NE(id, 0);
        text = w->playground()->tokenView()->outputText();
        EXPECT_TRUE(text.startsWith(", there was a little girl")) << text.toStdString();
        EXPECT_EQ(w->playground()->tokenView()->tokenCount(), 20);

        // In the explorer's history, newest first, with its status.
        ASSERT_FALSE(w->explorer()->runIds().isEmpty());
        EXPECT_EQ(w->explorer()->runIds().front(), id);
        EXPECT_TRUE(w->explorer()->runItem(id)->text(0).contains("finished"));
        EXPECT_TRUE(w->explorer()->runItem(id)->text(0).contains("Once upon a time"));

        // In the database, through the project API.
        const auto rec = stored_run(*w, id);
        EXPECT_EQ(rec.status, projects::run_status::finished);
        EXPECT_EQ(rec.prompt, "Once upon a time");
        EXPECT_EQ(qs(rec.output_text), text);
        ASSERT_EQ(rec.token_ids.size(), 20u);
        ASSERT_EQ(rec.top_alternatives.size(), 20u);
        EXPECT_EQ(rec.top_alternatives[0].size(), 5u);
        EXPECT_EQ(rec.params.temp, 0.0f);
        EXPECT_EQ(rec.params.n_predict, 20);
        EXPECT_TRUE(rec.ttft_ms.has_value());
        EXPECT_TRUE(rec.tokens_per_s.has_value());
        ASSERT_TRUE(test::wait_for_snapshot(*w, id));
        auto snaps = w->controller()->project()->list_attention_snapshots(id);
        ASSERT_TRUE(snaps.has_value());
        EXPECT_EQ(snaps->size(), 1u);
        w->close();
    }

    // A new window on the same project: the run is there with its output and tokens.
    auto w = env.open_window();
    ASSERT_TRUE(w->explorer()->runIds().contains(id));
    w->explorer()->tree()->setCurrentItem(w->explorer()->runItem(id));  // as a user click
    EXPECT_EQ(w->playground()->displayedRunId(), id);
    EXPECT_EQ(w->playground()->tokenView()->outputText(), text);
    ASSERT_EQ(w->playground()->tokenView()->tokenCount(), 20);
    EXPECT_EQ(w->playground()->tokenView()->token(3).top.size(), 5);
    EXPECT_GT(w->playground()->tokenView()->token(3).p, 0.0f);  // greedy: among its top 5
    EXPECT_EQ(w->playground()->prompt(), "Once upon a time");
    EXPECT_EQ(w->parameters()->params().n_predict, 20);
    EXPECT_TRUE(wait_until([&] { return w->attentionTab()->attention() != nullptr; }));
    EXPECT_EQ(w->attentionTab()->runId(), id);

    // Re-run reproduces the text exactly.
    QSignalSpy finished(w->controller(), &ui::StudioController::generationFinished);
    w->playground()->rerunButton()->click();
    ASSERT_TRUE(wait_until([&] { return finished.count() > 0; }, 20000));
    const qint64 again = w->playground()->displayedRunId();
    EXPECT_NE(again, id);
    EXPECT_EQ(qs(stored_run(*w, again).output_text), text);
}

TEST(studio, rerun_with_a_sampled_seed_reproduces_the_text) {
    test::studio_env env;
    auto w = env.open_window();
    const qint64 id = generate_and_wait(*w, {.temp = 0.9f, .seed = 5, .n_predict = 40});
    ASSERT_NE(id, 0);
    const auto first = stored_run(*w, id);
    EXPECT_EQ(first.params.seed, 5u);
    EXPECT_EQ(first.params.temp, 0.9f);
    QSignalSpy finished(w->controller(), &ui::StudioController::generationFinished);
    const qint64 again = w->rerun(id);
    ASSERT_NE(again, 0);
    ASSERT_TRUE(wait_until([&] { return finished.count() > 0; }, 20000));
    const auto second = stored_run(*w, again);
    EXPECT_EQ(second.output_text, first.output_text);
    EXPECT_EQ(second.token_ids, first.token_ids);
    EXPECT_EQ(second.params, first.params);

    // A random seed is drawn per run, recorded, and reproduces too.
    const qint64 random =
        generate_and_wait(*w, {.temp = 0.9f, .random_seed = true, .n_predict = 40});
    ASSERT_NE(random, 0);
    const auto drawn = stored_run(*w, random);
    const qint64 rerun = w->rerun(random);
    ASSERT_NE(rerun, 0);
    ASSERT_TRUE(wait_until([&] { return !w->controller()->isGenerating(); }, 20000));
    EXPECT_EQ(stored_run(*w, rerun).output_text, drawn.output_text);
    EXPECT_EQ(stored_run(*w, rerun).params.seed, drawn.params.seed);
}

TEST(studio, stop_ends_the_run_as_stopped_and_the_window_stays_usable) {
    test::studio_env env;
    auto w = env.open_window();
    w->show();
    w->activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(w.get()));
    bool pressed = false;
    QObject::connect(w->controller(), &ui::StudioController::tokensArrived, w.get(), [&] {
        if (pressed) return;
        pressed = true;
        QTest::keyClick(w->playground()->tokenView(), Qt::Key_Escape);  // the window's shortcut
    });
    auto* params = w->parameters();
    auto p = params->params();
    p.temp = 0.8f;
    p.n_predict = -1;
    params->setParams(p);
    w->playground()->setPrompt("Once upon a time");
    QSignalSpy finished(w->controller(), &ui::StudioController::generationFinished);
    QTest::keyClick(w->playground(), Qt::Key_Return, Qt::ControlModifier);  // Ctrl+Enter
    ASSERT_TRUE(w->controller()->isGenerating());
    const qint64 id = w->controller()->activeRunId();
    EXPECT_FALSE(w->playground()->generateButton()->isEnabled());
    EXPECT_TRUE(w->playground()->stopButton()->isEnabled());
    ASSERT_TRUE(wait_until([&] { return finished.count() > 0; }, 20000));
    EXPECT_TRUE(pressed);

    const auto rec = stored_run(*w, id);
    EXPECT_EQ(rec.status, projects::run_status::stopped);
    EXPECT_GT(rec.token_ids.size(), 0u);
    EXPECT_LT(rec.token_ids.size(), 400u);
    EXPECT_TRUE(w->explorer()->runItem(id)->text(0).contains("stopped"));
    EXPECT_TRUE(w->playground()->statsLabel()->text().contains("stopped"));
    EXPECT_TRUE(w->playground()->generateButton()->isEnabled());
    EXPECT_FALSE(w->playground()->stopButton()->isEnabled());

    // Usable again: another run finishes normally.
    const qint64 next = generate_and_wait(*w, {.n_predict = 5});
    ASSERT_NE(next, 0);
    EXPECT_EQ(stored_run(*w, next).status, projects::run_status::finished);
}

TEST(studio, closing_the_window_mid_run_keeps_the_started_run) {
    test::studio_env env;
    qint64 id = 0;
    {
        auto w = env.open_window();
        QObject::connect(w->controller(), &ui::StudioController::tokensArrived, w.get(), [&] {
            if (id == 0) id = w->controller()->activeRunId();
        });
        auto p = w->parameters()->params();
        p.temp = 0.8f;
        p.n_predict = -1;
        w->parameters()->setParams(p);
        w->playground()->setPrompt("Once upon a time");
        ASSERT_NE(w->generate(), 0);
        ASSERT_TRUE(wait_until([&] { return id != 0; }));
        w->close();
    }  // destroyed while generating
    auto project = projects::project::open(env.project_dir().toStdString());
    ASSERT_TRUE(project.has_value());
    auto rec = project->get_run(id);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->status, projects::run_status::stopped);
    EXPECT_GT(rec->token_ids.size(), 0u);
    EXPECT_FALSE(rec->output_text.empty());
}

TEST(studio, invalid_model_is_a_visible_error_and_the_previous_model_still_works) {
    test::studio_env env;
    auto w = env.open_window();
    const QString bad = env.tmp.filePath("broken.gguf");
    {
        QFile f(bad);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("this is not a gguf file at all, just some garbage bytes", 56);
    }
    QSignalSpy failed(w->controller(), &ui::StudioController::modelLoadFailed);
    w->loadModel(bad);
    ASSERT_TRUE(test::wait_for(failed, 1, 10000));
    EXPECT_TRUE(w->banner()->isShowingMessage());
    EXPECT_TRUE(w->banner()->text().contains("broken.gguf")) << w->banner()->text().toStdString();
    EXPECT_TRUE(w->banner()->text().contains("stories260K.gguf"));  // still in use
    EXPECT_TRUE(w->logView()->toPlainText().contains("broken.gguf"));
    EXPECT_TRUE(w->logView()->toPlainText().contains("error"));
    ASSERT_TRUE(w->controller()->hasModel());
    EXPECT_EQ(w->controller()->modelInfo()->name, "stories260K.gguf");

    const qint64 id = generate_and_wait(*w, {.n_predict = 8});
    ASSERT_NE(id, 0);
    EXPECT_EQ(stored_run(*w, id).token_ids.size(), 8u);
    EXPECT_FALSE(w->banner()->isShowingMessage());  // a new run clears the old message
}

TEST(studio, a_folder_that_is_not_a_project_is_a_visible_error) {
    test::studio_env env;
    test::qt_app();
    ui::MainWindow w(env.options());
    const QString dir = env.tmp.filePath("not-a-project");
    ASSERT_TRUE(QDir().mkpath(dir));
    QFile junk(dir + "/notes.txt");
    ASSERT_TRUE(junk.open(QIODevice::WriteOnly));
    junk.close();
    EXPECT_FALSE(w.openProject(dir));
    EXPECT_TRUE(w.banner()->isShowingMessage());
    EXPECT_TRUE(w.banner()->text().contains("not-a-project"));
    EXPECT_FALSE(w.controller()->hasProject());
    EXPECT_EQ(w.generate(), 0);  // refused with a message, no crash
}

TEST(studio, a_failed_generation_is_recorded_and_shown) {
    test::studio_env env;
    auto w = env.open_window();
    QString longPrompt;
    for (int i = 0; i < 700; ++i) longPrompt += "once upon a time ";  // beyond the context
    QSignalSpy failed(w->controller(), &ui::StudioController::generationFailed);
    w->playground()->setPrompt(longPrompt);
    const qint64 id = w->generate();
    ASSERT_NE(id, 0);
    ASSERT_TRUE(test::wait_for(failed, 1, 10000));
    const auto rec = stored_run(*w, id);
    EXPECT_EQ(rec.status, projects::run_status::failed);
    EXPECT_NE(rec.error.find("context"), std::string::npos) << rec.error;
    EXPECT_TRUE(w->banner()->isShowingMessage());
    EXPECT_TRUE(w->banner()->text().contains("failed"));
    EXPECT_TRUE(w->logView()->toPlainText().contains("failed"));
    EXPECT_TRUE(w->explorer()->runItem(id)->text(0).contains("failed"));
    EXPECT_TRUE(w->playground()->generateButton()->isEnabled());
    EXPECT_NE(generate_and_wait(*w, {.n_predict = 3}), 0);
}

TEST(studio, a_locked_project_is_a_visible_error_not_a_hang) {
    test::studio_env env;
    auto w = env.open_window();
    // Another process holds the write lock: the run cannot be recorded.
    auto other = projects::sql::connection::open(
        (env.project_dir() + "/project.prism.db").toStdString(), {.busy_timeout_ms = 0});
    other.exec("BEGIN IMMEDIATE");
    w->playground()->setPrompt("Once upon a time");
    EXPECT_EQ(w->generate(), 0);
    EXPECT_TRUE(w->banner()->isShowingMessage());
    EXPECT_TRUE(w->banner()->text().contains("Could not record the run"))
        << w->banner()->text().toStdString();
    other.exec("ROLLBACK");
    EXPECT_NE(generate_and_wait(*w, {.n_predict = 3}), 0);
}
