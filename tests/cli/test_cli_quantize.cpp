// `prism quantize` end to end: the bundled model rewritten as Q8_0 generates the same greedy
// text as the F32 original, the per-tensor table and summary go to stderr, and bad types,
// missing inputs and unwritable outputs fail with one line and exit status 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cli_run.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

test::run_result prism_cli(const std::string& args) {
    return test::run_prism(args);
}

using test::count_lines;

}  // namespace

TEST(cli_quantize, q8_0_model_generates_the_same_greedy_text) {
    test::temp_dir dir;
    const std::string out = dir.file("q8.gguf");
    const auto r = prism_cli("quantize " + test::sh_quote(test::bundled_model()) + " " +
                             test::sh_quote(out) + " --type Q8_0 --threads 2");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    for (const char* needle : {"blk.0.attn_q.weight", "f32   -> q8_0", "f32   -> f16",
                               "not q8_0: row length 172", "prism: wrote", "(Q8_0)", "5 fallbacks"})
        EXPECT_NE(r.err.find(needle), std::string::npos) << needle << "\n" << r.err;

    const auto info = prism_cli("info --model " + test::sh_quote(out));
    ASSERT_EQ(info.status, 0) << info.err;
    EXPECT_NE(info.out.find("q8_0"), std::string::npos);

    const std::string gen = "generate --prompt 'Once upon a time' --temp 0 -n 20";
    const auto ref = prism_cli(gen);
    const auto got = prism_cli(gen + " --model " + test::sh_quote(out));
    ASSERT_EQ(ref.status, 0) << ref.err;
    ASSERT_EQ(got.status, 0) << got.err;
    EXPECT_EQ(got.out, ref.out);
}

TEST(cli_quantize, quiet_prints_only_the_summary) {
    test::temp_dir dir;
    const auto r = prism_cli("quantize -q " + test::sh_quote(test::bundled_model()) + " " +
                             test::sh_quote(dir.file("k.gguf")) + " -t q4_k_m");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("(Q4_K_M)"), std::string::npos) << r.err;
}

TEST(cli_quantize, errors_are_one_line) {
    test::temp_dir dir;
    const std::string model = test::sh_quote(test::bundled_model());
    struct bad_case {
        std::string args, needle;
    };
    const std::vector<bad_case> cases{
        {"quantize " + model + " " + test::sh_quote(dir.file("o.gguf")) + " --type Q3_K",
         "unknown --type 'Q3_K'"},
        {"quantize " + model + " " + test::sh_quote(dir.file("o.gguf")), "--type"},
        {"quantize " + model + " --type Q8_0", "output"},
        {"quantize " + test::sh_quote(dir.file("missing.gguf")) + " " +
             test::sh_quote(dir.file("o.gguf")) + " --type Q8_0",
         "missing.gguf"},
        {"quantize " + model + " " + test::sh_quote(dir.file("no/folder/o.gguf")) + " --type Q8_0",
         "does not exist"},
        {"quantize " + model + " " + model + " --type Q8_0", "is the input file"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args);
        const auto r = prism_cli(c.args);
        test::expect_one_line_error(r, c.needle);
        EXPECT_TRUE(r.out.empty());
    }
    EXPECT_FALSE(std::filesystem::exists(dir.file("o.gguf")));
}
