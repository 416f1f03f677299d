// HeadGrid (offscreen): statistics computed off the GUI thread equal
// compute_all_head_stats, switching the statistic recolours, tooltips list all five
// statistics, and clicking a cell emits headSelected with its (layer, head) indices,
// which opens that head in an AttentionHeatmap.
#include <gtest/gtest.h>

#include <QTest>

#include <qcustomplot.h>

#include "attention_fixture.h"
#include "prism/viz/analysis.h"
#include "prism/viz/widgets/attention_heatmap.h"
#include "prism/viz/widgets/head_grid.h"
#include "qt_app.h"

using prism::viz::attention_set;
using prism::viz::HeadGrid;

namespace {

std::shared_ptr<const attention_set> tinySet() {
    return std::make_shared<const attention_set>(prism::test::tiny_attention_set());
}

}  // namespace

TEST(HeadGrid, StatisticsEqualTheAnalysis) {
    prism::test::qt_app();
    auto set = tinySet();
    HeadGrid grid;
    EXPECT_TRUE(grid.stats().empty());
    grid.setAttention(set);
    ASSERT_TRUE(grid.waitForStats());
    const auto expected = prism::viz::compute_all_head_stats(*set);
    ASSERT_EQ(grid.stats().size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_DOUBLE_EQ(grid.stats()[i].entropy, expected[i].entropy);
        EXPECT_DOUBLE_EQ(grid.stats()[i].sink, expected[i].sink);
        EXPECT_DOUBLE_EQ(grid.stats()[i].prev_token, expected[i].prev_token);
        EXPECT_DOUBLE_EQ(grid.stats()[i].local, expected[i].local);
        EXPECT_DOUBLE_EQ(grid.stats()[i].induction, expected[i].induction);
    }
}

TEST(HeadGrid, ColoursByTheChosenStatistic) {
    prism::test::qt_app();
    auto set = tinySet();
    HeadGrid grid;
    grid.setAttention(set);
    ASSERT_TRUE(grid.waitForStats());
    auto* map = qobject_cast<QCPColorMap*>(grid.plot()->plottable(0));
    ASSERT_NE(map, nullptr);
    const auto expected = prism::viz::compute_all_head_stats(*set);
    for (const auto statistic : {HeadGrid::Statistic::Entropy, HeadGrid::Statistic::Sink,
                                 HeadGrid::Statistic::PreviousToken, HeadGrid::Statistic::Local,
                                 HeadGrid::Statistic::Induction}) {
        grid.setStatistic(statistic);
        EXPECT_EQ(map->colorScale()->label(), HeadGrid::statisticName(statistic));
        // cell (head 1, layer 0) holds mats[0 * 2 + 1]
        EXPECT_DOUBLE_EQ(map->data()->cell(1, 0), HeadGrid::statisticValue(expected[1], statistic));
        EXPECT_DOUBLE_EQ(map->data()->cell(0, 1), HeadGrid::statisticValue(expected[2], statistic));
    }
}

TEST(HeadGrid, TooltipListsAllFiveStatistics) {
    prism::test::qt_app();
    HeadGrid grid;
    grid.setAttention(tinySet());
    ASSERT_TRUE(grid.waitForStats());
    const QString tip = grid.toolTipFor(1, 1);
    EXPECT_TRUE(tip.startsWith("L1 H5\n")) << tip.toStdString();
    for (const char* name : {"entropy", "sink", "previous-token", "local", "induction"})
        EXPECT_TRUE(tip.contains(name)) << name;
    EXPECT_TRUE(grid.toolTipFor(2, 0).isEmpty());
}

TEST(HeadGrid, ClickEmitsHeadSelectedAndOpensTheHeatmap) {
    prism::test::qt_app();
    auto set = tinySet();
    HeadGrid grid;
    grid.resize(500, 400);
    grid.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&grid));
    grid.setAttention(set);
    ASSERT_TRUE(grid.waitForStats());
    grid.plot()->replot();

    prism::viz::AttentionHeatmap heatmap;
    heatmap.setAttention(set);
    QObject::connect(&grid, &HeadGrid::headSelected, &heatmap,
                     &prism::viz::AttentionHeatmap::showHead);
    std::vector<std::pair<int, int>> selected;
    QObject::connect(&grid, &HeadGrid::headSelected,
                     [&](int layer, int head) { selected.emplace_back(layer, head); });

    QTest::mouseClick(grid.plot(), Qt::LeftButton, {}, grid.cellCenter(1, 0));
    ASSERT_EQ(selected, (std::vector<std::pair<int, int>>{{1, 0}}));
    ASSERT_TRUE(heatmap.waitForPrepared());
    EXPECT_EQ(heatmap.layerIndex(), 1);
    EXPECT_EQ(heatmap.headIndex(), 0);
    EXPECT_FLOAT_EQ(heatmap.displayedMatrix().at(5, 2), set->at(1, 0).at(5, 2));

    QTest::mouseClick(grid.plot(), Qt::LeftButton, {}, grid.cellCenter(0, 1));
    EXPECT_EQ(selected.back(), std::make_pair(0, 1));
}

TEST(HeadGrid, SingleHeadIsOneClickableCell) {
    prism::test::qt_app();
    auto set = std::make_shared<const attention_set>(prism::test::long_attention_set(5));
    HeadGrid grid;
    grid.resize(300, 300);
    grid.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&grid));
    grid.setAttention(set);
    ASSERT_TRUE(grid.waitForStats());
    grid.plot()->replot();
    int selected = 0;
    QObject::connect(&grid, &HeadGrid::headSelected, [&](int layer, int head) {
        EXPECT_EQ(layer, 0);
        EXPECT_EQ(head, 0);
        ++selected;
    });
    QTest::mouseClick(grid.plot(), Qt::LeftButton, {}, grid.cellCenter(0, 0));
    EXPECT_EQ(selected, 1);
    EXPECT_TRUE(grid.toolTipFor(0, 0).startsWith("L0 H0"));
}
