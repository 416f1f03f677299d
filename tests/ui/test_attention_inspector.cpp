// AttentionInspector (offscreen): the empty state, token selection kept in step between
// strip and heatmap, head-grid clicks and heatmap combos carried over, "Pin finding" values,
// exports, and the layout at the reference size 1400×900 with a real capture from the
// bundled model (saved as a screenshot when PRISM_INSPECTOR_SCREENSHOT names a file).
#include <gtest/gtest.h>

#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <qcustomplot.h>

#include "attention_fixture.h"
#include "prism/attention_capture.h"
#include "prism/generate.h"
#include "prism/ui/attention_inspector.h"
#include "prism/viz/from_capture.h"
#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/head_grid.h"
#include "prism/viz/widgets/render.h"
#include "prism/viz/widgets/token_strip.h"
#include "qt_app.h"
#include "test_paths.h"

using prism::ui::AttentionInspector;
using prism::viz::attention_set;
using Mode = prism::viz::AttentionMode;

namespace {

std::shared_ptr<const attention_set> tinySet() {
    return std::make_shared<const attention_set>(prism::test::tiny_attention_set());
}

/// Waits until heatmap, strip and grid show the current set.
void settle(AttentionInspector& inspector) {
    ASSERT_TRUE(inspector.heatmap()->waitForPrepared());
    ASSERT_TRUE(inspector.tokenStrip()->waitForPrepared());
    ASSERT_TRUE(inspector.headGrid()->waitForStats());
    QCoreApplication::processEvents();
    inspector.headGrid()->plot()->replot();
    inspector.heatmap()->plot()->replot();
}

/// Saves a screenshot when PRISM_INSPECTOR_SCREENSHOT names a PNG file: to that file, or
/// with `suffix` inserted before ".png" (e.g. "-empty").
void maybeSave(QWidget& widget, const QString& suffix = {}) {
    QString path = qEnvironmentVariable("PRISM_INSPECTOR_SCREENSHOT");
    if (path.isEmpty()) return;
    if (!suffix.isEmpty()) {
        path = path.endsWith(".png") ? path.chopped(4) + suffix + ".png" : path + suffix;
    }
    EXPECT_TRUE(widget.grab().save(path)) << path.toStdString();
}

void showAt(AttentionInspector& inspector, int width, int height) {
    inspector.resize(width, height);
    inspector.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&inspector));
}

}  // namespace

TEST(AttentionInspector, EmptyStateShowsAReadableHint) {
    prism::test::qt_app();
    AttentionInspector inspector;
    showAt(inspector, 1000, 700);
    auto* empty = inspector.findChild<QLabel*>(QStringLiteral("attentionInspectorEmpty"));
    ASSERT_NE(empty, nullptr);
    EXPECT_TRUE(empty->isVisible());
    EXPECT_TRUE(inspector.isEmptyStateShown());
    EXPECT_TRUE(empty->text().contains("Generate in the Playground"))
        << empty->text().toStdString();
    EXPECT_FALSE(inspector.heatmap()->isVisible());
    maybeSave(inspector, "-empty");
    EXPECT_EQ(inspector.selectedToken(), -1);
    EXPECT_EQ(inspector.currentLayer(), -1);
    EXPECT_EQ(inspector.currentHead(), -1);

    inspector.setAttention(tinySet(), 42);
    EXPECT_FALSE(empty->isVisible());
    EXPECT_TRUE(inspector.heatmap()->isVisible());

    // A run without capture says so; clear() returns to the general hint.
    inspector.setAttention(nullptr, 7);
    EXPECT_TRUE(empty->isVisible());
    EXPECT_TRUE(inspector.emptyStateText().contains("Run #7")) << empty->text().toStdString();
    inspector.clear();
    EXPECT_TRUE(inspector.emptyStateText().contains("Generate in the Playground"));
    EXPECT_EQ(inspector.attention(), nullptr);
}

TEST(AttentionInspector, SelectTokenMovesStripAndHeatmap) {
    prism::test::qt_app();
    AttentionInspector inspector;
    showAt(inspector, 1200, 800);
    QSignalSpy selected(&inspector, &AttentionInspector::tokenSelected);
    inspector.setAttention(tinySet(), 42);
    EXPECT_EQ(inspector.selectedToken(), 5);  // a new set starts at its last token
    ASSERT_EQ(selected.count(), 1);
    EXPECT_EQ(selected.takeFirst().at(0).toInt(), 5);

    inspector.selectToken(3);
    EXPECT_EQ(inspector.selectedToken(), 3);
    EXPECT_EQ(inspector.heatmap()->selectedQuery(), 3);
    EXPECT_EQ(inspector.tokenStrip()->query(), 3);
    ASSERT_EQ(selected.count(), 1);
    EXPECT_EQ(selected.takeFirst().at(0).toInt(), 3);
    inspector.selectToken(3);  // unchanged: no signal
    EXPECT_EQ(selected.count(), 0);
    inspector.selectToken(99);  // out of range: soft check, nothing moves
    EXPECT_EQ(inspector.selectedToken(), 3);

    settle(inspector);
    // The strip shows the selected query's row: where token 3 looked (row 3 of L0 H2).
    EXPECT_NEAR(inspector.tokenStrip()->intensity(0), 0.4, 1e-6);
    EXPECT_NEAR(inspector.tokenStrip()->intensity(2), 0.275, 1e-6);
    const QString summary =
        inspector.findChild<QLabel*>(QStringLiteral("attentionInspectorSummary"))->text();
    EXPECT_TRUE(summary.contains("Token 3")) << summary.toStdString();
    EXPECT_TRUE(inspector.topAttendedText().startsWith("looked most at \"<s>\" #0 0.40"))
        << inspector.topAttendedText().toStdString();

    // A click on a chip in the strip moves the heatmap's query row too.
    QTest::mouseClick(inspector.tokenStrip(), Qt::LeftButton, {},
                      inspector.tokenStrip()->tokenRect(1).center());
    EXPECT_EQ(inspector.selectedToken(), 1);
    EXPECT_EQ(inspector.heatmap()->selectedQuery(), 1);
    // And a click on a heatmap row moves the strip.
    QTest::mouseClick(inspector.heatmap()->plot(), Qt::LeftButton, {},
                      inspector.heatmap()->cellCenter(4, 2));
    EXPECT_EQ(inspector.selectedToken(), 4);
    EXPECT_EQ(inspector.tokenStrip()->query(), 4);
    EXPECT_EQ(selected.count(), 2);
}

TEST(AttentionInspector, HeadGridClickShowsThatHeadEverywhere) {
    prism::test::qt_app();
    AttentionInspector inspector;
    showAt(inspector, 1400, 900);
    auto set = tinySet();
    inspector.setAttention(set, 42);
    settle(inspector);
    EXPECT_EQ(inspector.currentLayer(), 0);
    EXPECT_EQ(inspector.currentHead(), 2);

    auto* grid = inspector.headGrid();
    QTest::mouseClick(grid->plot(), Qt::LeftButton, {}, grid->cellCenter(1, 1));
    EXPECT_EQ(inspector.heatmap()->layerIndex(), 1);
    EXPECT_EQ(inspector.heatmap()->headIndex(), 1);
    EXPECT_EQ(inspector.tokenStrip()->layerIndex(), 1);
    EXPECT_EQ(inspector.tokenStrip()->headIndex(), 1);
    EXPECT_EQ(inspector.currentLayer(), 1);  // model numbering
    EXPECT_EQ(inspector.currentHead(), 5);
    ASSERT_TRUE(inspector.heatmap()->waitForPrepared());
    EXPECT_FLOAT_EQ(inspector.heatmap()->displayedMatrix().at(5, 2), set->at(1, 1).at(5, 2));

    // Changing the heatmap's view carries over to the strip and clears the grid outline.
    inspector.heatmap()->setMode(Mode::MeanOverHeads);
    ASSERT_TRUE(inspector.heatmap()->waitForPrepared());
    EXPECT_EQ(inspector.tokenStrip()->mode(), Mode::MeanOverHeads);
    EXPECT_EQ(inspector.currentLayer(), 1);
    EXPECT_EQ(inspector.currentHead(), -1);
    inspector.heatmap()->setMode(Mode::Head);
    inspector.heatmap()->setLayerIndex(0);
    ASSERT_TRUE(inspector.heatmap()->waitForPrepared());
    EXPECT_EQ(inspector.tokenStrip()->mode(), Mode::Head);
    EXPECT_EQ(inspector.tokenStrip()->layerIndex(), 0);
    EXPECT_EQ(inspector.currentHead(), 5);
}

TEST(AttentionInspector, PinFindingEmitsTheShownViewAndNote) {
    prism::test::qt_app();
    AttentionInspector inspector;
    showAt(inspector, 1400, 900);
    QSignalSpy pinned(&inspector, &AttentionInspector::findingRequested);
    inspector.setAttention(tinySet(), 42);
    settle(inspector);
    inspector.selectToken(3);
    QTest::mouseClick(inspector.headGrid()->plot(), Qt::LeftButton, {},
                      inspector.headGrid()->cellCenter(1, 1));
    inspector.noteEdit()->setText("  looks back at the subject  ");
    QTest::mouseClick(inspector.pinButton(), Qt::LeftButton);
    ASSERT_EQ(pinned.count(), 1);
    const QList<QVariant> args = pinned.takeFirst();
    EXPECT_EQ(args.at(0).toLongLong(), 42);
    EXPECT_EQ(args.at(1).toInt(), 1);  // layer 1
    EXPECT_EQ(args.at(2).toInt(), 5);  // model head 5
    EXPECT_EQ(args.at(3).toInt(), 3);
    EXPECT_EQ(args.at(4).toInt(), 4);
    EXPECT_EQ(args.at(5).toString(), "looks back at the subject");
    EXPECT_TRUE(inspector.noteEdit()->text().isEmpty());

    // An aggregate view pins every head of the layer (head -1); Enter in the note pins too.
    inspector.heatmap()->setMode(Mode::MaxOverHeads);
    inspector.noteEdit()->setText("all heads");
    QTest::keyClick(inspector.noteEdit(), Qt::Key_Return);
    ASSERT_EQ(pinned.count(), 1);
    const QList<QVariant> agg = pinned.takeFirst();
    EXPECT_EQ(agg.at(1).toInt(), 1);
    EXPECT_EQ(agg.at(2).toInt(), -1);
    EXPECT_EQ(agg.at(5).toString(), "all heads");

    // Rollout: the last captured layer, every head.
    inspector.heatmap()->setMode(Mode::Rollout);
    QTest::mouseClick(inspector.pinButton(), Qt::LeftButton);
    ASSERT_EQ(pinned.count(), 1);
    const QList<QVariant> roll = pinned.takeFirst();
    EXPECT_EQ(roll.at(1).toInt(), 1);
    EXPECT_EQ(roll.at(2).toInt(), -1);

    // An unsaved run cannot hold findings.
    inspector.setAttention(tinySet(), 0);
    EXPECT_FALSE(inspector.pinButton()->isEnabled());
    QTest::keyClick(inspector.noteEdit(), Qt::Key_Return);
    EXPECT_EQ(pinned.count(), 0);
}

TEST(AttentionInspector, ExportsWriteFiles) {
    prism::test::qt_app();
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    AttentionInspector inspector;
    showAt(inspector, 1400, 900);
    QString error;
    EXPECT_FALSE(inspector.exportPng(dir.filePath("none.png"), &error));
    EXPECT_FALSE(error.isEmpty());

    inspector.setAttention(tinySet(), 42);
    const QString png = dir.filePath("heatmap.png");
    const QString svg = dir.filePath("heatmap.svg");
    const QString csv = dir.filePath("heatmap.csv");
    ASSERT_TRUE(inspector.exportPng(png, &error)) << error.toStdString();
    ASSERT_TRUE(inspector.exportSvg(svg, &error)) << error.toStdString();
    ASSERT_TRUE(inspector.exportCsv(csv, &error)) << error.toStdString();
    const QImage image(png);
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.size(), prism::viz::heatmapPngSize(6));
    QFile svgFile(svg);
    ASSERT_TRUE(svgFile.open(QIODevice::ReadOnly));
    EXPECT_TRUE(svgFile.readAll().contains("<svg"));
    QFile csvFile(csv);
    ASSERT_TRUE(csvFile.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csvFile.readAll().split('\n');
    ASSERT_GE(lines.size(), 7);
    EXPECT_TRUE(lines[0].startsWith("query\\key,<s>,The")) << lines[0].toStdString();
    EXPECT_TRUE(lines[4].startsWith("\" sat\",0.4,0.125,0.275,0.2,0,0")) << lines[4].toStdString();
}

TEST(AttentionInspector, RealCaptureLaysOutAt1400x900) {
    prism::test::qt_app();
    auto model = prism::llama_model::load(prism::test::bundled_model());
    ASSERT_TRUE(model.has_value()) << model.error().message;
    auto ctx = prism::llama_context::create(*model, {.n_ctx = 128});
    ASSERT_TRUE(ctx.has_value());
    auto cap = prism::attention_capture::create((*model)->hparams(), {});
    ASSERT_TRUE(cap.has_value());
    prism::generate_params p;
    p.prompt = "Once upon a time, there was a little girl named Lily. She loved to play";
    p.n_predict = 40;
    p.sampling.temp = 0;
    p.capture = &*cap;
    auto r = prism::generate(**ctx, p);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    std::vector<int32_t> tokens = r->prompt_tokens;
    tokens.insert(tokens.end(), r->tokens.begin(), r->tokens.end());
    if (cap->n_tokens() != static_cast<int64_t>(tokens.size()))
        GTEST_SKIP() << "capture rows differ from tokens (generation ended early)";
    auto set = std::make_shared<const attention_set>(prism::viz::attention_set_from_capture(
        *cap, tokens, static_cast<int32_t>(r->prompt_tokens.size()), (*model)->vocab(),
        (*model)->hparams(), "stories260K"));

    AttentionInspector inspector;
    showAt(inspector, 1400, 900);
    inspector.setAttention(set, 12);
    const int query = static_cast<int>(r->prompt_tokens.size()) + 6;
    inspector.selectToken(query);
    settle(inspector);
    QTest::mouseClick(inspector.headGrid()->plot(), Qt::LeftButton, {},
                      inspector.headGrid()->cellCenter(2, 3));
    settle(inspector);
    QTest::qWait(300);  // resize-driven re-pooling and queued replots
    settle(inspector);

    EXPECT_EQ(inspector.selectedToken(), query);
    EXPECT_EQ(inspector.currentLayer(), 2);
    EXPECT_EQ(inspector.currentHead(), 3);
    // The heatmap gets most of the room; grid and strip stay usable.
    // The strip's pane fits the text's chips (it is short) and no more.
    EXPECT_GE(inspector.heatmap()->plot()->width(), 600);
    EXPECT_GE(inspector.heatmap()->plot()->height(), 500);
    EXPECT_GE(inspector.headGrid()->width(), 300);
    const QRect stripVisible = inspector.tokenStrip()->visibleRegion().boundingRect();
    EXPECT_TRUE(stripVisible.contains(inspector.tokenStrip()->tokenRect(0)));
    EXPECT_TRUE(stripVisible.contains(inspector.tokenStrip()->tokenRect(query)));
    EXPECT_TRUE(stripVisible.contains(
        inspector.tokenStrip()->tokenRect(static_cast<int>(set->n_tokens()) - 1)));
    EXPECT_LE(stripVisible.height(), inspector.tokenStrip()->heightForWidth(stripVisible.width()));

    ASSERT_FALSE(inspector.grab().toImage().isNull());
    maybeSave(inspector);
}

TEST(AttentionInspector, LongTextScrollsTheStripAndKeepsTheQueryInView) {
    prism::test::qt_app();
    AttentionInspector inspector;
    showAt(inspector, 1000, 650);
    auto set = std::make_shared<const attention_set>(prism::test::long_attention_set(600));
    inspector.setAttention(set, 3);
    settle(inspector);
    auto* strip = inspector.tokenStrip();
    // The strip's pane takes at most a third of the height and scrolls; the heatmap keeps
    // the rest.
    const QRect visible = strip->visibleRegion().boundingRect();
    EXPECT_LE(visible.height(), 650 / 3);
    EXPECT_LT(visible.height(), strip->height());
    EXPECT_GE(inspector.heatmap()->plot()->height(), 250);
    EXPECT_TRUE(visible.contains(strip->tokenRect(599)));  // the last token is selected
    inspector.selectToken(10);
    EXPECT_TRUE(strip->visibleRegion().boundingRect().contains(strip->tokenRect(10)));
    EXPECT_EQ(strip->visibleRegion().boundingRect().top(), 0);  // caption in view
    settle(inspector);
    maybeSave(inspector, "-long");
}
