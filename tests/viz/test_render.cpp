// Headless PNG rendering for the CLI: sizes, non-empty output and errors. Set
// PRISM_VIZ_PNG_DIR to also keep sample renders (heatmap, head grid, widget grabs) there
// for looking at them.
#include <gtest/gtest.h>

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QTest>

#include "attention_fixture.h"
#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/head_grid.h"
#include "prism/viz/widgets/render.h"
#include "prism/viz/widgets/token_strip.h"
#include "qt_app.h"
#include "test_util.h"

using prism::viz::attention_set;

namespace {

/// Returns true and fills `image` when `path` is a non-empty PNG.
bool readPng(const QString& path, QImage* image) {
    if (QFileInfo(path).size() == 0) return false;
    return image->load(path, "PNG");
}

/// Whether an image has more than one colour (something was drawn).
bool hasContent(const QImage& image) {
    const QRgb first = image.pixel(0, 0);
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            if (image.pixel(x, y) != first) return true;
    return false;
}

}  // namespace

TEST(Render, HeatmapPngHasTheDocumentedSize) {
    prism::test::qt_app();
    const auto set = prism::test::tiny_attention_set();
    const prism::test::temp_dir dir;
    const QString path = QString::fromStdString(dir.file("head.png"));
    QString error;
    ASSERT_TRUE(prism::viz::renderHeatmapPng(set, 1, 1, path, &error)) << error.toStdString();
    QImage image;
    ASSERT_TRUE(readPng(path, &image));
    EXPECT_EQ(image.size(), prism::viz::heatmapPngSize(6));
    EXPECT_EQ(image.size(), QSize(900, 840));
    EXPECT_TRUE(hasContent(image));
    EXPECT_EQ(prism::viz::heatmapPngSize(2048), QSize(1600, 1540));
}

TEST(Render, HeadGridPngHasTheDocumentedSize) {
    prism::test::qt_app();
    const auto set = prism::test::sentence_attention_set(3, 4);
    const prism::test::temp_dir dir;
    const QString path = QString::fromStdString(dir.file("grid.png"));
    QString error;
    ASSERT_TRUE(prism::viz::renderHeadGridPng(set, path, &error)) << error.toStdString();
    QImage image;
    ASSERT_TRUE(readPng(path, &image));
    EXPECT_EQ(image.size(), prism::viz::headGridPngSize(set));
    EXPECT_GE(image.width(), 760);
    EXPECT_TRUE(hasContent(image));
}

TEST(Render, ErrorsAreReported) {
    prism::test::qt_app();
    const auto set = prism::test::tiny_attention_set();
    const prism::test::temp_dir dir;
    QString error;
    EXPECT_FALSE(
        prism::viz::renderHeatmapPng(set, 2, 0, QString::fromStdString(dir.file("a.png")), &error));
    EXPECT_TRUE(error.contains("layer index 2")) << error.toStdString();
    EXPECT_FALSE(prism::viz::renderHeatmapPng(set, 0, 0, "/nonexistent-dir/a.png", &error));
    EXPECT_FALSE(prism::viz::renderHeadGridPng(attention_set{}, "/tmp/never.png", &error));
    EXPECT_TRUE(error.contains("no attention")) << error.toStdString();
}

TEST(Render, SampleImagesForPeople) {
    const QString dir = qEnvironmentVariable("PRISM_VIZ_PNG_DIR");
    if (dir.isEmpty()) GTEST_SKIP() << "set PRISM_VIZ_PNG_DIR to keep sample renders";
    prism::test::qt_app();
    QDir().mkpath(dir);
    const auto sentence =
        std::make_shared<const attention_set>(prism::test::sentence_attention_set(4, 6));
    const auto tiny = prism::test::tiny_attention_set();
    const auto longSet = prism::test::long_attention_set(300);
    QString error;
    ASSERT_TRUE(
        prism::viz::renderHeatmapPng(*sentence, 1, 0, dir + "/heatmap_sentence.png", &error));
    ASSERT_TRUE(prism::viz::renderHeatmapPng(tiny, 0, 0, dir + "/heatmap_tiny.png", &error));
    ASSERT_TRUE(prism::viz::renderHeatmapPng(longSet, 0, 0, dir + "/heatmap_long.png", &error));
    ASSERT_TRUE(prism::viz::renderHeadGridPng(*sentence, dir + "/grid_sentence.png", &error));

    prism::viz::AttentionHeatmap heatmap;
    heatmap.resize(900, 700);
    heatmap.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&heatmap));
    heatmap.setAttention(sentence);
    heatmap.selectQuery(12);
    ASSERT_TRUE(heatmap.waitForPrepared());
    QTest::qWait(50);
    heatmap.grab().save(dir + "/widget_heatmap.png");
    heatmap.setScale(prism::viz::ColorScale::Rank);
    heatmap.setHideSink(true);
    ASSERT_TRUE(heatmap.waitForPrepared());
    QTest::qWait(50);
    heatmap.grab().save(dir + "/widget_heatmap_rank.png");
    heatmap.exportSvg(dir + "/widget_heatmap.svg");
    heatmap.setScale(prism::viz::ColorScale::Log);
    heatmap.setHideSink(false);
    heatmap.setMode(prism::viz::AttentionMode::MeanOverHeads);
    ASSERT_TRUE(heatmap.waitForPrepared());
    QTest::qWait(50);
    heatmap.grab().save(dir + "/widget_heatmap_log.png");

    prism::viz::AttentionHeatmap empty;
    empty.resize(600, 400);
    empty.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&empty));
    empty.grab().save(dir + "/widget_empty.png");

    prism::viz::HeadGrid grid;
    grid.resize(600, 450);
    grid.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&grid));
    grid.setAttention(sentence);
    ASSERT_TRUE(grid.waitForStats());
    grid.setSelectedHead(1, 2);
    QTest::qWait(50);
    grid.grab().save(dir + "/widget_grid.png");

    prism::viz::TokenStrip strip;
    strip.resize(700, 200);
    strip.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&strip));
    strip.setAttention(sentence);
    strip.showHead(1, 1);
    strip.setQuery(31);
    ASSERT_TRUE(strip.waitForPrepared());
    strip.resize(700, strip.heightForWidth(700));
    QTest::qWait(50);
    strip.grab().save(dir + "/widget_strip.png");
}
