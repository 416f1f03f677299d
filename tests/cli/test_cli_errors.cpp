// Bad input to the `prism` executable: every case must end with one line on stderr
// ("prism: error: ..." naming the problem), exit status 1, no crash, no hang (each command
// runs under `timeout`), and nothing half-written presented as success.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "cli_run.h"
#include "gguf_bytes.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

test::run_result prism_cli(const std::string& args) {
    return test::run_prism(args, 60);
}

using test::expect_one_line_error;

std::string q(const std::string& s) {
    return test::sh_quote(s);
}

}  // namespace

TEST(cli_errors, bad_arguments) {
    expect_one_line_error(prism_cli("generate --top-p 0"), "top_p");
    expect_one_line_error(prism_cli("generate --temp -1"), "temp");
    expect_one_line_error(prism_cli("generate --top-k abc"), "top-k");
    expect_one_line_error(prism_cli("generate --threads 0"), "threads");
    expect_one_line_error(prism_cli("generate --bogus"), "--bogus");
    expect_one_line_error(prism_cli("frobnicate"), "frobnicate");
    expect_one_line_error(prism_cli(""), "subcommand");
    expect_one_line_error(prism_cli("generate --seed 18446744073709551616"), "--seed");
    expect_one_line_error(prism_cli("generate --seed 12abc"), "--seed");
    expect_one_line_error(prism_cli("generate -m ''"), "--model is empty");
    expect_one_line_error(prism_cli("tokenize"), "--prompt");
    EXPECT_EQ(prism_cli("--version").status, 0);
    EXPECT_EQ(prism_cli("generate --help").status, 0);
}

TEST(cli_errors, seed_minus_one_is_random_and_max_is_a_real_seed) {
    const std::string args = "generate -p Once -n 20 --temp 1 --top-k 0 --top-p 1 --min-p 0";
    const auto a = prism_cli(args + " --seed 18446744073709551615");
    const auto b = prism_cli(args + " --seed 18446744073709551615");
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    const auto r = prism_cli(args + " --seed -1");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("seed 18446744073709551615"), std::string::npos);  // not wrapped
}

TEST(cli_errors, missing_and_non_regular_files) {
    test::temp_dir dir;
    expect_one_line_error(prism_cli("generate --model /nonexistent/model.gguf"),
                          "/nonexistent/model.gguf");
    const std::string fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    expect_one_line_error(prism_cli("generate -n 1 -m " + q(fifo)), "not a regular file");
    expect_one_line_error(prism_cli("generate -n 1 --tokenizer " + q(fifo)), "not a regular file");
    expect_one_line_error(prism_cli("generate -n 1 -m /dev/zero"), "not a regular file");
    expect_one_line_error(prism_cli("tokenize -f " + q(dir.path().string())), "folder");
    expect_one_line_error(prism_cli("tokenize -f /dev/zero"), "larger than the limit");
    expect_one_line_error(prism_cli("generate -n 1 -m " + q(dir.path().string())), "config.json");
}

TEST(cli_errors, files_that_are_not_models) {
    test::temp_dir dir;
    test::write_file(dir.file("random.gguf"), std::string(4096, '\x5a'));
    expect_one_line_error(prism_cli("generate -m " + q(dir.file("random.gguf"))),
                          "not a GGUF file");
    test::write_file(dir.file("empty.bin"), "");
    expect_one_line_error(prism_cli("generate -m " + q(dir.file("empty.bin"))), "llama2.c");
    test::write_file(dir.file("model.safetensors"),
                     "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n");
    expect_one_line_error(prism_cli("generate -m " + q(dir.file("model.safetensors"))),
                          "Git LFS pointer");
    test::write_file(dir.file("real.safetensors"), std::string(16, '\0'));
    expect_one_line_error(prism_cli("generate -m " + q(dir.file("real.safetensors"))),
                          "pass the folder");
    const auto vocab_only = test::shared_path("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
    expect_one_line_error(prism_cli("generate -m " + q(vocab_only)), "vocabulary-only");
    expect_one_line_error(
        prism_cli("generate -m " + q(test::stories_bin()) + " --tokenizer " +
                  q(test::shared_path("models/llama2-tokenizer/tokenizer.model"))),
        "do not belong together");
}

TEST(cli_errors, corrupt_llama2c_header_names_the_field) {
    test::temp_dir dir;
    std::string bytes = test::read_file(test::stories_bin());
    const int32_t layers = 100000;
    std::memcpy(bytes.data() + 8, &layers, 4);
    test::write_file(dir.file("bad.bin"), bytes);
    expect_one_line_error(prism_cli("generate -m " + q(dir.file("bad.bin")) + " --tokenizer " +
                                    q(test::stories_tok())),
                          "n_layers = 100000");
}

TEST(cli_errors, hostile_names_cannot_split_or_flood_the_message) {
    test::temp_dir dir;
    test::gguf_bytes g;
    g.header(0, 1).str(std::string("bad\nkey\x1b[31m\0x", 14)).u32(99);  // bad value type
    test::write_file(dir.file("ctl.gguf"), std::string(g.b.begin(), g.b.end()));
    auto r = prism_cli("generate -m " + q(dir.file("ctl.gguf")));
    expect_one_line_error(r, "bad\\x0akey\\x1b[31m\\x00x");
    test::gguf_bytes long_key;
    long_key.header(0, 1).str(std::string(200000, 'k')).u32(99);
    test::write_file(dir.file("long.gguf"), std::string(long_key.b.begin(), long_key.b.end()));
    r = prism_cli("generate -m " + q(dir.file("long.gguf")));
    EXPECT_EQ(r.status, 1);
    EXPECT_LT(r.err.size(), 1200u);
    EXPECT_NE(r.err.find("type"), std::string::npos) << r.err;  // the reason survives
}

TEST(cli_errors, truncated_model_file_is_an_error_not_a_crash) {
    test::temp_dir dir;
    const std::string bytes = test::read_file(test::bundled_model());
    for (size_t cut : {size_t{3}, size_t{100}, size_t{5000}, bytes.size() / 2, bytes.size() - 1}) {
        test::write_file(dir.file("cut.gguf"), bytes.substr(0, cut));
        expect_one_line_error(prism_cli("generate -n 2 --model " + q(dir.file("cut.gguf"))),
                              "gguf");
    }
}

TEST(cli_errors, unwritable_stdout_is_a_failure) {
    const auto r = test::run_command(test::sh_quote(PRISM_CLI_PATH) +
                                     " generate -p Once -n 20 --temp 0 >/dev/full");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("cannot write to standard output"), std::string::npos) << r.err;
    const auto t = test::run_command(test::sh_quote(PRISM_CLI_PATH) + " tokenize -p hi >/dev/full");
    EXPECT_EQ(t.status, 1);
}
