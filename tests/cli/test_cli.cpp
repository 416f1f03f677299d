// The `prism` executable end to end: exact stdout of greedy generation against llama2.c's
// outputs, tokenize/info output, and one-line errors with a non-zero exit for bad input.
#include <gtest/gtest.h>

#include "cli_run.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

test::run_result prism_cli(const std::string& args) {
    return test::run_prism(args);
}

std::string reference_text(const std::string& name) {
    std::string s = test::read_file(test::reference(name));
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

}  // namespace

TEST(cli_generate, default_model_greedy_prints_llama2c_reference) {
    const auto r = prism_cli("generate --temp 0 -n 200");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, reference_text("test_all_n200.txt") + "\n");
    EXPECT_NE(r.err.find("tokens/s"), std::string::npos);  // timings on stderr
}

TEST(cli_generate, llama2c_checkpoint_and_tokenizer) {
    const auto r =
        prism_cli("generate --model " + test::sh_quote(test::stories_bin()) + " --tokenizer " +
                  test::sh_quote(test::stories_tok()) + " --temp 0 -n 200");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, reference_text("test_all_n200.txt") + "\n");
}

TEST(cli_generate, prompt_once_upon_a_time) {
    const auto r = prism_cli("generate --prompt 'Once upon a time' --temp 0 -n 124");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, reference_text("once_upon_a_time_n128.txt") + "\n");
}

TEST(cli_generate, seed_reproduces_and_stop_is_not_printed) {
    const auto a = prism_cli("generate -p 'Once upon a time' -n 30 --seed 42 --temp 0.9");
    const auto b = prism_cli("generate -p 'Once upon a time' -n 30 --seed 42 --temp 0.9");
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    const auto s = prism_cli("generate -p 'Once upon a time' -n 60 --temp 0 --stop 'named Lily'");
    EXPECT_EQ(s.out, "Once upon a time, there was a little girl \n");
    const auto z = prism_cli("generate -p 'Once' -n 0");
    EXPECT_EQ(z.out, "Once\n");
}

TEST(cli_tokenize, ids_and_json_and_vocab_only_gguf) {
    auto r = prism_cli("tokenize --prompt 'Once upon a time'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "1 403 407 261 378\n");
    r = prism_cli("tokenize --prompt 'Once upon a time' --json --no-bos");
    EXPECT_EQ(r.out, "[403, 407, 261, 378]\n");
    r = prism_cli(
        "tokenize --no-bos --model " +
        test::sh_quote(test::shared_path("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf")) +
        " --prompt 'Hello world'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "15043 3186\n");
    test::temp_dir dir;
    test::write_file(dir.file("t.txt"), "Once upon a time");
    r = prism_cli("tokenize --file " + test::sh_quote(dir.file("t.txt")));
    EXPECT_EQ(r.out, "1 403 407 261 378\n");
}

TEST(cli_info, describes_the_bundled_model) {
    const auto r = prism_cli("info");
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* needle :
         {"format:         gguf", "n_layer:        5", "n_head_kv:      4", "token_embd.weight",
          "[64, 512]", "parameters:", "llama, 512 tokens"})
        EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
}

TEST(cli_info, llama2c_checkpoint_without_tokenizer) {
    const auto r = prism_cli("info --model " + test::sh_quote(test::stories_bin()));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("format:         llama2c"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("none in this file"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("parameters:     260032"), std::string::npos) << r.out;
}
