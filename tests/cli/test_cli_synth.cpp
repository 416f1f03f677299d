// `prism synth` end to end: a small inline JSON shape becomes a GGUF that loads with the right
// hyperparameters and the Llama 2 tokenizer, holds N(0, 0.02²) weights and unit norms, and
// `prism generate` runs on; --type gives the tensor types `prism quantize` would; bad shapes,
// types, vocabularies and outputs fail with one line, exit status 1 and no file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cli_run.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

test::run_result prism_cli(const std::string& args) {
    return test::run_prism(args);
}

// 64-wide rows and the Llama 2 vocabulary (32000 tokens): about 4 M parameters.
const std::string llama2_vocab_shape =
    R"({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 256, "vocab_size": 32000,
        "max_position_embeddings": 256, "rope_theta": 500000.0})";

// Rows that fit the K-quant blocks, with the bundled model's 512-token vocabulary.
const std::string kquant_shape =
    R"({"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 512, "vocab_size": 512})";

}  // namespace

TEST(cli_synth, json_shape_loads_with_its_hparams_and_the_llama2_tokenizer) {
    test::temp_dir dir;
    const std::string out = dir.file("tiny.gguf");
    const auto r = prism_cli("synth --shape " + test::sh_quote(llama2_vocab_shape) + " " +
                             test::sh_quote(out) + " --seed 3");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("blk.1.ffn_down.weight"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("prism: wrote"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(F32)"), std::string::npos) << r.err;

    auto m = model_source_load(out);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    ASSERT_TRUE(model_source_validate(*m).has_value());
    const auto& hp = m->hparams;
    EXPECT_EQ(hp.n_embd, 64);
    EXPECT_EQ(hp.n_layer, 2);
    EXPECT_EQ(hp.n_head, 4);
    EXPECT_EQ(hp.n_head_kv, 2);
    EXPECT_EQ(hp.n_ff, 256);
    EXPECT_EQ(hp.n_vocab, 32000);
    EXPECT_EQ(hp.n_ctx_train, 256);
    EXPECT_FLOAT_EQ(hp.rope_theta, 500000.0f);
    EXPECT_FALSE(hp.tied_output);
    ASSERT_TRUE(m->vocab);
    EXPECT_EQ(m->vocab->n_vocab(), 32000);
    EXPECT_EQ(m->vocab->kind(), "llama");
    EXPECT_EQ(m->vocab->token_text(m->vocab->bos_id()), "<s>");

    // Matrices: mean 0, std 0.02; norms: 1.
    double n = 0, sum = 0, sum2 = 0;
    for (const auto& [name, t] : m->tensors) {
        const auto* x = static_cast<const float*>(t.data);
        const bool norm = name.find("_norm") != std::string::npos;
        for (int64_t i = 0; i < t.numel(); ++i) {
            if (norm) {
                ASSERT_EQ(x[i], 1.0f) << name;
                continue;
            }
            n += 1, sum += x[i], sum2 += double{x[i]} * x[i];
        }
    }
    EXPECT_NEAR(sum / n, 0.0, 1e-4);
    EXPECT_NEAR(std::sqrt(sum2 / n), 0.02, 0.0004);

    const auto gen = prism_cli("generate --model " + test::sh_quote(out) +
                               " --prompt 'Once upon a time' -n 8 --temp 0");
    ASSERT_EQ(gen.status, 0) << gen.err;
    EXPECT_FALSE(gen.out.empty());
}

TEST(cli_synth, types_follow_prism_quantize) {
    test::temp_dir dir;
    const std::string vocab = " --vocab " + test::sh_quote(test::bundled_model());
    const std::string shape = " --shape " + test::sh_quote(kquant_shape);
    struct expect {
        std::string type;
        std::vector<std::pair<std::string, std::string>> tensors;
    };
    const std::vector<expect> cases{
        {"Q4_0",
         {{"blk.0.attn_q.weight", "q4_0"},
          {"output.weight", "q6_k"},
          {"token_embd.weight", "q4_0"}}},
        {"q4_k_m",
         {{"blk.0.attn_v.weight", "q4_k"},
          {"blk.2.attn_v.weight", "q6_k"},
          {"blk.3.ffn_down.weight", "q6_k"},
          {"blk.1.ffn_up.weight", "q4_k"},
          {"output.weight", "q6_k"}}},
        {"Q8_0", {{"blk.0.ffn_down.weight", "q8_0"}, {"output.weight", "q8_0"}}},
        {"F16", {{"blk.0.ffn_gate.weight", "f16"}, {"blk.0.attn_norm.weight", "f32"}}},
        {"BF16", {{"blk.0.attn_output.weight", "bf16"}, {"output_norm.weight", "f32"}}},
    };
    for (const auto& c : cases) {
        const std::string out = dir.file(c.type + ".gguf");
        const auto r =
            prism_cli("synth -q -t " + c.type + shape + vocab + " " + test::sh_quote(out));
        ASSERT_EQ(r.status, 0) << c.type << "\n" << r.err;
        EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
        auto m = model_source_load(out);
        ASSERT_TRUE(m.has_value()) << m.error().message;
        for (const auto& [name, type] : c.tensors)
            EXPECT_EQ(kernels::type_name(m->find(name)->type), type) << c.type << " " << name;
    }
}

TEST(cli_synth, same_seed_same_bytes_for_any_thread_count) {
    test::temp_dir dir;
    const std::string args = "synth -q -t Q4_K --shape " + test::sh_quote(kquant_shape) +
                             " --vocab " + test::sh_quote(test::bundled_model());
    ASSERT_EQ(prism_cli(args + " --threads 1 " + test::sh_quote(dir.file("a.gguf"))).status, 0);
    ASSERT_EQ(prism_cli(args + " --threads 2 " + test::sh_quote(dir.file("b.gguf"))).status, 0);
    ASSERT_EQ(prism_cli(args + " --seed 9 " + test::sh_quote(dir.file("c.gguf"))).status, 0);
    EXPECT_EQ(test::read_file(dir.file("a.gguf")), test::read_file(dir.file("b.gguf")));
    EXPECT_NE(test::read_file(dir.file("a.gguf")), test::read_file(dir.file("c.gguf")));
}

TEST(cli_synth, errors_are_one_line_and_leave_no_file) {
    test::temp_dir dir;
    const std::string out = test::sh_quote(dir.file("o.gguf"));
    const std::string ok_shape = " --shape " + test::sh_quote(llama2_vocab_shape);
    struct bad_case {
        std::string args, needle;
    };
    const std::vector<bad_case> cases{
        {"synth --shape llama-7b " + out, "unknown shape 'llama-7b'"},
        {"synth --shape '{\"hidden_size\": 64,' " + out, "invalid JSON"},
        {"synth --shape '{\"hidden_size\": 64}' " + out, "vocab_size"},
        {"synth --shape " + test::sh_quote(R"({"hidden_size": 66, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 32000})") +
             " " + out,
         "not a multiple of num_attention_heads"},
        {"synth --shape " + test::sh_quote(R"({"hidden_size": 64, "num_hidden_layers": -2,
                 "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 32000})") +
             " " + out,
         "num_hidden_layers"},
        {"synth --shape " + test::sh_quote(R"({"hidden_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 512})") +
             " " + out,
         "has 32000 tokens but the shape's vocab_size is 512"},
        {"synth" + ok_shape + " --type Q3_K " + out, "unknown --type 'Q3_K'"},
        {"synth" + ok_shape + " --vocab " + test::sh_quote(dir.file("none.gguf")) + " " + out,
         "none.gguf"},
        {"synth" + ok_shape + " " + test::sh_quote(dir.file("no/folder/o.gguf")), "does not exist"},
        {"synth" + ok_shape + " " + test::sh_quote(dir.path().string()), "folder"},
        {"synth" + ok_shape + " --threads -1 " + out, "--threads"},
        {"synth" + ok_shape + " --seed -1 " + out, "--seed: must be an integer"},
        {"synth" + ok_shape + " --seed 18446744073709551616 " + out, "--seed: must be an integer"},
        {"synth --shape " + test::sh_quote(R"({"hidden_size": 131072, "num_hidden_layers": 1000,
                 "num_attention_heads": 1024, "intermediate_size": 1048576,
                 "vocab_size": 32000})") +
             " " + out,
         "GiB but the disk holding"},
        {"bench -p 1 -n 0 -r 1 --shape " + test::sh_quote(R"({"hidden_size": 131072,
                 "num_hidden_layers": 1000, "num_attention_heads": 1024,
                 "intermediate_size": 1048576, "vocab_size": 32000})"),
         "GiB but available memory has"},
        {"synth " + out, "--shape"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args);
        const auto r = prism_cli(c.args);
        test::expect_one_line_error(r, c.needle);
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}
