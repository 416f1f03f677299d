// The studio's views (offscreen, each test with its own project and settings): clicking a
// generated token selects it in the Attention tab (live and after reopening from history),
// hovering shows its probability and alternatives, presets (built-in and saved to the
// project), the first-launch sample project, persisted settings, and the alignment that
// rebuilds a stored run's token spans.
#include <QComboBox>
#include <QHelpEvent>
#include <QInputDialog>
#include <QPushButton>
#include <QTabWidget>
#include <QToolTip>
#include <QTreeWidget>

#include "prism/projects/project.h"
#include "prism/ui/attention_tab.h"
#include "prism/ui/project_explorer.h"
#include "prism/ui/run_view.h"
#include "prism/ui/token_view.h"
#include "prism/viz/widgets/attention_heatmap.h"
#include "studio_fixture.h"

using namespace prism;
using prism::test::generate_and_wait;
using prism::test::wait_until;

TEST(studio_views, clicking_a_generated_token_shows_its_attention) {
    test::studio_env env;
    auto w = env.open_window();
    w->show();
    const qint64 id = generate_and_wait(*w, {.n_predict = 20});
    ASSERT_NE(id, 0);
    ui::TokenView* view = w->playground()->tokenView();
    ASSERT_EQ(view->tokenCount(), 20);
    const auto set = w->attentionTab()->attention();
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(w->attentionTab()->runId(), id);
    EXPECT_EQ(set->n_tokens(), set->n_prompt + 20);

    const QRect r = view->tokenRect(5);
    ASSERT_FALSE(r.isEmpty());
    EXPECT_EQ(view->tokenAt(r.center()), 5);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, r.center());
    EXPECT_EQ(w->tabs()->currentWidget(), w->attentionTab());
    EXPECT_EQ(w->attentionTab()->selectedToken(), set->n_prompt + 5);
    // The inspector's heatmap outlines that token's row (found by type, not by the
    // inspector's insides).
    const auto heatmaps = w->attentionTab()->findChildren<viz::AttentionHeatmap*>();
    ASSERT_FALSE(heatmaps.isEmpty());
    EXPECT_EQ(heatmaps.front()->selectedQuery(), set->n_prompt + 5);
    EXPECT_EQ(view->selectedToken(), 5);

    // Hover: the token's tooltip names its probability and the five alternatives.
    const auto& tok = view->token(5);
    const QString tip = ui::TokenView::toolTipFor(tok);
    EXPECT_TRUE(tip.contains("%"));
    ASSERT_EQ(tok.top.size(), 5);
    EXPECT_EQ(tip.count("<tr>"), 5);
    QHelpEvent help(QEvent::ToolTip, r.center(), view->viewport()->mapToGlobal(r.center()));
    QApplication::sendEvent(view->viewport(), &help);
    EXPECT_TRUE(wait_until([] { return QToolTip::isVisible(); }, 2000));
    EXPECT_TRUE(QToolTip::text().contains("id " + QString::number(tok.id)))
        << QToolTip::text().toStdString();

    // Reopened from history, the stored snapshot gives the same selection.
    ASSERT_TRUE(test::wait_for_snapshot(*w, id));
    const qint64 other = generate_and_wait(*w, {.n_predict = 4, .capture = false});
    ASSERT_NE(other, 0);
    EXPECT_EQ(w->attentionTab()->attention(), nullptr);
    w->showRun(id);
    ASSERT_TRUE(wait_until([&] { return w->attentionTab()->attention() != nullptr; }));
    const auto reloaded = w->attentionTab()->attention();
    EXPECT_EQ(reloaded->tokens, set->tokens);
    EXPECT_EQ(reloaded->pieces, set->pieces);
    ASSERT_EQ(reloaded->mats.size(), set->mats.size());
    // Snapshots store probabilities as float16: within 2.5e-4 (attention_io.h).
    ASSERT_EQ(reloaded->mats.back().p.size(), set->mats.back().p.size());
    for (size_t i = 0; i < set->mats.back().p.size(); ++i)
        ASSERT_NEAR(reloaded->mats.back().p[i], set->mats.back().p[i], 2.5e-4) << i;
    w->selectGeneratedToken(7);
    EXPECT_EQ(w->attentionTab()->selectedToken(), reloaded->n_prompt + 7);
}

TEST(studio_views, fork_from_a_token_continues_from_there) {
    test::studio_env env;
    auto w = env.open_window();
    ASSERT_NE(generate_and_wait(*w, {.n_predict = 10}), 0);
    ui::TokenView* view = w->playground()->tokenView();
    QString expected = "Once upon a time";
    for (int i = 0; i <= 4; ++i) expected += view->token(i).text;
    w->playground()->setPrompt("something else");
    emit view->forkRequested(4);  // as the token's "Fork from here" menu item does
    EXPECT_EQ(w->playground()->prompt(), expected);
    const qint64 id = generate_and_wait(*w, {.n_predict = 3, .prompt = expected});
    ASSERT_NE(id, 0);
    EXPECT_EQ(w->controller()->project()->get_run(id)->prompt, expected.toStdString());
}

TEST(studio_views, built_in_presets_and_a_saved_user_preset) {
    test::studio_env env;
    auto w = env.open_window();
    w->show();
    ui::ParameterPanel* params = w->parameters();
    const QStringList names = params->presetNames();
    EXPECT_TRUE(names.contains("Precise"));
    EXPECT_TRUE(names.contains("Code"));
    EXPECT_TRUE(names.contains("Creative"));
    ASSERT_TRUE(params->applyPreset("Code"));
    EXPECT_FLOAT_EQ(params->params().temp, 0.3f);
    EXPECT_FLOAT_EQ(params->params().top_p, 0.9f);
    ASSERT_TRUE(params->applyPreset("Precise"));
    EXPECT_EQ(params->params().temp, 0.0f);
    ASSERT_TRUE(params->applyPreset("Creative"));
    EXPECT_FLOAT_EQ(params->params().temp, 0.8f);
    EXPECT_FLOAT_EQ(params->params().top_p, 0.95f);

    auto p = params->params();
    p.temp = 0.55f;
    p.top_k = 12;
    p.seed = 99;
    p.n_predict = 33;
    params->setParams(p);
    EXPECT_EQ(params->currentPreset(), QString());  // custom values
    params->savePresetButton()->click();            // asks for a name without blocking
    auto* dialog = params->findChild<QInputDialog*>();
    ASSERT_NE(dialog, nullptr);
    dialog->setTextValue("Storyteller");
    dialog->accept();

    auto stored = w->controller()->project()->find_preset_by_name("Storyteller");
    ASSERT_TRUE(stored.has_value());
    ASSERT_TRUE(stored->has_value());
    EXPECT_FLOAT_EQ((*stored)->params.temp, 0.55f);
    EXPECT_EQ((*stored)->params.top_k, 12);
    EXPECT_EQ((*stored)->params.seed, 99u);
    EXPECT_EQ((*stored)->params.n_predict, 33);
    EXPECT_TRUE(params->presetNames().contains("Storyteller"));
    EXPECT_EQ(params->currentPreset(), "Storyteller");
    EXPECT_FALSE(w->explorer()
                     ->tree()
                     ->findItems("Storyteller", Qt::MatchExactly | Qt::MatchRecursive)
                     .isEmpty());

    // Applying it elsewhere restores every stored value.
    ASSERT_TRUE(params->applyPreset("Precise"));
    ASSERT_TRUE(params->applyPreset("Storyteller"));
    EXPECT_FLOAT_EQ(params->params().temp, 0.55f);
    EXPECT_EQ(params->params().n_predict, 33);
}

TEST(studio_views, first_launch_creates_the_sample_project_ready_to_generate) {
    test::studio_env env;
    test::qt_app();
    {
        ui::MainWindow w(env.options());
        ASSERT_TRUE(w.openSampleProject());
        ASSERT_TRUE(wait_until([&] { return w.controller()->hasModel(); }));
        EXPECT_EQ(w.controller()->projectDir(), env.options().sampleProjectDir);
        auto models = w.controller()->project()->list_models();
        ASSERT_TRUE(models.has_value());
        ASSERT_EQ(models->size(), 1u);
        EXPECT_EQ(models->front().name, "stories260K.gguf");
        EXPECT_FALSE(w.playground()->prompt().isEmpty());
        EXPECT_TRUE(w.playground()->generateButton()->isEnabled());
        EXPECT_NE(generate_and_wait(w, {.n_predict = 4, .prompt = w.playground()->prompt()}), 0);
    }
    ui::MainWindow again(env.options());  // second launch: opens the existing one
    ASSERT_TRUE(again.openSampleProject());
    EXPECT_EQ(again.explorer()->runIds().size(), 1);
}

TEST(studio_views, recent_projects_and_geometry_persist_in_the_given_settings) {
    test::studio_env env;
    {
        auto w = env.open_window();
        w->show();
        w->resize(1111, 777);
        EXPECT_TRUE(wait_until([&] { return w->size() == QSize(1111, 777); }));
        EXPECT_EQ(w->recentProjects().value(0), QFileInfo(env.project_dir()).absoluteFilePath());
        w->close();
    }
    ui::MainWindow w(env.options());
    EXPECT_EQ(w.recentProjects().value(0), QFileInfo(env.project_dir()).absoluteFilePath());
    EXPECT_EQ(w.size(), QSize(1111, 777));
}

TEST(studio_views, stored_tokens_are_realigned_to_the_stored_text) {
    projects::run_record rec;
    rec.id = 3;
    rec.prompt = "Hi";
    rec.output_text = " there, friend";
    rec.token_ids = {10, 11, 12, 13};
    // Token 11's piece is unknown (not among its alternatives); the others are known.
    rec.top_alternatives = {{{10, " there", 0.5f}, {7, " x", 0.1f}},
                            {{9, ".", 0.4f}},
                            {{12, " fri", 0.3f}},
                            {{13, "end", 0.9f}}};
    rec.status = projects::run_status::running;
    const ui::RunView v = ui::runViewFromRecord(rec, nullptr, false);
    ASSERT_EQ(v.tokens.size(), 4);
    EXPECT_EQ(v.tokens[0].text, " there");
    EXPECT_EQ(v.tokens[1].text, ",");
    EXPECT_LT(v.tokens[1].p, 0.0f);
    EXPECT_EQ(v.tokens[2].text, " fri");
    EXPECT_EQ(v.tokens[3].text, "end");
    EXPECT_FLOAT_EQ(v.tokens[3].p, 0.9f);
    EXPECT_EQ(v.outputText(), " there, friend");
    EXPECT_EQ(v.status, "interrupted");  // running, but no session is generating it
}
