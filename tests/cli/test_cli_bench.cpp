// `prism bench` end to end on tiny random-weight models: --json prints one parseable object per
// test with the documented keys and positive numbers; the human output is a markdown table
// under the bandwidth and FMA-peak lines; out-of-range parameters fail with one line and exit
// status 1. Speeds are never asserted (test machines are noisy).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_run.h"
#include "test_paths.h"
#include "test_util.h"

namespace {

prism::test::run_result prism_cli(const std::string& args) {
    return prism::test::run_prism(args);
}

const std::string tiny_shape =
    R"({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 512})";

std::string vocab_arg() {
    return " --vocab " + prism::test::sh_quote(prism::test::bundled_model());
}

// A tiny synthesized model file, made once for the suite.
const std::string& tiny_model() {
    static const std::string path = [] {
        const std::string p = prism::test::process_temp_dir().file("tiny-q8.gguf");
        const auto r = prism_cli("synth -q -t Q8_0 --shape " + prism::test::sh_quote(tiny_shape) +
                                 vocab_arg() + " " + prism::test::sh_quote(p));
        EXPECT_EQ(r.status, 0) << r.err;
        return p;
    }();
    return path;
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

}  // namespace

TEST(cli_bench, json_lines_have_the_keys_and_positive_numbers) {
    const auto r =
        prism_cli("bench --json -p 16 -n 8 -r 2 --model " + prism::test::sh_quote(tiny_model()));
    ASSERT_EQ(r.status, 0) << r.err;
    std::vector<nlohmann::json> lines;
    ASSERT_NO_THROW(lines = json_lines(r.out)) << r.out;
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0]["test"], "pp16");
    EXPECT_EQ(lines[1]["test"], "tg8");
    EXPECT_EQ(lines[0]["n_prompt"], 16);
    EXPECT_EQ(lines[1]["n_gen"], 8);
    for (const auto& j : lines) {
        for (const char* key : {"tokens_per_s_median", "tokens_per_s_min", "tokens_per_s_max",
                                "model_bytes", "n_params", "weight_bytes_per_token",
                                "read_bandwidth_bytes_per_s", "roofline_tokens_per_s",
                                "flops_per_s", "fma_peak_flops_per_s", "fma_peak_fraction"}) {
            ASSERT_TRUE(j.contains(key)) << key << " in " << j.dump();
            EXPECT_TRUE(j[key].is_number()) << key;
            EXPECT_GT(j[key].get<double>(), 0) << key;
        }
        ASSERT_TRUE(j.contains("spread"));
        EXPECT_GE(j["spread"].get<double>(), 0);
        EXPECT_EQ(j["repetitions"], 2);
        EXPECT_EQ(j["seconds"].size(), 2u);
        EXPECT_EQ(j["model_type"], "Q8_0");
        EXPECT_EQ(j["n_threads"], 2);
        EXPECT_LE(j["weight_bytes_per_token"].get<double>(), j["model_bytes"].get<double>());
    }
    EXPECT_FALSE(lines[0].contains("roofline_ratio"));
    ASSERT_TRUE(lines[1].contains("roofline_ratio"));
    EXPECT_GT(lines[1]["roofline_ratio"].get<double>(), 0);
}

TEST(cli_bench, shape_and_type_build_the_model_in_memory) {
    const std::string shape32k =
        R"({"hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 64, "vocab_size": 32000})";
    const auto ok = prism_cli("bench --json -p 8,0 -n 0 -r 1 --threads 1 -t q4_0 --shape " +
                              prism::test::sh_quote(shape32k));
    ASSERT_EQ(ok.status, 0) << ok.err;
    const auto lines = json_lines(ok.out);
    ASSERT_EQ(lines.size(), 1u) << ok.out;
    EXPECT_EQ(lines[0]["test"], "pp8");
    EXPECT_EQ(lines[0]["model_type"], "Q4_0");
    EXPECT_EQ(lines[0]["n_threads"], 1);
    EXPECT_NE(ok.err.find("in memory"), std::string::npos) << ok.err;

    const auto small = prism_cli("bench --json -p 4 -n 4 -r 1 --shape " +
                                 prism::test::sh_quote(tiny_shape) + vocab_arg());
    ASSERT_EQ(small.status, 0) << small.err;
    EXPECT_EQ(json_lines(small.out).size(), 2u);
    EXPECT_EQ(json_lines(small.out)[0]["model_type"], "F32");
}

TEST(cli_bench, table_under_bandwidth_and_peak_lines_measured_before_each_test) {
    const auto r = prism_cli("bench -p 8 -n 4 -r 1 --model " + prism::test::sh_quote(tiny_model()));
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* needle : {"read bandwidth: ", " GB/s before pp8, ", " GB/s before tg4 (",
                               "each the median of 5 passes over 512.00 MiB",
                               "FP32 FMA peak: ", " GFLOP/s before tg4 (", "(max − min) / median",
                               "| model | type | size | params | backend | threads | test | t/s |",
                               "| pp8 | ", "| tg4 | ", " ± ", "| Q8_0 | ", "| CPU | 2 |"})
        EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
}

TEST(cli_bench, out_of_range_parameters_are_one_line_errors) {
    const std::string model = " --model " + prism::test::sh_quote(tiny_model());
    struct bad_case {
        std::string args, needle;
    };
    const std::vector<bad_case> cases{
        {"bench -p -1" + model, "-p/--n-prompt values must be in [0, 16384]"},
        {"bench -p 100000" + model, "got 100000"},
        {"bench -n 16385" + model, "-n/--n-gen"},
        {"bench -p 0 -n 0" + model, "nothing to run"},
        {"bench -r 0" + model, "-r/--repetitions must be in [1, 1000]"},
        {"bench --threads 0" + model, "--threads must be in [1, 1024]"},
        {"bench -p 1,x" + model, "-p"},
        {"bench --shape llama-110m" + model, "either --model or --shape"},
        {"bench -t Q8_0" + model, "--type goes with --shape"},
        {"bench" + vocab_arg() + model, "--vocab goes with --shape"},
        {"bench --shape " + prism::test::sh_quote(tiny_shape),
         "has 32000 tokens but the shape's vocab_size is 512"},
        {"bench --shape llama-7b", "unknown shape 'llama-7b'"},
        {"bench --shape llama-110m -t Q3_K", "unknown --type 'Q3_K'"},
        {"bench --model " + prism::test::sh_quote(prism::test::process_temp_dir().file("no.gguf")),
         "no.gguf"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args);
        const auto r = prism_cli(c.args);
        prism::test::expect_one_line_error(r, c.needle);
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}
