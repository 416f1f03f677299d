// Attention analyses (viz/include/prism/viz/analysis.h) on small matrices whose expected
// values are worked out by hand in the comments; the inputs use binary fractions so the
// float arithmetic is exact and tolerances only cover the final division. Rollout is also
// compared with a plain double-precision triple loop (its slow twin) on random causal and
// dense matrices, to a max abs error of 1e-5 (float accumulation of <= 40 terms of size <= 1).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "prism/viz/analysis.h"

using namespace prism::viz;

namespace {

constexpr double tol = 1e-6;

attn_matrix make(std::initializer_list<std::initializer_list<float>> rows) {
    attn_matrix a(static_cast<int64_t>(rows.size()));
    int64_t q = 0;
    for (const auto& row : rows) {
        EXPECT_EQ(static_cast<int64_t>(row.size()), a.n);
        int64_t k = 0;
        for (float x : row) a.at(q, k++) = x;
        ++q;
    }
    return a;
}

void expect_matrix_near(const attn_matrix& got, const attn_matrix& want, double eps = tol) {
    ASSERT_EQ(got.n, want.n);
    ASSERT_EQ(got.p.size(), want.p.size());
    for (int64_t q = 0; q < want.n; ++q)
        for (int64_t k = 0; k < want.n; ++k)
            EXPECT_NEAR(got.at(q, k), want.at(q, k), eps) << "at (" << q << ", " << k << ")";
}

void expect_rows_sum_to_one(const attn_matrix& a, double eps = 1e-5) {
    for (int64_t q = 0; q < a.n; ++q) {
        double sum = 0;
        for (int64_t k = 0; k < a.n; ++k) sum += a.at(q, k);
        EXPECT_NEAR(sum, 1.0, eps) << "row " << q;
    }
}

// The 3×3 causal example used throughout:
//   row 0: [1    0    0   ]
//   row 1: [0.5  0.5  0   ]
//   row 2: [0.5  0.25 0.25]
attn_matrix m3() {
    return make({{1, 0, 0}, {0.5f, 0.5f, 0}, {0.5f, 0.25f, 0.25f}});
}

// 5×5 causal example for tokens [5, 7, 9, 5, 7]:
attn_matrix m5() {
    return make({{1, 0, 0, 0, 0},
                 {0.5f, 0.5f, 0, 0, 0},
                 {0.25f, 0.25f, 0.5f, 0, 0},
                 {0.125f, 0.5f, 0.125f, 0.25f, 0},
                 {0.25f, 0.125f, 0.25f, 0.25f, 0.125f}});
}

attn_matrix uniform_causal(int64_t n) {
    attn_matrix a(n);
    for (int64_t q = 0; q < n; ++q)
        for (int64_t k = 0; k <= q; ++k) a.at(q, k) = 1.0f / static_cast<float>(q + 1);
    return a;
}

attn_matrix random_matrix(int64_t n, uint32_t seed, bool causal) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(0.0f, 1.0f);
    attn_matrix a(n);
    for (int64_t q = 0; q < n; ++q) {
        const int64_t k_end = causal ? q + 1 : n;
        float sum = 0;
        for (int64_t k = 0; k < k_end; ++k) sum += a.at(q, k) = d(rng);
        for (int64_t k = 0; k < k_end; ++k) a.at(q, k) /= sum;
    }
    return a;
}

// Slow twin of attention_rollout: dense Â in double, then R = Â_l · R with a triple loop.
std::vector<double> reference_rollout(const std::vector<attn_matrix>& layers) {
    const auto n = static_cast<size_t>(layers[0].n);
    std::vector<double> r;
    for (const auto& a : layers) {
        std::vector<double> hat(n * n);
        for (size_t q = 0; q < n; ++q) {
            double sum = 0;
            for (size_t k = 0; k < n; ++k)
                sum += hat[q * n + k] = 0.5 * a.p[q * n + k] + (q == k ? 0.5 : 0.0);
            for (size_t k = 0; k < n; ++k) hat[q * n + k] /= sum;
        }
        if (r.empty()) {
            r = hat;
            continue;
        }
        std::vector<double> next(n * n, 0.0);
        for (size_t q = 0; q < n; ++q)
            for (size_t k = 0; k < n; ++k)
                for (size_t m = 0; m < n; ++m) next[q * n + k] += hat[q * n + m] * r[m * n + k];
        r = next;
    }
    return r;
}

// Two layers × two heads over tokens [5, 7, 9]; head means are the rollout example's A1, A2.
attention_set two_layer_set() {
    attention_set s;
    s.tokens = {5, 7, 9};
    s.n_layer_total = 2;
    s.n_head_total = 2;
    s.layers = {0, 1};
    s.heads = {0, 1};
    s.mats = {make({{1, 0, 0}, {1, 0, 0}, {0.5f, 0.5f, 0}}),  // layer 0 head 0
              make({{1, 0, 0}, {0, 1, 0}, {0.5f, 0, 0.5f}}),  // layer 0 head 1
              make({{1, 0, 0}, {0.5f, 0.5f, 0}, {0, 1, 0}}),  // layer 1 head 0
              make({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})};       // layer 1 head 1
    return s;
}

}  // namespace

// ---- entropy ----

TEST(Entropy, UniformRowIsLnN) {
    // A non-causal n×n matrix with every row uniform over n keys: each row has entropy
    // -n·(1/n)·ln(1/n) = ln n, so the mean is ln n.
    for (int64_t n : {1, 2, 3, 7, 64}) {
        attn_matrix a(n);
        for (auto& x : a.p) x = 1.0f / static_cast<float>(n);
        EXPECT_NEAR(mean_row_entropy(a), std::log(static_cast<double>(n)), 1e-6) << "n = " << n;
    }
}

TEST(Entropy, OneHotRowsAreZero) {
    // Identity and "all on the sink": every row one-hot, -1·ln 1 = 0.
    EXPECT_NEAR(mean_row_entropy(make({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})), 0.0, tol);
    EXPECT_NEAR(mean_row_entropy(make({{1, 0, 0}, {1, 0, 0}, {1, 0, 0}})), 0.0, tol);
}

TEST(Entropy, ThreeByThreeByHand) {
    // row 0: [1]               -> 0
    // row 1: [0.5 0.5]         -> -2·0.5·ln 0.5            = ln 2
    // row 2: [0.5 0.25 0.25]   -> 0.5·ln 2 + 2·0.25·ln 4   = 0.5 ln 2 + ln 2 = 1.5 ln 2
    // mean = (0 + ln 2 + 1.5 ln 2) / 3 = 2.5 ln 2 / 3 = 0.5776226504666211
    EXPECT_NEAR(mean_row_entropy(m3()), 0.5776226504666211, tol);
}

TEST(Entropy, CausalUniformRows) {
    // Row q of the uniform causal matrix is uniform over q+1 keys: (ln 1 + ln 2 + ln 3) / 3
    // = ln 6 / 3 = 0.5972531564093516.
    EXPECT_NEAR(mean_row_entropy(uniform_causal(3)), 0.5972531564093516, tol);
}

// ---- sink, previous token, local ----

TEST(HeadScores, SinkMass) {
    // m3 column 0: 1, 0.5, 0.5 -> mean 2/3.
    EXPECT_NEAR(sink_mass(m3()), 2.0 / 3.0, tol);
    // Identity: only row 0 puts mass on key 0 -> 1/3.
    EXPECT_NEAR(sink_mass(make({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})), 1.0 / 3.0, tol);
}

TEST(HeadScores, PreviousToken) {
    // m3: p[1][0] = 0.5, p[2][1] = 0.25 -> (0.5 + 0.25) / 2 = 0.375.
    EXPECT_NEAR(previous_token_score(m3()), 0.375, tol);
    // A pure previous-token head (row 0 can only see itself) scores 1.
    EXPECT_NEAR(previous_token_score(make({{1, 0, 0}, {1, 0, 0}, {0, 1, 0}})), 1.0, tol);
}

TEST(HeadScores, LocalWindow) {
    // window 1 = the diagonal: (1 + 0.5 + 0.25) / 3 = 0.5833333
    EXPECT_NEAR(local_score(m3(), 1), 1.75 / 3.0, tol);
    // window 2: row 0: 1; row 1: 0.5 + 0.5 = 1; row 2: 0.25 + 0.25 = 0.5 -> 2.5 / 3
    EXPECT_NEAR(local_score(m3(), 2), 2.5 / 3.0, tol);
    // window >= n covers every causal row completely -> 1 (the default window is 4).
    EXPECT_NEAR(local_score(m3()), 1.0, tol);
    EXPECT_NEAR(local_score(m3(), 100), 1.0, tol);
    // m5 with window 2: rows 0..4 -> 1, 1, 0.25 + 0.5, 0.125 + 0.25, 0.25 + 0.125
    //   = (1 + 1 + 0.75 + 0.375 + 0.375) / 5 = 3.5 / 5 = 0.7
    EXPECT_NEAR(local_score(m5(), 2), 0.7, tol);
    EXPECT_THROW(local_score(m3(), 0), std::invalid_argument);
}

// ---- induction ----

TEST(Induction, RepeatedSequenceByHand) {
    // tokens [5, 7, 9, 5, 7]:
    //   row 3 (token 5): earlier 5 at 0, the token after it is at 1 -> p[3][1] = 0.5
    //   row 4 (token 7): earlier 7 at 1, the token after it is at 2 -> p[4][2] = 0.25
    //   rows 0..2 have no earlier copy. Mean over the 2 qualifying rows = 0.375.
    const std::vector<int32_t> tokens{5, 7, 9, 5, 7};
    EXPECT_NEAR(induction_score(m5(), tokens), 0.375, tol);
}

TEST(Induction, SeveralEarlierCopiesAreSummed) {
    // tokens [1, 2, 1, 3, 1]:
    //   row 2 (token 1): copy at 0 -> p[2][1] = 0.25
    //   row 4 (token 1): copies at 0 and 2 -> p[4][1] + p[4][3] = 0.125 + 0.25 = 0.375
    //   mean = (0.25 + 0.375) / 2 = 0.3125
    const std::vector<int32_t> tokens{1, 2, 1, 3, 1};
    EXPECT_NEAR(induction_score(m5(), tokens), 0.3125, tol);
}

TEST(Induction, EdgeCases) {
    // No repeated token: no row qualifies -> 0.
    const std::vector<int32_t> distinct{1, 2, 3, 4, 5};
    EXPECT_EQ(induction_score(m5(), distinct), 0.0);
    // n = 1: nothing earlier -> 0.
    const std::vector<int32_t> one{42};
    EXPECT_EQ(induction_score(make({{1}}), one), 0.0);
    // n = 0.
    EXPECT_EQ(induction_score(attn_matrix(0), std::span<const int32_t>{}), 0.0);
    // tokens [4, 4]: the copy at 0 is followed by position 1, the query itself (j + 1 = q),
    // so row 1 does not qualify -> 0.
    const std::vector<int32_t> pair{4, 4};
    EXPECT_EQ(induction_score(make({{1, 0}, {0.5f, 0.5f}}), pair), 0.0);
    // tokens [1, 1, 1] on m3: row 1 does not qualify (as above); row 2 has copies at 0
    // (next = 1 < 2, counts: p[2][1] = 0.25) and 1 (next = 2 = q, skipped) -> 0.25.
    const std::vector<int32_t> triple{1, 1, 1};
    EXPECT_NEAR(induction_score(m3(), triple), 0.25, tol);
    // Size mismatch.
    const std::vector<int32_t> short_tokens{1, 2};
    EXPECT_THROW(induction_score(m3(), short_tokens), std::invalid_argument);
}

TEST(HeadScores, SingleToken) {
    // n = 1: the only row is [1]: entropy 0, sink 1, no previous token, local 1.
    const auto a = make({{1}});
    EXPECT_EQ(mean_row_entropy(a), 0.0);
    EXPECT_EQ(sink_mass(a), 1.0);
    EXPECT_EQ(previous_token_score(a), 0.0);
    EXPECT_EQ(local_score(a), 1.0);
}

TEST(HeadScores, EmptyMatrixIsZero) {
    const attn_matrix a(0);
    EXPECT_EQ(mean_row_entropy(a), 0.0);
    EXPECT_EQ(sink_mass(a), 0.0);
    EXPECT_EQ(previous_token_score(a), 0.0);
    EXPECT_EQ(local_score(a), 0.0);
}

TEST(HeadScores, MalformedMatrixThrows) {
    attn_matrix bad(3);
    bad.p.pop_back();  // 8 values for n = 3
    EXPECT_THROW(mean_row_entropy(bad), std::invalid_argument);
    EXPECT_THROW(sink_mass(bad), std::invalid_argument);
    EXPECT_THROW(previous_token_score(bad), std::invalid_argument);
    EXPECT_THROW(local_score(bad), std::invalid_argument);
    EXPECT_THROW(without_sink(bad), std::invalid_argument);
    EXPECT_THROW(downsample(bad, 2, pooling::mean), std::invalid_argument);
    try {
        sink_mass(bad);
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "sink_mass: matrix of n = 3 holds 8 values, expected 9");
    }
}

TEST(HeadStats, ComputeHeadStatsOnM3) {
    // tokens [1, 2, 1]: row 2 (token 1) has a copy at 0 followed by 1 -> p[2][1] = 0.25.
    const std::vector<int32_t> tokens{1, 2, 1};
    const auto st = compute_head_stats(m3(), tokens);
    EXPECT_NEAR(st.entropy, 0.5776226504666211, tol);  // 2.5 ln 2 / 3, see above
    EXPECT_NEAR(st.sink, 2.0 / 3.0, tol);
    EXPECT_NEAR(st.prev_token, 0.375, tol);
    EXPECT_NEAR(st.local, 1.0, tol);  // window 4 >= n
    EXPECT_NEAR(st.induction, 0.25, tol);
}

TEST(HeadStats, ComputeAllOverASet) {
    // 2 layers × 1 head over tokens [1, 2, 1]: layer 0 = m3, layer 1 = identity.
    // Identity: entropy 0, sink 1/3 (row 0 only), prev 0, local 1, induction p[2][1] = 0
    // (row 2 qualifies but puts no mass there).
    attention_set s;
    s.tokens = {1, 2, 1};
    s.layers = {0, 1};
    s.heads = {0};
    s.mats = {m3(), make({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})};
    const auto all = compute_all_head_stats(s);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_NEAR(all[0].entropy, 0.5776226504666211, tol);
    EXPECT_NEAR(all[0].sink, 2.0 / 3.0, tol);
    EXPECT_NEAR(all[0].prev_token, 0.375, tol);
    EXPECT_NEAR(all[0].local, 1.0, tol);
    EXPECT_NEAR(all[0].induction, 0.25, tol);
    EXPECT_NEAR(all[1].entropy, 0.0, tol);
    EXPECT_NEAR(all[1].sink, 1.0 / 3.0, tol);
    EXPECT_NEAR(all[1].prev_token, 0.0, tol);
    EXPECT_NEAR(all[1].local, 1.0, tol);
    EXPECT_NEAR(all[1].induction, 0.0, tol);

    attention_set missing = s;  // 2 layers × 1 head but only one matrix
    missing.mats.pop_back();
    EXPECT_THROW(compute_all_head_stats(missing), std::invalid_argument);
    attention_set wrong_n = s;  // a 2×2 matrix in a 3-token set
    wrong_n.mats[1] = make({{1, 0}, {0, 1}});
    EXPECT_THROW(compute_all_head_stats(wrong_n), std::invalid_argument);
}

// ---- aggregation ----

TEST(Aggregate, MeanAndMaxOverTwoHeads) {
    // H1 = [[1 0] [0.25 0.75]], H2 = [[1 0] [0.75 0.25]]
    // mean = [[1 0] [0.5 0.5]], max = [[1 0] [0.75 0.75]]
    const auto h1 = make({{1, 0}, {0.25f, 0.75f}});
    const auto h2 = make({{1, 0}, {0.75f, 0.25f}});
    const std::vector<const attn_matrix*> heads{&h1, &h2};
    expect_matrix_near(aggregate_heads(heads, head_aggregate::mean), make({{1, 0}, {0.5f, 0.5f}}));
    expect_matrix_near(aggregate_heads(heads, head_aggregate::max), make({{1, 0}, {0.75f, 0.75f}}));
    // One matrix: its own mean and max.
    const std::vector<const attn_matrix*> single{&h1};
    expect_matrix_near(aggregate_heads(single, head_aggregate::mean), h1);
}

TEST(Aggregate, RejectsBadInput) {
    const auto h1 = make({{1, 0}, {0.25f, 0.75f}});
    const auto h3 = m3();
    const std::vector<const attn_matrix*> none;
    const std::vector<const attn_matrix*> mixed{&h1, &h3};
    const std::vector<const attn_matrix*> null_head{&h1, nullptr};
    EXPECT_THROW(aggregate_heads(none, head_aggregate::mean), std::invalid_argument);
    EXPECT_THROW(aggregate_heads(mixed, head_aggregate::max), std::invalid_argument);
    EXPECT_THROW(aggregate_heads(null_head, head_aggregate::mean), std::invalid_argument);
}

TEST(Aggregate, LayerOfASet) {
    // Layer 1 of two_layer_set: heads [[1 0 0] [.5 .5 0] [0 1 0]] and the identity:
    //   mean = [[1 0 0] [0.25 0.75 0] [0 0.5 0.5]], max = [[1 0 0] [0.5 1 0] [0 1 1]]
    const auto s = two_layer_set();
    expect_matrix_near(aggregate_layer(s, 1, head_aggregate::mean),
                       make({{1, 0, 0}, {0.25f, 0.75f, 0}, {0, 0.5f, 0.5f}}));
    expect_matrix_near(aggregate_layer(s, 1, head_aggregate::max),
                       make({{1, 0, 0}, {0.5f, 1, 0}, {0, 1, 1}}));
    EXPECT_THROW(aggregate_layer(s, 2, head_aggregate::mean), std::out_of_range);
}

// ---- rollout ----
//
// A1 = [[1 0 0] [0.5 0.5 0] [0.5 0.25 0.25]]      A2 = [[1 0 0] [0.25 0.75 0] [0 0.5 0.5]]
// Â = 0.5·A + 0.5·I (rows already sum to 1, renormalizing divides by 1):
//   Â1 = [[1 0 0] [0.25 0.75 0] [0.25 0.125 0.625]]
//   Â2 = [[1 0 0] [0.125 0.875 0] [0 0.25 0.75]]
// R = Â2 · Â1:
//   row 0 = [1 0 0]
//   row 1 = 0.125·[1 0 0] + 0.875·[0.25 0.75 0]          = [0.34375 0.65625 0]
//   row 2 = 0.25·[0.25 0.75 0] + 0.75·[0.25 0.125 0.625]  = [0.25 0.28125 0.46875]
// (the other order, Â1 · Â2, would give row 2 = [0.265625 0.265625 0.46875]).

TEST(Rollout, TwoLayersByHand) {
    const std::vector<attn_matrix> layers{m3(),
                                          make({{1, 0, 0}, {0.25f, 0.75f, 0}, {0, 0.5f, 0.5f}})};
    const auto r = attention_rollout(layers);
    expect_matrix_near(r, make({{1, 0, 0}, {0.34375f, 0.65625f, 0}, {0.25f, 0.28125f, 0.46875f}}));
    expect_rows_sum_to_one(r);
}

TEST(Rollout, SingleLayerIsAHat) {
    const std::vector<attn_matrix> layers{m3()};
    expect_matrix_near(attention_rollout(layers),
                       make({{1, 0, 0}, {0.25f, 0.75f, 0}, {0.25f, 0.125f, 0.625f}}));
}

TEST(Rollout, RenormalizesRows) {
    // A = [[0.5 0] [1 1]] (rows sum to 0.5 and 2):
    //   row 0: 0.5·0.5 + 0.5 = 0.75            -> / 0.75 -> [1 0]
    //   row 1: [0.5, 0.5 + 0.5] = [0.5 1], sum 1.5 -> [1/3 2/3]
    const std::vector<attn_matrix> layers{make({{0.5f, 0}, {1, 1}})};
    const auto r = attention_rollout(layers);
    expect_matrix_near(r, make({{1, 0}, {1.0f / 3.0f, 2.0f / 3.0f}}));
    expect_rows_sum_to_one(r);
}

TEST(Rollout, AttentionSetOverload) {
    // two_layer_set's head means are exactly A1 and A2 above, so R is the hand result.
    const auto r = attention_rollout(two_layer_set());
    expect_matrix_near(r, make({{1, 0, 0}, {0.34375f, 0.65625f, 0}, {0.25f, 0.28125f, 0.46875f}}));
    expect_rows_sum_to_one(r);
}

TEST(Rollout, AttentionSetNeedsLayersFromZero) {
    auto from_one = two_layer_set();
    from_one.layers = {1, 2};
    EXPECT_THROW(attention_rollout(from_one), std::invalid_argument);
    auto gap = two_layer_set();
    gap.layers = {0, 2};
    EXPECT_THROW(attention_rollout(gap), std::invalid_argument);
    attention_set empty;
    EXPECT_THROW(attention_rollout(empty), std::invalid_argument);
    auto malformed = two_layer_set();
    malformed.mats.pop_back();
    EXPECT_THROW(attention_rollout(malformed), std::invalid_argument);
}

TEST(Rollout, RejectsBadLayers) {
    EXPECT_THROW(attention_rollout(std::span<const attn_matrix>{}), std::invalid_argument);
    const std::vector<attn_matrix> mixed{m3(), make({{1, 0}, {0.5f, 0.5f}})};
    EXPECT_THROW(attention_rollout(mixed), std::invalid_argument);
}

TEST(Rollout, MatchesReferenceOnRandomCausal) {
    // n = 37 crosses the 32-row tile boundary; 4 layers.
    std::vector<attn_matrix> layers;
    for (uint32_t l = 0; l < 4; ++l) layers.push_back(random_matrix(37, 100 + l, true));
    const auto r = attention_rollout(layers);
    const auto want = reference_rollout(layers);
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(r.p[i] - want[i]));
    EXPECT_LT(worst, 1e-5);
    expect_rows_sum_to_one(r);
    for (int64_t q = 0; q < r.n; ++q)
        for (int64_t k = q + 1; k < r.n; ++k) ASSERT_EQ(r.at(q, k), 0.0f);
}

TEST(Rollout, MatchesReferenceOnRandomDense) {
    // Non-causal (encoder-style) matrices take the dense path.
    std::vector<attn_matrix> layers;
    for (uint32_t l = 0; l < 3; ++l) layers.push_back(random_matrix(40, 200 + l, false));
    const auto r = attention_rollout(layers);
    const auto want = reference_rollout(layers);
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(r.p[i] - want[i]));
    EXPECT_LT(worst, 1e-5);
    expect_rows_sum_to_one(r);
}

// ---- rows, downsampling, sink removal ----

TEST(Views, AttentionRow) {
    EXPECT_EQ(attention_row(m3(), 0), (std::vector<float>{1}));
    EXPECT_EQ(attention_row(m3(), 2), (std::vector<float>{0.5f, 0.25f, 0.25f}));
    EXPECT_THROW(attention_row(m3(), 3), std::out_of_range);
    EXPECT_THROW(attention_row(m3(), -1), std::out_of_range);
}

TEST(Downsample, MeanAndMaxWithRaggedBlocks) {
    // m5, max_n = 2 -> block = ceil(5/2) = 3, output 2×2; blocks rows/cols [0,3) and [3,5).
    //   [0,3)×[0,3): 1 0 0 / .5 .5 0 / .25 .25 .5   sum 3,      9 cells -> mean 1/3,  max 1
    //   [0,3)×[3,5): all zero                                            -> mean 0,    max 0
    //   [3,5)×[0,3): .125 .5 .125 / .25 .125 .25    sum 1.375,  6 cells -> mean 0.2291667, max .5
    //   [3,5)×[3,5): .25 0 / .25 .125               sum 0.625,  4 cells -> mean 0.15625, max .25
    expect_matrix_near(downsample(m5(), 2, pooling::mean),
                       make({{1.0f / 3.0f, 0}, {1.375f / 6.0f, 0.15625f}}));
    expect_matrix_near(downsample(m5(), 2, pooling::max), make({{1, 0}, {0.5f, 0.25f}}));
    // max_n = 3 -> block = 2, output ceil(5/2) = 3 (last block one row/column wide):
    //   cell (2,2) = p[4][4] = 0.125 alone; cell (2,0) = mean(.25, .125) = 0.1875;
    //   cell (0,0) = mean(1, 0, .5, .5) = 0.5; cell (1,1) = mean(.5, 0, .125, .25) = 0.21875
    const auto d3 = downsample(m5(), 3, pooling::mean);
    ASSERT_EQ(d3.n, 3);
    EXPECT_NEAR(d3.at(2, 2), 0.125, tol);
    EXPECT_NEAR(d3.at(2, 0), 0.1875, tol);
    EXPECT_NEAR(d3.at(0, 0), 0.5, tol);
    EXPECT_NEAR(d3.at(1, 1), 0.21875, tol);
    EXPECT_NEAR(d3.at(0, 2), 0.0, tol);
}

TEST(Downsample, SmallMatrixIsCopied) {
    expect_matrix_near(downsample(m5(), 5, pooling::mean), m5(), 0.0);
    expect_matrix_near(downsample(m5(), 100, pooling::max), m5(), 0.0);
    EXPECT_THROW(downsample(m5(), 0, pooling::mean), std::invalid_argument);
}

TEST(WithoutSink, RenormalizesAndZeroesRowZero) {
    // m3 without column 0:
    //   row 0: [1 0 0]          -> nothing left: [0 0 0]
    //   row 1: [. 0.5 0]        -> [0 1 0]
    //   row 2: [. 0.25 0.25]    -> [0 0.5 0.5]
    expect_matrix_near(without_sink(m3()), make({{0, 0, 0}, {0, 1, 0}, {0, 0.5f, 0.5f}}));
    // m5 row 3: [. .5 .125 .25 0] / 0.875 -> [0 4/7 1/7 2/7 0]
    const auto w = without_sink(m5());
    EXPECT_NEAR(w.at(3, 1), 4.0 / 7.0, tol);
    EXPECT_NEAR(w.at(3, 2), 1.0 / 7.0, tol);
    EXPECT_NEAR(w.at(3, 3), 2.0 / 7.0, tol);
    EXPECT_EQ(w.at(3, 0), 0.0f);
}
