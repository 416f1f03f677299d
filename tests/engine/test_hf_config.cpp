// Hugging Face config.json parsing/writing, and the HF exporter: the exported q/k rows must
// give, under rotate-half RoPE, exactly the attention scores the source gives under
// adjacent-pair RoPE (checked with both RoPE variants written out here independently).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "expect_error.h"
#include "prism/hf_config.h"
#include "prism/safetensors.h"
#include "test_util.h"
#include "tiny_model.h"

namespace {

using prism::errc;
using prism::rope_layout;
using prism::test::expect_error;
using prism::test::tiny_model;

// A stories260K-like config: GQA (8 heads, 4 KV heads), tied classifier.
const std::string stories_config = R"({
  "architectures": ["LlamaForCausalLM"],
  "model_type": "llama",
  "hidden_size": 64,
  "intermediate_size": 172,
  "num_hidden_layers": 5,
  "num_attention_heads": 8,
  "num_key_value_heads": 4,
  "vocab_size": 512,
  "max_position_embeddings": 512,
  "rms_norm_eps": 1e-05,
  "tie_word_embeddings": true,
  "bos_token_id": 1,
  "eos_token_id": 2,
  "torch_dtype": "float32"
})";

// Replaces the first occurrence of `from` in `s` by `to`.
std::string edit(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

std::string temp_dir(const std::string& name) {
    return prism::test::process_temp_dir().subdir(name);
}

TEST(hf_config, parses_tied_gqa_config) {
    auto c = prism::hf_config_parse(stories_config);
    ASSERT_TRUE(c) << c.error().message;
    const auto& hp = c->hparams;
    EXPECT_EQ(hp.n_vocab, 512);
    EXPECT_EQ(hp.n_embd, 64);
    EXPECT_EQ(hp.n_ff, 172);
    EXPECT_EQ(hp.n_layer, 5);
    EXPECT_EQ(hp.n_head, 8);
    EXPECT_EQ(hp.n_head_kv, 4);
    EXPECT_EQ(hp.head_dim(), 8);
    EXPECT_EQ(hp.n_rot, 8);
    EXPECT_EQ(hp.n_ctx_train, 512);
    EXPECT_FLOAT_EQ(hp.rms_norm_eps, 1e-5f);
    EXPECT_FLOAT_EQ(hp.rope_theta, 10000.f);
    EXPECT_EQ(hp.rope, rope_layout::rotate_half);
    EXPECT_TRUE(hp.tied_output);
    EXPECT_EQ(c->bos_token_id, 1);
    EXPECT_EQ(c->eos_token_ids, std::vector<int32_t>{2});
    EXPECT_EQ(c->torch_dtype, "float32");
    ASSERT_FALSE(c->entries.empty());
    EXPECT_EQ(c->entries.front().first, "architectures");
}

TEST(hf_config, defaults_untied_and_eos_list) {
    std::string text = edit(stories_config, "\"num_key_value_heads\": 4,\n", "");
    text = edit(text, "\"tie_word_embeddings\": true,\n", "");
    text = edit(text, "\"eos_token_id\": 2", "\"eos_token_id\": [2, 7], \"rope_theta\": 500000.0");
    text = edit(text, "\"max_position_embeddings\": 512,\n", "\"bos_token_id_unused\": null,\n");
    auto c = prism::hf_config_parse(text);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->hparams.n_head_kv, 8);  // defaults to num_attention_heads
    EXPECT_FALSE(c->hparams.tied_output);
    EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{2, 7}));
    EXPECT_FLOAT_EQ(c->hparams.rope_theta, 500000.f);
    EXPECT_EQ(c->hparams.n_ctx_train, 2048);  // LlamaConfig default
}

TEST(hf_config, model_type_llama_without_architectures) {
    auto c = prism::hf_config_parse(
        edit(stories_config, "\"architectures\": [\"LlamaForCausalLM\"],\n", ""));
    ASSERT_TRUE(c) << c.error().message;
    c = prism::hf_config_parse(
        edit(edit(stories_config, "\"architectures\": [\"LlamaForCausalLM\"],\n", ""),
             "\"bos_token_id\": 1", "\"bos_token_id\": null"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->bos_token_id, -1);
}

TEST(hf_config, missing_required_key_names_it) {
    expect_error(prism::hf_config_parse(edit(stories_config, "\"hidden_size\": 64,\n", "")),
                 errc::format, "\"hidden_size\" is missing");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"vocab_size\": 512,\n", "")),
                 errc::format, "\"vocab_size\" is missing");
}

TEST(hf_config, rejects_bad_values) {
    expect_error(
        prism::hf_config_parse(edit(stories_config, "\"hidden_size\": 64", "\"hidden_size\": 60")),
        errc::format, "not a multiple of num_attention_heads");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"num_key_value_heads\": 4",
                                             "\"num_key_value_heads\": 3")),
                 errc::format, "num_key_value_heads");
    expect_error(prism::hf_config_parse(
                     edit(stories_config, "\"hidden_size\": 64", "\"hidden_size\": \"64\"")),
                 errc::format, "\"hidden_size\" must be an integer");
    expect_error(prism::hf_config_parse(
                     edit(stories_config, "\"num_hidden_layers\": 5", "\"num_hidden_layers\": -5")),
                 errc::format, "num_hidden_layers");
    expect_error(prism::hf_config_parse(
                     edit(stories_config, "\"vocab_size\": 512", "\"vocab_size\": 99999999999")),
                 errc::format, "vocab_size");
    expect_error(prism::hf_config_parse(
                     edit(stories_config, "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": 0")),
                 errc::format, "rms_norm_eps");
    expect_error(prism::hf_config_parse(
                     edit(stories_config, "\"eos_token_id\": 2", "\"eos_token_id\": [2, 512]")),
                 errc::format, "eos_token_id");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"tie_word_embeddings\": true",
                                             "\"tie_word_embeddings\": 1")),
                 errc::format, "tie_word_embeddings");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"hidden_size\": 64",
                                             "\"hidden_size\": 64, \"hidden_size\": 64")),
                 errc::format, "duplicate key \"hidden_size\"");
    expect_error(prism::hf_config_parse("[1]"), errc::format, "not a JSON object");
    expect_error(prism::hf_config_parse("{\"a\": "), errc::format, "invalid JSON");
}

TEST(hf_config, rejects_other_architectures_and_features) {
    expect_error(
        prism::hf_config_parse(edit(edit(stories_config, "LlamaForCausalLM", "MistralForCausalLM"),
                                    "\"model_type\": \"llama\"", "\"model_type\": \"mistral\"")),
        errc::unsupported, "MistralForCausalLM");
    expect_error(prism::hf_config_parse(
                     edit(stories_config, "\"rms_norm_eps\"",
                          "\"rope_scaling\": {\"rope_type\": \"llama3\"}, \"rms_norm_eps\"")),
                 errc::unsupported, "rope_scaling");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"rms_norm_eps\"",
                                             "\"attention_bias\": true, \"rms_norm_eps\"")),
                 errc::unsupported, "attention_bias");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"rms_norm_eps\"",
                                             "\"hidden_act\": \"gelu\", \"rms_norm_eps\"")),
                 errc::unsupported, "gelu");
    expect_error(prism::hf_config_parse(edit(stories_config, "\"rms_norm_eps\"",
                                             "\"head_dim\": 16, \"rms_norm_eps\"")),
                 errc::unsupported, "head_dim");
}

TEST(hf_config, to_json_round_trip) {
    auto c = prism::hf_config_parse(stories_config);
    ASSERT_TRUE(c);
    c->eos_token_ids = {2, 3};
    auto text = prism::hf_config_to_json(*c);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_NE(text->find("\"rms_norm_eps\": 1e-05"), std::string::npos) << *text;
    auto back = prism::hf_config_parse(*text);
    ASSERT_TRUE(back) << back.error().message << "\n" << *text;
    EXPECT_EQ(back->hparams.n_head_kv, 4);
    EXPECT_EQ(back->hparams.n_ctx_train, 512);
    EXPECT_FLOAT_EQ(back->hparams.rms_norm_eps, 1e-5f);
    EXPECT_TRUE(back->hparams.tied_output);
    EXPECT_EQ(back->bos_token_id, 1);
    EXPECT_EQ(back->eos_token_ids, (std::vector<int32_t>{2, 3}));

    prism::hf_llama_config bad = *c;
    bad.hparams.n_head_kv = 3;
    EXPECT_FALSE(prism::hf_config_to_json(bad));
}

TEST(hf_config, load_reports_missing_file) {
    auto r = prism::hf_config_load("/nonexistent/config.json");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::io);
}

// ---- export -----------------------------------------------------------------------------

tiny_model make_tiny(bool with_output) {
    return prism::test::make_tiny_model(
        {.n_vocab = 10, .n_ctx_train = 32, .with_output = with_output, .seed = 42});
}

// y = W x for a row-major [rows, n_in] matrix.
std::vector<float> matvec(const float* w, int64_t rows, int64_t n_in, const std::vector<float>& x) {
    std::vector<float> y(static_cast<size_t>(rows), 0.f);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < n_in; ++i) y[r] += w[r * n_in + i] * x[i];
    }
    return y;
}

// RoPE on every head of `v` (head_dim d) at position pos, in either layout.
void rope(std::vector<float>& v, int64_t d, int pos, rope_layout layout, float theta) {
    for (size_t h = 0; h < v.size() / d; ++h) {
        float* x = v.data() + h * d;
        for (int64_t i = 0; i < d / 2; ++i) {
            const float angle = pos * std::pow(theta, -2.f * i / d);
            const float c = std::cos(angle), s = std::sin(angle);
            const int64_t a = layout == rope_layout::adjacent_pairs ? 2 * i : i;
            const int64_t b = layout == rope_layout::adjacent_pairs ? 2 * i + 1 : i + d / 2;
            const float x0 = x[a], x1 = x[b];
            x[a] = x0 * c - x1 * s;
            x[b] = x0 * s + x1 * c;
        }
    }
}

TEST(hf_export, writes_hf_names_shapes_and_config) {
    tiny_model t = make_tiny(true);
    const std::string dir = temp_dir("untied");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir, 1, {2}));
    auto c = prism::hf_config_load(dir + "/config.json");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->hparams.n_head_kv, 2);
    EXPECT_FALSE(c->hparams.tied_output);
    EXPECT_EQ(c->bos_token_id, 1);
    EXPECT_EQ(c->eos_token_ids, std::vector<int32_t>{2});

    auto f = prism::safetensors::file::open(dir + "/model.safetensors");
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->tensors().size(), 3u + 2u * 9u);
    ASSERT_FALSE(f->metadata().empty());
    EXPECT_EQ(f->metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
    const auto* embd = f->find("model.embed_tokens.weight");
    ASSERT_NE(embd, nullptr);
    EXPECT_EQ(embd->shape, (std::vector<int64_t>{10, 16}));  // PyTorch [vocab, hidden]
    EXPECT_EQ(std::memcmp(embd->data, t.m.find("token_embd.weight")->data, embd->nbytes), 0);
    const auto* down = f->find("model.layers.1.mlp.down_proj.weight");
    ASSERT_NE(down, nullptr);
    EXPECT_EQ(down->shape, (std::vector<int64_t>{16, 24}));
    ASSERT_NE(f->find("lm_head.weight"), nullptr);
    ASSERT_NE(f->find("model.norm.weight"), nullptr);
    EXPECT_EQ(f->find("model.norm.weight")->shape, std::vector<int64_t>{16});
    // v is not permuted.
    const auto* v = f->find("model.layers.0.self_attn.v_proj.weight");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(std::memcmp(v->data, t.m.find("blk.0.attn_v.weight")->data, v->nbytes), 0);
}

TEST(hf_export, tied_model_has_no_lm_head) {
    tiny_model t = make_tiny(false);
    const std::string dir = temp_dir("tied");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir));
    auto c = prism::hf_config_load(dir + "/config.json");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_TRUE(c->hparams.tied_output);
    EXPECT_EQ(c->bos_token_id, -1);
    auto f = prism::safetensors::file::open(dir + "/model.safetensors");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->find("lm_head.weight"), nullptr);
}

TEST(hf_export, rotate_half_weights_give_identical_attention_scores) {
    tiny_model t = make_tiny(true);
    const std::string dir = temp_dir("rope");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir));
    auto f = prism::safetensors::file::open(dir + "/model.safetensors");
    ASSERT_TRUE(f);
    const auto& hp = t.m.hparams;
    const int64_t d = hp.head_dim();
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (int layer = 0; layer < hp.n_layer; ++layer) {
        const std::string b = "blk." + std::to_string(layer) + ".";
        const std::string hb = "model.layers." + std::to_string(layer) + ".self_attn.";
        const auto* q_gguf = static_cast<const float*>(t.m.find(b + "attn_q.weight")->data);
        const auto* k_gguf = static_cast<const float*>(t.m.find(b + "attn_k.weight")->data);
        const auto* q_hf = reinterpret_cast<const float*>(f->find(hb + "q_proj.weight")->data);
        const auto* k_hf = reinterpret_cast<const float*>(f->find(hb + "k_proj.weight")->data);
        ASSERT_EQ(f->find(hb + "k_proj.weight")->shape,
                  (std::vector<int64_t>{hp.n_head_kv * d, hp.n_embd}));
        for (int trial = 0; trial < 4; ++trial) {
            std::vector<float> xq(16), xk(16);
            for (auto& x : xq) x = dist(rng);
            for (auto& x : xk) x = dist(rng);
            const int pq = 3 + 5 * trial, pk = trial;
            auto qa = matvec(q_gguf, hp.n_head * d, hp.n_embd, xq);
            auto ka = matvec(k_gguf, hp.n_head_kv * d, hp.n_embd, xk);
            auto qh = matvec(q_hf, hp.n_head * d, hp.n_embd, xq);
            auto kh = matvec(k_hf, hp.n_head_kv * d, hp.n_embd, xk);
            rope(qa, d, pq, rope_layout::adjacent_pairs, hp.rope_theta);
            rope(ka, d, pk, rope_layout::adjacent_pairs, hp.rope_theta);
            rope(qh, d, pq, rope_layout::rotate_half, hp.rope_theta);
            rope(kh, d, pk, rope_layout::rotate_half, hp.rope_theta);
            for (int h = 0; h < hp.n_head; ++h) {
                const int kv = h / (hp.n_head / hp.n_head_kv);
                float sa = 0, sh = 0;
                for (int64_t i = 0; i < d; ++i) {
                    sa += qa[h * d + i] * ka[kv * d + i];
                    sh += qh[h * d + i] * kh[kv * d + i];
                }
                EXPECT_NEAR(sa, sh, 1e-4f) << "layer " << layer << " head " << h;
            }
            // Element-wise: HF element j of a head is GGUF element 2j, d/2 + j is 2j + 1.
            for (int h = 0; h < hp.n_head; ++h) {
                for (int64_t j = 0; j < d / 2; ++j) {
                    EXPECT_NEAR(qh[h * d + j], qa[h * d + 2 * j], 1e-5f);
                    EXPECT_NEAR(qh[h * d + d / 2 + j], qa[h * d + 2 * j + 1], 1e-5f);
                }
            }
        }
    }
}

TEST(hf_export, rotate_half_source_is_copied_unpermuted) {
    tiny_model t = make_tiny(true);
    t.m.hparams.rope = rope_layout::rotate_half;
    const std::string dir = temp_dir("already_hf");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir));
    auto f = prism::safetensors::file::open(dir + "/model.safetensors");
    ASSERT_TRUE(f);
    const auto* q = f->find("model.layers.0.self_attn.q_proj.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(std::memcmp(q->data, t.m.find("blk.0.attn_q.weight")->data, q->nbytes), 0);
}

TEST(hf_export, converts_f16_tensors) {
    tiny_model t = make_tiny(true);
    // Replace the output norm with an f16 copy.
    auto& v = t.m.tensors["output_norm.weight"];
    auto half = std::make_shared<std::vector<uint16_t>>();
    const auto* src = static_cast<const float*>(v.data);
    for (int i = 0; i < 16; ++i) half->push_back(prism::kernels::fp32_to_fp16(src[i]));
    v.type = prism::kernels::ggml_type::f16;
    v.data = half->data();
    v.nbytes = 32;
    const std::string dir = temp_dir("f16");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir));
    auto f = prism::safetensors::file::open(dir + "/model.safetensors");
    ASSERT_TRUE(f);
    const auto* norm = f->find("model.norm.weight");
    ASSERT_NE(norm, nullptr);
    EXPECT_EQ(norm->type, prism::kernels::ggml_type::f32);
    float first;
    std::memcpy(&first, norm->data, 4);
    EXPECT_EQ(first, prism::kernels::fp16_to_fp32((*half)[0]));
}

TEST(hf_export, rejects_unknown_tensor_and_bad_hparams) {
    tiny_model t = make_tiny(true);
    t.m.tensors["blk.0.attn_q.bias"] = t.m.tensors["output_norm.weight"];
    auto r = prism::hf_export_llama(t.m, temp_dir("bad1"));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("blk.0.attn_q.bias"), std::string::npos);

    tiny_model u = make_tiny(true);
    u.m.hparams.n_head_kv = 3;
    EXPECT_FALSE(prism::hf_export_llama(u.m, temp_dir("bad2")));
}

}  // namespace
