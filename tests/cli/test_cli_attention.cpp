// `prism attention` end to end: the .npy it writes equals the reference attention of
// stories260K, the CSV / JSON / PNG outputs have the promised shape, and bad requests are
// one-line errors.
#include <gtest/gtest.h>

#include <QImage>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "prism/npy.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

test::run_result prism_cli(const std::string& args) {
    return test::run_prism(args);
}

std::string q(const std::string& s) {
    return test::sh_quote(s);
}

// The reference's 32 tokens: "Once upon a time" (5 with BOS) + 27 greedy tokens.
const std::string reference_run = "attention -p 'Once upon a time' -n 27 --temp 0";

}  // namespace

TEST(cli_attention, npy_matches_the_reference_attention) {
    test::temp_dir dir;
    const auto r = prism_cli(reference_run + " --all --npy " + q(dir.file("a.npy")));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.rfind("Once upon a time, there was a little girl", 0), 0u) << r.out;
    auto got = npy::load(dir.file("a.npy"));
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->shape, (std::vector<int64_t>{5, 8, 32, 32}));
    EXPECT_EQ(got->descr, "<f4");
    const auto a = npy::to_f32(*got);
    const auto ref = npy::to_f32(*npy::load(test::reference("attention.npy")));
    ASSERT_EQ(a.size(), ref.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], ref[i], 1e-5) << "flat index " << i;
}

TEST(cli_attention, one_head_csv_and_stats) {
    test::temp_dir dir;
    const auto r =
        prism_cli(reference_run + " --layer 2 --head 5 --npy " + q(dir.file("h.npy")) + " --csv " +
                  q(dir.file("h.csv")) + " --stats " + q(dir.file("s.json")));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(npy::load(dir.file("h.npy"))->shape, (std::vector<int64_t>{1, 1, 32, 32}));
    const std::string csv = test::read_file(dir.file("h.csv"));
    EXPECT_EQ(csv.rfind("layer,head,query,key,query_token,key_token,attention\n", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 32 * 33 / 2);  // lower triangle
    EXPECT_NE(csv.find("\n2,5,1,0,\" Once\",<s>,"), std::string::npos);
    const auto j = nlohmann::json::parse(test::read_file(dir.file("s.json")));
    ASSERT_EQ(j["heads"].size(), 1u);
    EXPECT_EQ(j["heads"][0]["layer"], 2);
    EXPECT_EQ(j["heads"][0]["head"], 5);
    for (const char* k : {"entropy", "sink", "prev_token", "local", "induction"})
        EXPECT_TRUE(j["heads"][0][k].is_number()) << k;
    EXPECT_EQ(j["n_tokens"], 32);
    EXPECT_EQ(j["tokens"][1], 403);
}

TEST(cli_attention, pngs_are_written) {
    test::temp_dir dir;
    const auto r =
        prism_cli("attention --prompt 'Once upon a time there was a little dog' --png " +
                  q(dir.file("a.png")) + " --grid-png " + q(dir.file("g.png")) + " -n 8 --temp 0");
    ASSERT_EQ(r.status, 0) << r.err;
    const QImage a(QString::fromStdString(dir.file("a.png")));
    const QImage g(QString::fromStdString(dir.file("g.png")));
    EXPECT_GE(a.width(), 600);
    EXPECT_GE(a.height(), 600);
    EXPECT_GE(g.width(), 600);
    EXPECT_FALSE(a.isNull() || g.isNull());
}

TEST(cli_attention, bad_requests_are_one_line_errors) {
    auto r = prism_cli("attention -p hi");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("nothing to write"), std::string::npos) << r.err;
    test::temp_dir dir;
    r = prism_cli("attention -p hi --layer 9 --npy " + q(dir.file("x.npy")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("layer 9 out of range"), std::string::npos) << r.err;
    r = prism_cli("attention -p hi -n 2000 --budget-mib 1 --npy " + q(dir.file("x.npy")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("budget"), std::string::npos) << r.err;
    r = prism_cli("attention -p hi --all --layer 1 --npy " + q(dir.file("x.npy")));
    EXPECT_EQ(r.status, 1);
}

TEST(cli_attention, outputs_are_checked_before_generating) {
    test::temp_dir dir;
    auto r = prism_cli("attention -p hi --npy /dev/null");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << "nothing generated: " << r.out;
    r = prism_cli("attention -p hi --png " + q(dir.file("a.jpg")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("must end in .png"), std::string::npos) << r.err;
    r = prism_cli("attention -p hi --csv " + q(dir.file("missing/a.csv")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

TEST(cli_attention, stats_hold_valid_utf8_for_byte_tokens_and_default_length) {
    test::temp_dir dir;
    // tok512 has no emoji: it becomes byte-fallback tokens, invalid UTF-8 one by one.
    const auto r = prism_cli("attention -p 'A dog \xf0\x9f\x90\xb6 said' --temp 0 --stats " +
                             q(dir.file("s.json")));
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(test::read_file(dir.file("s.json")));
    EXPECT_EQ(j["n_tokens"].get<int>() - j["n_prompt"].get<int>(), 64);  // default -n 64
    EXPECT_NE(r.err.find("prism: wrote"), std::string::npos);
}
