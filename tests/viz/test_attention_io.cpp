// Attention snapshot blobs (attention_io.h): round trips within the stated float16
// precision with labels exact, the documented layout, and hostile input: truncation at
// every byte, random corruption and oversized counts give errc::format or a valid set,
// never a crash or a huge allocation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "attention_fixture.h"
#include "expect_error.h"
#include "prism/viz/attention_io.h"

using namespace prism;

namespace {

void expect_same_set(const viz::attention_set& a, const viz::attention_set& b, float tol) {
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.pieces, b.pieces);
    EXPECT_EQ(a.n_prompt, b.n_prompt);
    EXPECT_EQ(a.n_layer_total, b.n_layer_total);
    EXPECT_EQ(a.n_head_total, b.n_head_total);
    EXPECT_EQ(a.layers, b.layers);
    EXPECT_EQ(a.heads, b.heads);
    ASSERT_EQ(a.mats.size(), b.mats.size());
    for (size_t i = 0; i < a.mats.size(); ++i) {
        ASSERT_EQ(a.mats[i].n, b.mats[i].n);
        for (int64_t q = 0; q < a.mats[i].n; ++q)
            for (int64_t k = 0; k < a.mats[i].n; ++k)
                ASSERT_NEAR(a.mats[i].at(q, k), b.mats[i].at(q, k), tol)
                    << "matrix " << i << " at (" << q << ", " << k << ")";
    }
}

/// Whether a decoded set satisfies the invariants the widgets rely on.
bool well_formed(const viz::attention_set& s) {
    const auto n = static_cast<size_t>(s.n_tokens());
    if (s.pieces.size() != n || s.mats.size() != s.layers.size() * s.heads.size()) return false;
    if (s.n_prompt < 0 || static_cast<size_t>(s.n_prompt) > n) return false;
    for (const auto& m : s.mats) {
        if (m.n != s.n_tokens() || m.p.size() != n * n) return false;
        for (const float v : m.p)
            if (!(v >= 0.0f && v <= 1.0f)) return false;
    }
    return true;
}

std::vector<std::byte> tiny_blob() {
    return viz::attention_set_to_bytes(test::tiny_attention_set());
}

void put_u32(std::vector<std::byte>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        b[at + static_cast<size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace

TEST(attention_io, round_trip_within_f16_precision_and_labels_exact) {
    const auto set = test::tiny_attention_set();
    const auto bytes = viz::attention_set_to_bytes(set);
    // Layout: header, model, counts, lists, ids, pieces, 4 triangles of 6·7/2 halves.
    size_t pieces = 0;
    for (const auto& p : set.pieces) pieces += 4 + p.size();
    EXPECT_EQ(bytes.size(),
              5 + 4 + 4 + set.model.size() + 4 * 4 + (4 + 8) * 2 + 6 * 4 + pieces + 4 * 21 * 2);
    EXPECT_EQ(std::memcmp(bytes.data(), "PRATT", 5), 0);
    auto back = viz::attention_set_from_bytes(bytes);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    expect_same_set(set, *back, 2.5e-4f);
    EXPECT_EQ(back->pieces[4], "\n");
    EXPECT_FLOAT_EQ(back->at(0, 0).at(0, 0), 1.0f);  // 1.0 is exact in float16
}

TEST(attention_io, round_trip_of_a_larger_set_and_extreme_values) {
    auto set = test::sentence_attention_set(3, 4);
    set.pieces[3] = std::string("\xff\x00 bytes", 8);  // pieces are raw bytes
    set.mats[0].at(5, 1) = 1e-7f;                      // float16 subnormal range
    set.mats[0].at(5, 2) = 0.99999f;
    set.mats[1].at(7, 0) = 0.5f + 1.0f / 4096;  // a tie: rounds to even
    auto back = viz::attention_set_from_bytes(viz::attention_set_to_bytes(set));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    expect_same_set(set, *back, 2.5e-4f);
    EXPECT_NEAR(back->mats[0].at(5, 1), 1e-7f, 3e-8f);
    EXPECT_EQ(back->mats[1].at(7, 0), 0.5f);
    // Values a probability cannot take are clamped, so the blob still reads.
    set.mats[2].at(4, 1) = 1.5f;
    set.mats[2].at(4, 2) = -0.25f;
    set.mats[2].at(4, 3) = std::nanf("");
    set.mats[2].at(1, 4) = 0.7f;  // above the diagonal: not stored
    back = viz::attention_set_from_bytes(viz::attention_set_to_bytes(set));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->mats[2].at(4, 1), 1.0f);
    EXPECT_EQ(back->mats[2].at(4, 2), 0.0f);
    EXPECT_EQ(back->mats[2].at(4, 3), 0.0f);
    EXPECT_EQ(back->mats[2].at(1, 4), 0.0f);
}

TEST(attention_io, float16_error_is_within_the_documented_bound) {
    // Half a million values swept over [0, 1] (and the small ones densely): absolute error
    // <= 2^-12, relative <= 2^-11 from the smallest normal binary16 (2^-14) up.
    viz::attention_set set;
    const int64_t n = 1000;
    set.tokens.assign(static_cast<size_t>(n), 7);
    set.n_layer_total = set.n_head_total = 1;
    set.layers = {0};
    set.heads = {0};
    viz::attn_matrix m(n);
    int64_t i = 0;
    for (int64_t q = 0; q < n; ++q)
        for (int64_t k = 0; k <= q; ++k, ++i)
            m.at(q, k) = i % 2 == 0 ? static_cast<float>(i) / 500500.0f
                                    : std::ldexp(static_cast<float>(i % 1000) / 1000.0f,
                                                 -static_cast<int>(i % 30));
    set.mats = {m};
    const auto back = viz::attention_set_from_bytes(viz::attention_set_to_bytes(set));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    double worst = 0;
    for (int64_t q = 0; q < n; ++q)
        for (int64_t k = 0; k <= q; ++k) {
            const double v = m.at(q, k);
            const double err = std::abs(back->mats[0].at(q, k) - v);
            worst = std::max(worst, err);
            ASSERT_LE(err, std::ldexp(1.0, -12)) << v;
            if (v >= std::ldexp(1.0, -14)) {
                ASSERT_LE(err, v * std::ldexp(1.0, -11)) << v;
            }
        }
    EXPECT_GT(worst, 2.0e-4);  // the bound is tight, not loose
}

TEST(attention_io, empty_set_and_missing_pieces) {
    viz::attention_set empty;
    auto back = viz::attention_set_from_bytes(viz::attention_set_to_bytes(empty));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->n_tokens(), 0);
    EXPECT_TRUE(back->mats.empty());

    auto set = test::tiny_attention_set();
    set.pieces.resize(4);
    back = viz::attention_set_from_bytes(viz::attention_set_to_bytes(set));
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(back->pieces.size(), 6u);
    EXPECT_EQ(back->pieces[5], "");
}

TEST(attention_io, writer_rejects_inconsistent_sets) {
    auto set = test::tiny_attention_set();
    set.mats.pop_back();
    EXPECT_THROW(viz::attention_set_to_bytes(set), std::invalid_argument);
    set = test::tiny_attention_set();
    set.mats[1] = test::synthetic_attention(5, 1);
    EXPECT_THROW(viz::attention_set_to_bytes(set), std::invalid_argument);
    set = test::tiny_attention_set();
    set.heads = {5, 2};
    EXPECT_THROW(viz::attention_set_to_bytes(set), std::invalid_argument);
    set = test::tiny_attention_set();
    set.n_prompt = 7;
    EXPECT_THROW(viz::attention_set_to_bytes(set), std::invalid_argument);
}

TEST(attention_io, truncation_at_every_byte_is_a_format_error) {
    const auto bytes = tiny_blob();
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto r = viz::attention_set_from_bytes(std::span(bytes.data(), n));
        ASSERT_FALSE(r.has_value()) << "prefix of " << n << " bytes was accepted";
        EXPECT_EQ(r.error().code, errc::format) << n << ": " << r.error().message;
        EXPECT_FALSE(r.error().message.empty());
    }
    auto longer = bytes;
    longer.push_back(std::byte{0});
    test::expect_error(viz::attention_set_from_bytes(longer), errc::format, "trailing");
}

TEST(attention_io, header_errors_name_the_field) {
    auto bytes = tiny_blob();
    bytes[0] = std::byte{'X'};
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "magic");

    bytes = tiny_blob();
    put_u32(bytes, 5, 2);
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::unsupported, "version 2");

    // Counts far beyond the blob fail before anything is allocated.
    bytes = tiny_blob();
    put_u32(bytes, 9, 0xffffffffu);  // model name length
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "model name");
    const size_t t_at = 13 + test::tiny_attention_set().model.size();
    bytes = tiny_blob();
    put_u32(bytes, t_at, 0xfffffff0u);  // token count
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "token");
    bytes = tiny_blob();
    put_u32(bytes, t_at + 16, 0x40000000u);  // layer count
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "layer");
    bytes = tiny_blob();
    put_u32(bytes, t_at + 4, 9);  // n_prompt > T
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "n_prompt");
    bytes = tiny_blob();
    put_u32(bytes, t_at + 20, 3);  // layer id >= n_layer_total
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "layer 3");

    // A value above 1.0 (binary16 0x3c01) in the first matrix.
    bytes = tiny_blob();
    const size_t last = bytes.size() - 2;
    bytes[last] = std::byte{0x01};
    bytes[last + 1] = std::byte{0x3c};
    test::expect_error(viz::attention_set_from_bytes(bytes), errc::format, "not in [0, 1]");
}

TEST(attention_io, random_corruption_is_an_error_or_a_valid_set) {
    const auto clean = viz::attention_set_to_bytes(test::sentence_attention_set(2, 2));
    std::mt19937 rng(1234);
    int accepted = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        auto bytes = clean;
        const int flips = 1 + static_cast<int>(rng() % 4);
        // Half the trials hit the header and labels, where the counts live.
        const size_t span = trial % 2 == 0 ? std::min<size_t>(bytes.size(), 400) : bytes.size();
        for (int f = 0; f < flips; ++f) bytes[rng() % span] = static_cast<std::byte>(rng() & 0xffu);
        if (trial % 5 == 0) bytes.resize(rng() % bytes.size());
        auto r = viz::attention_set_from_bytes(bytes);
        if (r.has_value()) {
            ++accepted;
            EXPECT_TRUE(well_formed(*r)) << "trial " << trial;
        } else {
            EXPECT_TRUE(r.error().code == errc::format || r.error().code == errc::unsupported)
                << r.error().message;
        }
    }
    EXPECT_GT(accepted, 0);  // corrupted values in [0, 1] still read
}
