// AttentionHeatmap on a hand-made attention set (offscreen): what it displays per
// layer/head/mode/sink option, hover text, query selection by API and by mouse, colour
// scales, exports, the empty state, and display pooling of a 2048-token set prepared off
// the GUI thread.
#include <gtest/gtest.h>

#include <QFile>
#include <QImage>
#include <QLabel>
#include <QStackedWidget>
#include <QTest>
#include <QThread>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "attention_fixture.h"
#include "prism/viz/analysis.h"
#include "prism/viz/widgets/attention_heatmap.h"
#include "qt_app.h"
#include "test_util.h"

using prism::viz::attention_set;
using prism::viz::AttentionHeatmap;
using prism::viz::attn_matrix;

namespace {

std::shared_ptr<const attention_set> tinySet() {
    return std::make_shared<const attention_set>(prism::test::tiny_attention_set());
}

void expectSameMatrix(const attn_matrix& actual, const attn_matrix& expected) {
    ASSERT_EQ(actual.n, expected.n);
    for (int64_t q = 0; q < expected.n; ++q)
        for (int64_t k = 0; k < expected.n; ++k)
            ASSERT_FLOAT_EQ(actual.at(q, k), expected.at(q, k)) << "at q=" << q << " k=" << k;
}

/// A shown, laid-out heatmap on the tiny set.
struct ShownHeatmap {
    AttentionHeatmap widget;
    std::shared_ptr<const attention_set> set = tinySet();
    ShownHeatmap() {
        widget.resize(700, 600);
        widget.show();
        EXPECT_TRUE(QTest::qWaitForWindowExposed(&widget));
        widget.setAttention(set);
        EXPECT_TRUE(widget.waitForPrepared());
        widget.plot()->replot();
    }
};

}  // namespace

TEST(AttentionHeatmap, EmptyStateShowsAMessageNotAPlot) {
    prism::test::qt_app();
    AttentionHeatmap widget;
    EXPECT_EQ(widget.displayedMatrix().n, 0);
    auto* stack = widget.findChild<QStackedWidget*>();
    ASSERT_NE(stack, nullptr);
    auto* label = qobject_cast<QLabel*>(stack->currentWidget());
    ASSERT_NE(label, nullptr);
    EXPECT_TRUE(label->text().contains("No attention captured"));
    QString error;
    EXPECT_FALSE(
        widget.exportCsv(prism::test::process_temp_dir().file("empty.csv").c_str(), &error));
    EXPECT_FALSE(error.isEmpty());

    widget.setAttention(tinySet());
    ASSERT_TRUE(widget.waitForPrepared());
    EXPECT_EQ(stack->currentWidget()->findChild<QCustomPlot*>(), widget.plot());
    widget.setAttention(nullptr);
    EXPECT_EQ(widget.displayedMatrix().n, 0);
    EXPECT_NE(qobject_cast<QLabel*>(stack->currentWidget()), nullptr);
}

TEST(AttentionHeatmap, LayerAndHeadSelectTheirMatrix) {
    prism::test::qt_app();
    auto set = tinySet();
    AttentionHeatmap widget;
    widget.setAttention(set);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(), set->at(0, 0));
    EXPECT_EQ(widget.title(), QStringLiteral("tiny-llama — layer 0, head 2"));

    widget.setLayerIndex(1);
    widget.setHeadIndex(1);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(), set->at(1, 1));
    EXPECT_EQ(widget.title(), QStringLiteral("tiny-llama — layer 1, head 5"));

    widget.setHeadIndex(0);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(), set->at(1, 0));
    EXPECT_EQ(widget.displayBlockSize(), 1);
}

TEST(AttentionHeatmap, NewerRequestSupersedesOlder) {
    prism::test::qt_app();
    auto set = tinySet();
    AttentionHeatmap widget;
    widget.setAttention(set);
    QCoreApplication::processEvents();  // the first request is launched
    widget.setMode(AttentionHeatmap::Mode::Rollout);
    QCoreApplication::processEvents();
    widget.setMode(AttentionHeatmap::Mode::Head);
    widget.setHeadIndex(1);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(), set->at(0, 1));
    QCoreApplication::processEvents();  // late deliveries of older requests change nothing
    expectSameMatrix(widget.displayedMatrix(), set->at(0, 1));
}

TEST(AttentionHeatmap, AggregateModesEqualTheAnalysisFunctions) {
    prism::test::qt_app();
    auto set = tinySet();
    AttentionHeatmap widget;
    widget.setAttention(set);
    widget.setLayerIndex(1);
    widget.setMode(AttentionHeatmap::Mode::MeanOverHeads);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(),
                     prism::viz::aggregate_layer(*set, 1, prism::viz::head_aggregate::mean));
    EXPECT_EQ(widget.title(), QStringLiteral("tiny-llama — layer 1, mean over heads"));

    widget.setMode(AttentionHeatmap::Mode::MaxOverHeads);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(),
                     prism::viz::aggregate_layer(*set, 1, prism::viz::head_aggregate::max));

    widget.setMode(AttentionHeatmap::Mode::Rollout);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(), prism::viz::attention_rollout(*set));
    EXPECT_EQ(widget.title(), QStringLiteral("tiny-llama — rollout over layers 0–1"));
}

TEST(AttentionHeatmap, RolloutWithoutEveryLayerSaysWhy) {
    prism::test::qt_app();
    auto partial = prism::test::tiny_attention_set();
    partial.layers = {1};
    partial.mats.resize(2);
    AttentionHeatmap widget;
    widget.setAttention(std::make_shared<const attention_set>(partial));
    widget.setMode(AttentionHeatmap::Mode::Rollout);
    ASSERT_TRUE(widget.waitForPrepared());
    EXPECT_EQ(widget.displayedMatrix().n, 0);
    EXPECT_FALSE(widget.errorText().isEmpty());
}

TEST(AttentionHeatmap, HideSinkZeroesColumnZero) {
    prism::test::qt_app();
    auto set = tinySet();
    AttentionHeatmap widget;
    widget.setAttention(set);
    widget.setHideSink(true);
    ASSERT_TRUE(widget.waitForPrepared());
    const attn_matrix& shown = widget.displayedMatrix();
    ASSERT_EQ(shown.n, 6);
    for (int64_t q = 0; q < shown.n; ++q) EXPECT_EQ(shown.at(q, 0), 0.0f) << "row " << q;
    expectSameMatrix(shown, prism::viz::without_sink(set->at(0, 0)));
    EXPECT_TRUE(widget.title().endsWith("(sink hidden)"));
}

TEST(AttentionHeatmap, HoverTextIsExact) {
    prism::test::qt_app();
    AttentionHeatmap widget;
    widget.setAttention(tinySet());
    ASSERT_TRUE(widget.waitForPrepared());
    EXPECT_EQ(widget.hoverText(3, 1), QStringLiteral("query \"·sat\" → key \"The\": 0.125"));
    EXPECT_EQ(widget.hoverText(4, 0), QStringLiteral("query \"\\n\" → key \"<s>\": 0.300"));
    EXPECT_TRUE(widget.hoverText(6, 0).isEmpty());
    EXPECT_TRUE(widget.hoverText(-1, 0).isEmpty());
    EXPECT_TRUE(widget.hoverText(1, 3).endsWith(": masked (future token)"))
        << widget.hoverText(1, 3).toStdString();
}

TEST(AttentionHeatmap, TinyValuesKeepSignificantDigits) {
    prism::test::qt_app();
    auto set = std::make_shared<prism::viz::attention_set>(*tinySet());
    set->mats[0].at(3, 2) = 4.2e-5f;
    AttentionHeatmap widget;
    widget.setAttention(set);
    ASSERT_TRUE(widget.waitForPrepared());
    EXPECT_TRUE(widget.hoverText(3, 2).endsWith(": 4.2e-05"))
        << widget.hoverText(3, 2).toStdString();
}

TEST(AttentionHeatmap, SelectQueryEmitsQuerySelected) {
    prism::test::qt_app();
    AttentionHeatmap widget;
    widget.setAttention(tinySet());
    ASSERT_TRUE(widget.waitForPrepared());
    std::vector<int> selected;
    QObject::connect(&widget, &AttentionHeatmap::querySelected,
                     [&](int q) { selected.push_back(q); });
    widget.selectQuery(2);
    widget.selectQuery(2);  // unchanged: no second signal
    widget.selectQuery(5);
    EXPECT_EQ(selected, (std::vector<int>{2, 5}));
    EXPECT_EQ(widget.selectedQuery(), 5);
    widget.selectQuery(17);  // out of range: logged and ignored
    EXPECT_EQ(widget.selectedQuery(), 5);
}

TEST(AttentionHeatmap, ClickingACellSelectsItsQueryRow) {
    prism::test::qt_app();
    ShownHeatmap shown;
    std::vector<int> selected;
    QObject::connect(&shown.widget, &AttentionHeatmap::querySelected,
                     [&](int q) { selected.push_back(q); });
    QTest::mouseClick(shown.widget.plot(), Qt::LeftButton, {}, shown.widget.cellCenter(4, 2));
    EXPECT_EQ(selected, std::vector<int>{4});
    EXPECT_EQ(shown.widget.selectedQuery(), 4);
    QTest::mouseClick(shown.widget.plot(), Qt::LeftButton, {}, shown.widget.cellCenter(1, 0));
    EXPECT_EQ(selected, (std::vector<int>{4, 1}));
}

TEST(AttentionHeatmap, ColourScalesKeepProbabilitiesAndMapColours) {
    prism::test::qt_app();
    auto set = tinySet();
    AttentionHeatmap widget;
    widget.setAttention(set);
    ASSERT_TRUE(widget.waitForPrepared());
    const std::vector<double> linear = widget.displayedColorValues();
    ASSERT_EQ(linear.size(), 36u);
    EXPECT_NEAR(linear[3 * 6 + 1], 0.125, 1e-7);
    EXPECT_TRUE(std::isnan(linear[0 * 6 + 1]));  // future key: masked

    widget.setScale(AttentionHeatmap::Scale::Rank);
    ASSERT_TRUE(widget.waitForPrepared());
    expectSameMatrix(widget.displayedMatrix(), set->at(0, 0));
    const std::vector<double>& rank = widget.displayedColorValues();
    // (0,0) = 1.0 is the largest of the 21 nonzero values, 0.1 (five times) the smallest.
    EXPECT_DOUBLE_EQ(rank[0], 1.0);
    EXPECT_DOUBLE_EQ(rank[4 * 6 + 1], 2.0 / 20.0);  // ranks 0..4 tie: mean rank 2 of 0..20
    for (const double r : rank) EXPECT_TRUE(std::isnan(r) || (r >= 0 && r <= 1)) << r;

    widget.setScale(AttentionHeatmap::Scale::Log);
    widget.setHideSink(true);
    ASSERT_TRUE(widget.waitForPrepared());
    const std::vector<double>& log = widget.displayedColorValues();
    EXPECT_GT(log[1 * 6 + 0], 0.0);  // hidden sink (0) raised to the log floor
}

TEST(AttentionHeatmap, ExportsPngSvgAndCsv) {
    prism::test::qt_app();
    ShownHeatmap shown;
    const prism::test::temp_dir dir;
    QString error;

    const QString png = QString::fromStdString(dir.file("heatmap.png"));
    ASSERT_TRUE(shown.widget.exportPng(png, 640, 480, &error)) << error.toStdString();
    const QImage image(png);
    EXPECT_EQ(image.size(), QSize(640, 480));

    const QString svg = QString::fromStdString(dir.file("heatmap.svg"));
    ASSERT_TRUE(shown.widget.exportSvg(svg, &error)) << error.toStdString();
    const std::string svgText = prism::test::read_file(svg.toStdString());
    EXPECT_EQ(svgText.rfind("<?xml", 0), 0u);
    EXPECT_NE(svgText.find("<svg"), std::string::npos);

    const QString csv = QString::fromStdString(dir.file("heatmap.csv"));
    ASSERT_TRUE(shown.widget.exportCsv(csv, &error)) << error.toStdString();
    const std::string text = prism::test::read_file(csv.toStdString());
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7);  // T + 1 lines
    const std::string header = text.substr(0, text.find("\r\n"));
    EXPECT_EQ(header, "query\\key,<s>,The,\" cat\",\" sat\",\\n,on");
    EXPECT_NE(text.find("\r\n\" sat\",0.4,0.125,0.275,0.2,0,0\r\n"), std::string::npos) << text;

    EXPECT_FALSE(shown.widget.exportPng(png, 0, 10, &error));
    EXPECT_FALSE(shown.widget.exportCsv("/nonexistent-dir/x.csv", &error));
}

TEST(AttentionHeatmap, LongSequenceIsPooledToTheWidgetOffTheGuiThread) {
    prism::test::qt_app();
    auto set = std::make_shared<const attention_set>(prism::test::long_attention_set(2048));
    AttentionHeatmap widget;
    widget.resize(600, 500);
    widget.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&widget));
    widget.setAttention(set);
    ASSERT_TRUE(widget.waitForPrepared(120000));
    const attn_matrix& shown = widget.displayedMatrix();
    EXPECT_GT(shown.n, 0);
    EXPECT_LE(shown.n, std::max(widget.width(), widget.height()));
    EXPECT_GT(widget.displayBlockSize(), 1);
    EXPECT_EQ(shown.n, (2048 + widget.displayBlockSize() - 1) / widget.displayBlockSize());
    ASSERT_NE(widget.lastPrepareThread(), nullptr);
    EXPECT_NE(widget.lastPrepareThread(), QThread::currentThread());
    // Hover reads full resolution.
    const float value = set->at(0, 0).at(2047, 5);
    EXPECT_EQ(widget.hoverText(2047, 5),
              QStringLiteral("query \"·t2047\" → key \"·t5\": %1").arg(value, 0, 'f', 3));
}

TEST(AttentionHeatmap, ResizingRepoolsALongSequence) {
    prism::test::qt_app();
    auto set = std::make_shared<const attention_set>(prism::test::long_attention_set(1500));
    AttentionHeatmap widget;
    widget.resize(500, 400);
    widget.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&widget));
    widget.setAttention(set);
    ASSERT_TRUE(widget.waitForPrepared(120000));
    const int64_t smallBlock = widget.displayBlockSize();
    widget.resize(1000, 900);
    ASSERT_TRUE(QTest::qWaitFor([&] { return widget.displayBlockSize() < smallBlock; }, 10000));
    ASSERT_TRUE(widget.waitForPrepared(120000));
    EXPECT_LE(widget.displayedMatrix().n, std::max(widget.width(), widget.height()));
}

TEST(AttentionHeatmap, SingleTokenShowsAndExports) {
    prism::test::qt_app();
    auto one = prism::test::long_attention_set(1);
    AttentionHeatmap widget;
    widget.resize(400, 400);
    widget.setAttention(std::make_shared<const attention_set>(one));
    ASSERT_TRUE(widget.waitForPrepared());
    ASSERT_EQ(widget.displayedMatrix().n, 1);
    EXPECT_FLOAT_EQ(widget.displayedMatrix().at(0, 0), 1.0f);
    EXPECT_EQ(widget.hoverText(0, 0), QStringLiteral("query \"·t0\" → key \"·t0\": 1.000"));
    const prism::test::temp_dir dir;
    const QString png = QString::fromStdString(dir.file("one.png"));
    ASSERT_TRUE(widget.exportPng(png, 300, 200));
    EXPECT_EQ(QImage(png).size(), QSize(300, 200));
}
