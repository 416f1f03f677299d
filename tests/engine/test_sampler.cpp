// Tests for the sampler chain (prism/sampler.h): each step on small logit vectors whose
// expected results were worked out by hand (the arithmetic is written next to each
// expectation), the chain's greedy path against a plain argmax, seeded reproducibility, the
// empirical distribution of 20000 draws against the softmax, and parameter validation.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "prism/sampler.h"

namespace {

using prism::sampler;
using prism::sampler_params;
using prism::token_candidate;

constexpr float k_inf = std::numeric_limits<float>::infinity();

std::vector<int32_t> ids_of(const std::vector<token_candidate>& c) {
    std::vector<int32_t> ids;
    for (const auto& t : c) ids.push_back(t.id);
    return ids;
}

/// Candidates from logits ln(p_i): their softmax is exactly p when the p_i sum to 1.
std::vector<token_candidate> from_probs(std::vector<float> probs) {
    std::vector<float> logits;
    for (float q : probs) logits.push_back(std::log(q));
    return prism::sampler_candidates(logits);
}

/// A chain with every truncation off, so only temperature and the draw remain.
sampler_params plain(float temp, uint64_t seed) {
    return {.temp = temp,
            .top_k = 0,
            .top_p = 1.0f,
            .min_p = 0.0f,
            .repeat_penalty = 1.0f,
            .repeat_last_n = 0,
            .seed = seed};
}

// ---- candidates and softmax ----------------------------------------------------------------

TEST(sampler_candidates, id_order_and_errors) {
    const std::vector<float> logits{0.5f, -1.0f, 2.0f};
    const auto c = prism::sampler_candidates(logits);
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(c[1].logit, -1.0f);

    EXPECT_THROW(prism::sampler_candidates(std::span<const float>{}), std::invalid_argument);
    const std::vector<float> with_nan{0.0f, std::nanf(""), 1.0f};
    EXPECT_THROW(prism::sampler_candidates(with_nan), std::invalid_argument);
}

TEST(sampler_softmax, sorts_and_normalizes) {
    // logits 1, 2, 3: exp(-2) = 0.1353353, exp(-1) = 0.3678794, exp(0) = 1; sum 1.5032147.
    // p = 0.6652410 (id 2), 0.2447285 (id 1), 0.0900306 (id 0).
    const std::vector<float> logits{1.0f, 2.0f, 3.0f};
    auto c = prism::sampler_candidates(logits);
    prism::sampler_softmax(c);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{2, 1, 0}));
    EXPECT_NEAR(c[0].p, 0.6652410f, 1e-6f);
    EXPECT_NEAR(c[1].p, 0.2447285f, 1e-6f);
    EXPECT_NEAR(c[2].p, 0.0900306f, 1e-6f);
}

TEST(sampler_softmax, masked_logits_get_zero) {
    // 0, -inf, 0: the two finite ones share the mass; ties keep id order.
    const std::vector<float> logits{0.0f, -k_inf, 0.0f};
    auto c = prism::sampler_candidates(logits);
    prism::sampler_softmax(c);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{0, 2, 1}));
    EXPECT_FLOAT_EQ(c[0].p, 0.5f);
    EXPECT_FLOAT_EQ(c[1].p, 0.5f);
    EXPECT_EQ(c[2].p, 0.0f);

    const std::vector<float> all_masked{-k_inf, -k_inf};
    auto m = prism::sampler_candidates(all_masked);
    EXPECT_THROW(prism::sampler_softmax(m), std::invalid_argument);
}

// ---- repetition penalty ----------------------------------------------------------------------

TEST(sampler_repetition_penalty, positive_divided_negative_multiplied_each_id_once) {
    // penalty 2 on ids {0, 1} (each listed twice): 2 / 2 = 1, -1 * 2 = -2; others unchanged.
    const std::vector<float> logits{2.0f, -1.0f, 0.5f, 3.0f, -2.0f};
    auto c = prism::sampler_candidates(logits);
    const std::vector<int32_t> history{0, 1, 0, 1};
    prism::sampler_repetition_penalty(c, history, 2.0f);
    EXPECT_FLOAT_EQ(c[0].logit, 1.0f);   // not 0.5: penalized once, not twice
    EXPECT_FLOAT_EQ(c[1].logit, -2.0f);  // not -4
    EXPECT_FLOAT_EQ(c[2].logit, 0.5f);
    EXPECT_FLOAT_EQ(c[3].logit, 3.0f);
    EXPECT_FLOAT_EQ(c[4].logit, -2.0f);
}

TEST(sampler_repetition_penalty, zero_masked_unknown_ids_and_penalty_below_one) {
    // 0 stays 0; -inf stays -inf; ids 7 and -1 are not candidates; penalty 0.5 raises
    // 3 -> 6 and lowers -4 -> -2.
    const std::vector<float> logits{0.0f, -k_inf, 3.0f, -4.0f};
    auto c = prism::sampler_candidates(logits);
    const std::vector<int32_t> history{0, 1, 2, 3, 7, -1};
    prism::sampler_repetition_penalty(c, history, 0.5f);
    EXPECT_EQ(c[0].logit, 0.0f);
    EXPECT_EQ(c[1].logit, -k_inf);
    EXPECT_FLOAT_EQ(c[2].logit, 6.0f);
    EXPECT_FLOAT_EQ(c[3].logit, -2.0f);

    EXPECT_THROW(prism::sampler_repetition_penalty(c, history, 0.0f), std::invalid_argument);
}

TEST(sampler_repetition_penalty, chain_looks_only_at_last_n) {
    // logits 3, 2.5, 0 with penalty 2; history {0, 2}. Greedy after the penalty:
    //   last 1 -> only id 2 penalized (0 stays 0): argmax id 0 (3.0);
    //   last 2 -> id 0 becomes 1.5 < 2.5: argmax id 1;
    //   -1 (whole history) -> same as last 2;  0 (off) -> id 0.
    const std::vector<float> logits{3.0f, 2.5f, 0.0f};
    const std::vector<int32_t> history{0, 2};
    auto greedy_with = [&](int32_t last_n) {
        sampler_params p = plain(0.0f, 1);
        p.repeat_penalty = 2.0f;
        p.repeat_last_n = last_n;
        sampler s(p);
        return s.sample(logits, history);
    };
    EXPECT_EQ(greedy_with(1), 0);
    EXPECT_EQ(greedy_with(2), 1);
    EXPECT_EQ(greedy_with(64), 1);
    EXPECT_EQ(greedy_with(-1), 1);
    EXPECT_EQ(greedy_with(0), 0);

    // A long history where id 0 appears only outside the window.
    const std::vector<int32_t> long_history{0, 0, 0, 2, 2, 2};
    sampler_params p = plain(0.0f, 1);
    p.repeat_penalty = 2.0f;
    p.repeat_last_n = 3;
    sampler s(p);
    EXPECT_EQ(s.sample(logits, long_history), 0);
    p.repeat_last_n = 4;
    sampler s4(p);
    EXPECT_EQ(s4.sample(logits, long_history), 1);
}

// ---- top-k -----------------------------------------------------------------------------------

TEST(sampler_top_k, keeps_the_k_largest) {
    const std::vector<float> logits{1.0f, 4.0f, 2.0f, 3.0f};
    auto c = prism::sampler_candidates(logits);
    prism::sampler_top_k(c, 2);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{1, 3}));

    for (int32_t k : {0, 4, 10}) {
        auto all = prism::sampler_candidates(logits);
        prism::sampler_top_k(all, k);
        EXPECT_EQ(all.size(), 4u) << "k = " << k;
    }
}

TEST(sampler_top_k, ties_at_the_cut_keep_lower_ids) {
    const std::vector<float> logits{1.0f, 2.0f, 2.0f, 0.0f};
    auto c = prism::sampler_candidates(logits);
    prism::sampler_top_k(c, 1);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{1}));
    auto c3 = prism::sampler_candidates(logits);
    prism::sampler_top_k(c3, 3);
    EXPECT_EQ(ids_of(c3), (std::vector<int32_t>{1, 2, 0}));
}

// ---- top-p -----------------------------------------------------------------------------------

TEST(sampler_top_p, smallest_prefix_reaching_p) {
    // Probabilities 0.2 (id 0), 0.5 (id 1), 0.3 (id 2). Sorted: 0.5, 0.3, 0.2; cumulative
    // 0.5, 0.8, 1.0.
    struct row {
        float p;
        std::vector<int32_t> kept;
    };
    const std::array<row, 7> rows{{
        {0.3f, {1}},         // 0.5 >= 0.3 already: at least one, and only one
        {0.49f, {1}},        //
        {0.5f, {1}},         // boundary: 0.5 reaches 0.5 exactly
        {0.51f, {1, 2}},     //
        {0.8f, {1, 2}},      // boundary: 0.5 + 0.3 reaches 0.8 exactly
        {0.81f, {1, 2, 0}},  //
        {1.0f, {0, 1, 2}},   // off: everything, order untouched
    }};
    for (const auto& r : rows) {
        auto c = from_probs({0.2f, 0.5f, 0.3f});
        prism::sampler_top_p(c, r.p);
        EXPECT_EQ(ids_of(c), r.kept) << "top_p = " << r.p;
    }
}

TEST(sampler_top_p, renormalizes_after_top_k_and_rejects_zero) {
    // Probabilities 0.1, 0.2, 0.3, 0.4; top_k 2 leaves 0.4 and 0.3, renormalized to
    // 4/7 = 0.5714 and 3/7 = 0.4286. top_p 0.55 then keeps only id 3 (0.5714 >= 0.55).
    auto c = from_probs({0.1f, 0.2f, 0.3f, 0.4f});
    prism::sampler_top_k(c, 2);
    prism::sampler_top_p(c, 0.55f);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{3}));

    auto z = from_probs({0.5f, 0.5f});
    EXPECT_THROW(prism::sampler_top_p(z, 0.0f), std::invalid_argument);
}

// ---- min-p -----------------------------------------------------------------------------------

TEST(sampler_min_p, keeps_tokens_above_the_scaled_top) {
    // Probabilities 0.5, 0.3, 0.15, 0.05 (ids 0..3); p_max = 0.5.
    struct row {
        float min_p;
        size_t kept;
    };
    const std::array<row, 6> rows{{
        {0.0f, 4},   // off
        {0.05f, 4},  // threshold 0.025: all
        {0.2f, 3},   // threshold 0.1: 0.5, 0.3, 0.15
        {0.5f, 2},   // threshold 0.25: 0.5, 0.3
        {0.6f, 2},   // threshold 0.3: 0.3 sits exactly on it and stays
        {1.0f, 1},   // only the top
    }};
    for (const auto& r : rows) {
        auto c = from_probs({0.5f, 0.3f, 0.15f, 0.05f});
        prism::sampler_min_p(c, r.min_p);
        EXPECT_EQ(c.size(), r.kept) << "min_p = " << r.min_p;
        EXPECT_EQ(c.front().id, 0);
    }
}

// ---- temperature and greedy ------------------------------------------------------------------

TEST(sampler_temperature, divides_logits) {
    const std::vector<float> logits{2.0f, -1.0f, 0.5f, -k_inf};
    auto half = prism::sampler_candidates(logits);
    prism::sampler_temperature(half, 0.5f);
    EXPECT_FLOAT_EQ(half[0].logit, 4.0f);
    EXPECT_FLOAT_EQ(half[1].logit, -2.0f);
    EXPECT_FLOAT_EQ(half[2].logit, 1.0f);
    EXPECT_EQ(half[3].logit, -k_inf);

    auto twice = prism::sampler_candidates(logits);
    prism::sampler_temperature(twice, 2.0f);
    EXPECT_FLOAT_EQ(twice[0].logit, 1.0f);
    EXPECT_FLOAT_EQ(twice[1].logit, -0.5f);
    EXPECT_FLOAT_EQ(twice[2].logit, 0.25f);

    EXPECT_THROW(prism::sampler_temperature(twice, 0.0f), std::invalid_argument);
}

TEST(sampler_temperature, flattens_the_softmax) {
    // logits 0, ln 3: p = 1/4, 3/4. At temp 2: 0, ln(3)/2 -> p = 1/(1+sqrt3) = 0.3660254,
    // sqrt3/(1+sqrt3) = 0.6339746.
    auto c = from_probs({0.25f, 0.75f});
    prism::sampler_temperature(c, 2.0f);
    prism::sampler_softmax(c);
    EXPECT_EQ(c[0].id, 1);
    EXPECT_NEAR(c[0].p, 0.6339746f, 1e-6f);
    EXPECT_NEAR(c[1].p, 0.3660254f, 1e-6f);
}

TEST(sampler_greedy, argmax_with_ties_to_lowest_id) {
    const std::vector<float> ties{1.0f, 3.0f, 3.0f, 2.0f};
    EXPECT_EQ(prism::sampler_greedy(prism::sampler_candidates(ties)), 1);
    const std::vector<float> one{-5.0f};
    EXPECT_EQ(prism::sampler_greedy(prism::sampler_candidates(one)), 0);
    const std::vector<float> masked{-k_inf, -k_inf, -7.0f};
    EXPECT_EQ(prism::sampler_greedy(prism::sampler_candidates(masked)), 2);
    // Order of the candidate list does not matter, only logits and ids.
    auto sorted = prism::sampler_candidates(ties);
    std::swap(sorted[1], sorted[2]);
    EXPECT_EQ(prism::sampler_greedy(sorted), 1);
    EXPECT_THROW(prism::sampler_greedy({}), std::invalid_argument);
}

// ---- the draw --------------------------------------------------------------------------------

TEST(sampler_dist, walks_the_cumulative_distribution) {
    // Probabilities 0.5, 0.3, 0.2 (ids 0, 1, 2): cumulative 0.5, 0.8, 1.0.
    const auto c = from_probs({0.5f, 0.3f, 0.2f});
    EXPECT_EQ(prism::sampler_dist(c, 0.0), 0);
    EXPECT_EQ(prism::sampler_dist(c, 0.49), 0);
    EXPECT_EQ(prism::sampler_dist(c, 0.51), 1);
    EXPECT_EQ(prism::sampler_dist(c, 0.79), 1);
    EXPECT_EQ(prism::sampler_dist(c, 0.81), 2);
    EXPECT_EQ(prism::sampler_dist(c, std::nextafter(1.0, 0.0)), 2);

    // Masked tokens are never drawn, even at the very end.
    const std::vector<float> logits{0.0f, -k_inf};
    EXPECT_EQ(prism::sampler_dist(prism::sampler_candidates(logits), std::nextafter(1.0, 0.0)), 0);
}

// ---- the chain -------------------------------------------------------------------------------

TEST(sampler_chain, temp_zero_is_argmax) {
    std::mt19937 gen(1234);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    sampler_params p{.temp = 0.0f, .top_k = 3, .top_p = 0.5f, .min_p = 0.3f, .seed = 99};
    sampler s(p);
    for (int round = 0; round < 200; ++round) {
        std::vector<float> logits(50);
        for (float& x : logits) x = normal(gen);
        if (round % 10 == 0) logits[7] = logits[3] = 100.0f;  // a tie: lowest id wins
        size_t best = 0;
        for (size_t i = 1; i < logits.size(); ++i)
            if (logits[i] > logits[best]) best = i;
        ASSERT_EQ(s.sample(logits, {}), static_cast<int32_t>(best)) << "round " << round;
    }
}

TEST(sampler_chain, same_seed_same_draws) {
    const std::vector<float> logits{0.1f, 0.7f, -0.3f, 1.2f, 0.0f, 0.9f};
    const std::vector<int32_t> history{1, 3};
    for (uint64_t seed : {uint64_t{0}, uint64_t{42}, uint64_t{0xFFFFFFFF}, UINT64_MAX}) {
        sampler_params p{.temp = 1.0f,
                         .top_k = 0,
                         .top_p = 0.95f,
                         .min_p = 0.01f,
                         .repeat_penalty = 1.1f,
                         .repeat_last_n = 64,
                         .seed = seed};
        sampler a(p);
        sampler b(p);
        for (int i = 0; i < 1000; ++i)
            ASSERT_EQ(a.sample(logits, history), b.sample(logits, history))
                << "seed " << seed << " draw " << i;
    }
}

TEST(sampler_chain, different_seeds_differ_and_every_seed_is_real) {
    const std::vector<float> logits{0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    const std::array<uint64_t, 4> seeds{0, 1, 0xFFFFFFFF, UINT64_MAX};
    std::vector<std::vector<int32_t>> runs;
    for (uint64_t seed : seeds) {
        sampler s(plain(1.0f, seed));
        std::vector<int32_t> run;
        for (int i = 0; i < 64; ++i) run.push_back(s.sample(logits, {}));
        // Seed 0 (or any other) is not a "fixed output" sentinel: the draws vary.
        EXPECT_NE(std::count(run.begin(), run.end(), run.front()), 64) << "seed " << seed;
        runs.push_back(std::move(run));
    }
    for (size_t i = 0; i < runs.size(); ++i)
        for (size_t j = i + 1; j < runs.size(); ++j)
            EXPECT_NE(runs[i], runs[j]) << "seeds " << seeds[i] << " and " << seeds[j];
}

/// Frequencies of n draws from the chain on fixed logits.
std::vector<double> frequencies(const sampler_params& p, const std::vector<float>& logits, int n) {
    sampler s(p);
    std::vector<double> f(logits.size(), 0.0);
    for (int i = 0; i < n; ++i) f[static_cast<size_t>(s.sample(logits, {}))] += 1.0;
    for (double& x : f) x /= n;
    return f;
}

TEST(sampler_chain, frequencies_match_the_softmax) {
    // logits ln 0.1, ln 0.2, ln 0.3, ln 0.4 -> softmax 0.1, 0.2, 0.3, 0.4.
    const std::vector<float> logits{std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)};
    const auto f = frequencies(plain(1.0f, 7), logits, 20000);
    const std::array<double, 4> want{0.1, 0.2, 0.3, 0.4};
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(f[i], want[i], 0.02) << "token " << i;

    // temp 2: p ~ sqrt(0.1..0.4) = 0.316228, 0.447214, 0.547723, 0.632456 (sum 1.943621)
    // -> 0.162701, 0.230094, 0.281805, 0.325401.
    const auto f2 = frequencies(plain(2.0f, 8), logits, 20000);
    const std::array<double, 4> want2{0.162701, 0.230094, 0.281805, 0.325401};
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(f2[i], want2[i], 0.02) << "token " << i;

    // top_k 2: only 0.3 and 0.4, renormalized to 3/7 = 0.428571 and 4/7 = 0.571429.
    sampler_params k2 = plain(1.0f, 9);
    k2.top_k = 2;
    const auto f3 = frequencies(k2, logits, 20000);
    const std::array<double, 4> want3{0.0, 0.0, 0.428571, 0.571429};
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(f3[i], want3[i], 0.02) << "token " << i;
}

TEST(sampler_chain, bad_logits_throw) {
    sampler s(plain(1.0f, 0));
    EXPECT_THROW(s.sample(std::span<const float>{}, {}), std::invalid_argument);
    const std::vector<float> masked{-k_inf, -k_inf};
    EXPECT_THROW(s.sample(masked, {}), std::invalid_argument);
    sampler g(plain(0.0f, 0));
    EXPECT_THROW(g.sample(masked, {}), std::invalid_argument);
    const std::vector<float> with_nan{1.0f, std::nanf("")};
    EXPECT_THROW(g.sample(with_nan, {}), std::invalid_argument);

    // Partly masked logits are fine: the masked token is never drawn.
    const std::vector<float> partly{0.0f, -k_inf, 0.0f};
    for (int i = 0; i < 200; ++i) EXPECT_NE(s.sample(partly, {}), 1);
}

// ---- validation ------------------------------------------------------------------------------

TEST(sampler_params_validate, accepts_defaults_and_edges) {
    EXPECT_TRUE(prism::sampler_params_validate({}).has_value());
    EXPECT_TRUE(prism::sampler_params_validate({.temp = 0.0f,
                                                .top_k = 0,
                                                .top_p = 1.0f,
                                                .min_p = 1.0f,
                                                .repeat_penalty = 0.5f,
                                                .repeat_last_n = -1,
                                                .seed = UINT64_MAX})
                    .has_value());
    EXPECT_TRUE(prism::sampler_params_validate({.min_p = 0.0f, .repeat_last_n = 0}).has_value());
}

TEST(sampler_params_validate, top_p_zero_is_rejected_not_turned_into_one) {
    const auto r = prism::sampler_params_validate({.top_p = 0.0f});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, prism::errc::invalid_argument);
    EXPECT_NE(r.error().message.find("top_p"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("got 0"), std::string::npos) << r.error().message;
    EXPECT_THROW(sampler(sampler_params{.top_p = 0.0f}), std::invalid_argument);
}

TEST(sampler_params_validate, rejects_out_of_range_and_nan) {
    const float nan = std::nanf("");
    struct row {
        sampler_params p;
        const char* name;
    };
    const std::vector<row> rows{
        {{.temp = -0.1f}, "temp"},
        {{.temp = nan}, "temp"},
        {{.temp = k_inf}, "temp"},
        {{.top_k = -1}, "top_k"},
        {{.top_p = -0.5f}, "top_p"},
        {{.top_p = 1.5f}, "top_p"},
        {{.top_p = nan}, "top_p"},
        {{.min_p = -0.1f}, "min_p"},
        {{.min_p = 1.1f}, "min_p"},
        {{.min_p = nan}, "min_p"},
        {{.repeat_penalty = 0.0f}, "repeat_penalty"},
        {{.repeat_penalty = -1.0f}, "repeat_penalty"},
        {{.repeat_penalty = k_inf}, "repeat_penalty"},
        {{.repeat_penalty = nan}, "repeat_penalty"},
        {{.repeat_last_n = -2}, "repeat_last_n"},
    };
    for (const auto& r : rows) {
        const auto v = prism::sampler_params_validate(r.p);
        ASSERT_FALSE(v.has_value()) << r.name;
        EXPECT_EQ(v.error().code, prism::errc::invalid_argument) << r.name;
        EXPECT_NE(v.error().message.find(r.name), std::string::npos) << v.error().message;
    }
}

}  // namespace
