// Random-weight models (synth.h): named and JSON shapes, the weight distribution (N(0, 0.02²)
// matrices, norms 1), identical bytes in memory and on disk and for any thread count, the
// type mix `prism quantize` would give, vocabulary checks and cancellation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "expect_error.h"
#include "prism/gguf.h"
#include "prism/synth.h"
#include "prism/tokenizer.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

// Rows fit the K-quant blocks (256); the bundled model's 512-token vocabulary keeps it small.
const std::string small_shape = R"({"hidden_size": 256, "num_hidden_layers": 4,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 512,
    "vocab_size": 512, "max_position_embeddings": 128, "rms_norm_eps": 1e-5})";

llama_hparams small_hparams() {
    auto hp = synth_shape(small_shape);
    EXPECT_TRUE(hp.has_value()) << hp.error().message;
    return *hp;
}

synth_params small_params(quantize_ftype t = quantize_ftype::f32) {
    return {.ftype = t, .seed = 7, .n_threads = 2, .vocab_path = test::bundled_model()};
}

std::span<const uint8_t> bytes_of(const tensor_view& t) {
    return {static_cast<const uint8_t*>(t.data), t.nbytes};
}

}  // namespace

TEST(synth_shape, named_shapes_have_the_published_sizes) {
    auto tl = synth_shape("tinyllama-1.1b");
    ASSERT_TRUE(tl.has_value());
    EXPECT_EQ(tl->n_embd, 2048);
    EXPECT_EQ(tl->n_layer, 22);
    EXPECT_EQ(tl->n_head, 32);
    EXPECT_EQ(tl->n_head_kv, 4);
    EXPECT_EQ(tl->n_ff, 5632);
    EXPECT_EQ(tl->n_vocab, 32000);
    EXPECT_EQ(tl->n_ctx_train, 2048);
    EXPECT_EQ(tl->n_rot, 64);
    EXPECT_FALSE(tl->tied_output);
    auto small = synth_shape("llama-110m");
    ASSERT_TRUE(small.has_value());
    EXPECT_EQ(small->n_embd, 768);
    EXPECT_EQ(small->n_layer, 12);
    EXPECT_EQ(small->n_head_kv, 12);
    EXPECT_EQ(small->n_ff, 2048);
    EXPECT_EQ(synth_shape_names(), "llama-110m, tinyllama-1.1b");
}

TEST(synth_shape, json_inline_and_in_a_file) {
    const auto hp = small_hparams();
    EXPECT_EQ(hp.n_embd, 256);
    EXPECT_EQ(hp.n_head_kv, 2);
    EXPECT_EQ(hp.n_ctx_train, 128);
    EXPECT_EQ(hp.rope, rope_layout::adjacent_pairs);
    test::temp_dir dir;
    test::write_file(dir.file("shape.json"), small_shape);
    auto from_file = synth_shape(dir.file("shape.json"));
    ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
    EXPECT_EQ(from_file->n_ff, 512);
}

TEST(synth_shape, bad_specs_are_errors_naming_the_problem) {
    test::expect_error(synth_shape("llama-7b"), errc::invalid_argument, "unknown shape 'llama-7b'");
    test::expect_error(synth_shape(""), errc::invalid_argument, "unknown shape");
    test::expect_error(synth_shape("{\"hidden_size\": 64,"), errc::format, "invalid JSON");
    test::expect_error(synth_shape("[1, 2]"), errc::invalid_argument, "unknown shape");
    test::expect_error(synth_shape(R"({"hidden_size": 64})"), errc::format, "vocab_size");
    test::expect_error(
        synth_shape(R"({"hidden_size": 65, "num_hidden_layers": 1, "num_attention_heads": 4,
                        "intermediate_size": 8, "vocab_size": 10})"),
        errc::format, "not a multiple of num_attention_heads");
    test::expect_error(
        synth_shape(R"({"hidden_size": 64, "num_hidden_layers": 0, "num_attention_heads": 4,
                        "intermediate_size": 8, "vocab_size": 10})"),
        errc::format, "num_hidden_layers");
    test::expect_error(
        synth_shape(R"({"hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                        "num_key_value_heads": 3, "intermediate_size": 8, "vocab_size": 10})"),
        errc::format, "num_key_value_heads");
}

TEST(synth, weights_are_normal_with_std_0_02_and_norms_are_one) {
    auto m = model_synth(small_hparams(), small_params());
    ASSERT_TRUE(m.has_value()) << m.error().message;
    ASSERT_TRUE(model_source_validate(*m).has_value());
    double n = 0, sum = 0, sum2 = 0, sum4 = 0, beyond3 = 0;
    for (const auto& [name, t] : m->tensors) {
        ASSERT_EQ(t.type, kernels::ggml_type::f32) << name;
        const auto* x = static_cast<const float*>(t.data);
        if (name.find("norm") != std::string::npos) {
            for (int64_t i = 0; i < t.numel(); ++i) ASSERT_EQ(x[i], 1.0f) << name;
            continue;
        }
        for (int64_t i = 0; i < t.numel(); ++i) {
            const double v = x[i] / 0.02;
            n += 1, sum += v, sum2 += v * v, sum4 += v * v * v * v;
            beyond3 += std::fabs(v) > 3;
        }
    }
    const double mean = sum / n, var = sum2 / n;
    EXPECT_NEAR(mean, 0.0, 0.01);
    EXPECT_NEAR(std::sqrt(var), 1.0, 0.01);  // std 0.02 within 1%
    EXPECT_NEAR(sum4 / n / (var * var), 3.0, 0.05);
    EXPECT_NEAR(beyond3 / n, 0.0027, 0.0005);  // a normal tail, not a clipped one
}

TEST(synth, bytes_depend_on_the_seed_only) {
    const auto hp = small_hparams();
    auto p = small_params(quantize_ftype::q4_k_m);
    auto two = model_synth(hp, p);
    p.n_threads = 1;
    auto one = model_synth(hp, p);
    p.seed = 8;
    auto other = model_synth(hp, p);
    ASSERT_TRUE(two && one && other);
    for (const auto& [name, t] : two->tensors) {
        const auto a = bytes_of(t), b = bytes_of(*one->find(name));
        EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << name;
    }
    const auto a = bytes_of(*two->find("blk.0.attn_q.weight"));
    const auto c = bytes_of(*other->find("blk.0.attn_q.weight"));
    EXPECT_FALSE(std::equal(a.begin(), a.end(), c.begin(), c.end()));
}

TEST(synth, written_file_holds_the_in_memory_model_and_the_vocabulary) {
    test::temp_dir dir;
    const auto hp = small_hparams();
    const auto p = small_params(quantize_ftype::q8_0);
    int64_t calls = 0;
    auto stats = model_synth_write(hp, dir.file("m.gguf"), p,
                                   [&](const synth_tensor_report&, int64_t done, int64_t total) {
                                       EXPECT_EQ(done, ++calls);
                                       EXPECT_EQ(total, 4 * 9 + 3);
                                       return true;
                                   });
    ASSERT_TRUE(stats.has_value()) << stats.error().message;
    EXPECT_FALSE(stats->cancelled);
    EXPECT_EQ(stats->n_tensors, 4 * 9 + 3);
    auto file = model_source_load(dir.file("m.gguf"));
    auto mem = model_synth(hp, p);
    ASSERT_TRUE(file && mem);
    EXPECT_EQ(file->hparams.n_embd, 256);
    EXPECT_EQ(file->hparams.n_head_kv, 2);
    EXPECT_EQ(file->hparams.n_ctx_train, 128);
    EXPECT_FLOAT_EQ(file->hparams.rms_norm_eps, 1e-5f);
    ASSERT_TRUE(file->vocab);
    EXPECT_EQ(file->vocab->n_vocab(), 512);
    EXPECT_EQ(file->n_bytes(), stats->n_bytes);
    ASSERT_EQ(file->tensors.size(), mem->tensors.size());
    for (const auto& [name, t] : mem->tensors) {
        const tensor_view* f = file->find(name);
        ASSERT_TRUE(f) << name;
        EXPECT_EQ(f->type, t.type) << name;
        const auto a = bytes_of(t), b = bytes_of(*f);
        EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << name;
    }
    auto g = gguf::file::open(dir.file("m.gguf"));
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->get_int("general.file_type"), static_cast<int64_t>(quantize_ftype::q8_0));
    EXPECT_EQ(g->tensors().front().name, "token_embd.weight");
    EXPECT_EQ(g->tensors().back().name, "output.weight");
}

TEST(synth, quantized_types_are_the_ones_prism_quantize_picks) {
    test::temp_dir dir;
    const auto hp = small_hparams();
    ASSERT_TRUE(model_synth_write(hp, dir.file("f32.gguf"), small_params()).has_value());
    for (auto t : {quantize_ftype::q4_k_m, quantize_ftype::q4_0, quantize_ftype::q5_k_m,
                   quantize_ftype::f16, quantize_ftype::bf16, quantize_ftype::q6_k}) {
        const std::string name(quantize_ftype_name(t));
        SCOPED_TRACE(name);
        auto q = model_quantize(dir.file("f32.gguf"), dir.file("q.gguf"), {.ftype = t});
        ASSERT_TRUE(q.has_value()) << q.error().message;
        auto synth = model_synth(hp, small_params(t));
        ASSERT_TRUE(synth.has_value()) << synth.error().message;
        for (const auto& r : q->tensors) EXPECT_EQ(synth->find(r.name)->type, r.type_out) << r.name;
    }
    auto m = model_synth(hp, small_params(quantize_ftype::q4_k_m));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->find("output.weight")->type, kernels::ggml_type::q6_k);
    EXPECT_EQ(m->find("blk.0.attn_v.weight")->type, kernels::ggml_type::q4_k);
    EXPECT_EQ(m->find("blk.3.ffn_down.weight")->type, kernels::ggml_type::q6_k);
}

TEST(synth, vocabulary_must_match_the_shape) {
    const auto hp = small_hparams();  // 512 tokens
    auto p = small_params();
    p.vocab_path = "";  // the bundled Llama 2 vocabulary: 32000 tokens
    test::expect_error(model_synth(hp, p), errc::invalid_argument,
                       "has 32000 tokens but the shape's vocab_size is 512");
    p.vocab_path = test::shared_path("models/stories260K/missing.gguf");
    test::expect_error(model_synth(hp, p), errc::io, "missing.gguf");
    auto llama2 = model_synth(
        *synth_shape(R"({"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                         "intermediate_size": 32, "vocab_size": 32000})"),
        {.vocab_path = ""});
    ASSERT_TRUE(llama2.has_value()) << llama2.error().message;
    ASSERT_TRUE(llama2->vocab);
    EXPECT_EQ(llama2->vocab->kind(), "llama");
    EXPECT_EQ(llama2->vocab->n_vocab(), 32000);
}

TEST(synth, errors_and_cancellation_leave_no_file) {
    test::temp_dir dir;
    const auto hp = small_hparams();
    const std::string out = dir.file("m.gguf");
    auto stats = model_synth_write(
        hp, out, small_params(),
        [](const synth_tensor_report&, int64_t done, int64_t) { return done < 3; });
    ASSERT_TRUE(stats.has_value()) << stats.error().message;
    EXPECT_TRUE(stats->cancelled);
    llama_hparams bad = hp;
    bad.n_head_kv = 3;
    test::expect_error(model_synth_write(bad, out, small_params()), errc::invalid_argument,
                       "n_head_kv");
    test::expect_error(model_synth_write(hp, dir.file("no/such/folder/m.gguf"), small_params()),
                       errc::io, "does not exist");
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// A shape file may nest arrays deeper than any recursive walk survives; the shape is still
// read (unknown keys are ignored, as in config.json) and nothing re-serializes the nesting.
TEST(synth_shape, deeply_nested_unknown_key_does_not_exhaust_the_stack) {
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    auto hp = synth_shape(R"({"a": )" + deep + R"(, "hidden_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 512})");
    ASSERT_TRUE(hp.has_value()) << hp.error().message;
    EXPECT_EQ(hp->n_embd, 64);
    auto bad = synth_shape(R"({"hidden_size": )" + deep + R"(, "num_hidden_layers": 1,
        "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 512})");
    test::expect_error(bad, errc::format, "an array of 1");
}
