// TokenStrip (offscreen): each token's intensity is the query row of the shown matrix
// (head, aggregate or rollout), the query follows setQuery and clicks, and a view that
// cannot be computed says why.
#include <gtest/gtest.h>

#include <QTest>

#include "attention_fixture.h"
#include "prism/viz/analysis.h"
#include "prism/viz/widgets/token_strip.h"
#include "qt_app.h"

using prism::viz::attention_set;
using prism::viz::TokenStrip;

namespace {

std::shared_ptr<const attention_set> tinySet() {
    return std::make_shared<const attention_set>(prism::test::tiny_attention_set());
}

}  // namespace

TEST(TokenStrip, IntensityIsTheQueryRow) {
    prism::test::qt_app();
    auto set = tinySet();
    TokenStrip strip;
    strip.setAttention(set);
    ASSERT_TRUE(strip.waitForPrepared());
    EXPECT_EQ(strip.query(), 5);  // starts at the last token
    for (int k = 0; k < 6; ++k) EXPECT_FLOAT_EQ(strip.intensity(k), set->at(0, 0).at(5, k));

    strip.setQuery(3);
    const auto row = prism::viz::attention_row(set->at(0, 0), 3);
    for (int k = 0; k <= 3; ++k) EXPECT_FLOAT_EQ(strip.intensity(k), row[static_cast<size_t>(k)]);
    EXPECT_FLOAT_EQ(strip.intensity(1), 0.125f);
    EXPECT_EQ(strip.intensity(4), 0.0);  // after the query

    strip.showHead(1, 1);
    ASSERT_TRUE(strip.waitForPrepared());
    for (int k = 0; k <= 3; ++k) EXPECT_FLOAT_EQ(strip.intensity(k), set->at(1, 1).at(3, k));
}

TEST(TokenStrip, AggregateAndRolloutRows) {
    prism::test::qt_app();
    auto set = tinySet();
    TokenStrip strip;
    strip.setAttention(set);
    strip.setLayerIndex(1);
    strip.setMode(TokenStrip::Mode::MeanOverHeads);
    ASSERT_TRUE(strip.waitForPrepared());
    const auto mean = prism::viz::aggregate_layer(*set, 1, prism::viz::head_aggregate::mean);
    for (int k = 0; k < 6; ++k) EXPECT_FLOAT_EQ(strip.intensity(k), mean.at(5, k));

    strip.setMode(TokenStrip::Mode::Rollout);
    ASSERT_TRUE(strip.waitForPrepared());
    const auto rollout = prism::viz::attention_rollout(*set);
    for (int k = 0; k < 6; ++k) EXPECT_FLOAT_EQ(strip.intensity(k), rollout.at(5, k));
    EXPECT_TRUE(strip.errorText().isEmpty());
}

TEST(TokenStrip, RolloutWithoutEveryLayerSaysWhy) {
    prism::test::qt_app();
    auto partial = prism::test::tiny_attention_set();
    partial.layers = {1};
    partial.mats.resize(2);
    TokenStrip strip;
    strip.setAttention(std::make_shared<const attention_set>(partial));
    strip.setMode(TokenStrip::Mode::Rollout);
    ASSERT_TRUE(strip.waitForPrepared());
    EXPECT_FALSE(strip.errorText().isEmpty());
    EXPECT_EQ(strip.intensity(0), 0.0);
}

TEST(TokenStrip, ClickingATokenMakesItTheQuery) {
    prism::test::qt_app();
    TokenStrip strip;
    strip.resize(400, 200);
    strip.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&strip));
    strip.setAttention(tinySet());
    ASSERT_TRUE(strip.waitForPrepared());
    std::vector<int> selected;
    QObject::connect(&strip, &TokenStrip::querySelected, [&](int q) { selected.push_back(q); });
    const QRect chip = strip.tokenRect(2);
    ASSERT_FALSE(chip.isEmpty());
    EXPECT_EQ(strip.tokenAt(chip.center()), 2);
    QTest::mouseClick(&strip, Qt::LeftButton, {}, chip.center());
    EXPECT_EQ(selected, std::vector<int>{2});
    EXPECT_EQ(strip.query(), 2);
    strip.setQuery(4);
    EXPECT_EQ(selected, (std::vector<int>{2, 4}));
}

TEST(TokenStrip, WrapsIntoLinesAndBreaksAfterNewlines) {
    prism::test::qt_app();
    TokenStrip strip;
    strip.resize(2000, 200);
    strip.setAttention(tinySet());
    // The "\n" token (4) ends its line: "on" starts the next one.
    EXPECT_EQ(strip.tokenRect(3).top(), strip.tokenRect(4).top());
    EXPECT_GT(strip.tokenRect(5).top(), strip.tokenRect(4).top());
    // Narrow: more lines, chips never overlap and stay inside the width.
    EXPECT_GT(strip.heightForWidth(60), strip.heightForWidth(2000));
    strip.resize(90, 400);
    for (int a = 0; a < 6; ++a) {
        for (int b = a + 1; b < 6; ++b)
            EXPECT_FALSE(strip.tokenRect(a).intersects(strip.tokenRect(b))) << a << " " << b;
    }
}
