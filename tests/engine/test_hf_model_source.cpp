// model_source_from_hf: Hugging Face folders (single file, sharded with an index, with a
// SentencePiece tokenizer) read back into GGUF names and ne shapes, and malformed folders.
// Folders are built with hf_export_llama and safetensors::writer from a small random model.
//
// PENDING: this test links model_source_from_hf, which needs tokenizer::from_sentencepiece,
// and model_source_from_gguf (both on helper/tok). Move it to tests/engine/ once merged.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "expect_error.h"
#include "prism/hf_config.h"
#include "prism/model_source.h"
#include "prism/safetensors.h"
#include "prism/tokenizer.h"
#include "test_paths.h"
#include "test_util.h"
#include "tiny_model.h"

namespace {

namespace fs = std::filesystem;
using prism::errc;
using prism::rope_layout;
using prism::kernels::ggml_type;
using prism::test::expect_error;
using prism::test::tiny_model;
using prism::test::write_file;

std::string temp_dir(const std::string& name) {
    return prism::test::process_temp_dir().subdir(name);
}

tiny_model make_tiny(bool with_output) {
    return prism::test::make_tiny_model(
        {.n_vocab = 512, .n_ctx_train = 64, .with_output = with_output, .seed = 1234});
}

TEST(hf_model_source, reads_exported_folder_in_gguf_naming) {
    tiny_model t = make_tiny(true);
    const std::string dir = temp_dir("single");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir, 1, {2}));
    auto m = prism::model_source_from_hf(dir);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->format, "safetensors");
    EXPECT_EQ(m->name, "single");
    EXPECT_EQ(m->hparams.rope, rope_layout::rotate_half);
    EXPECT_EQ(m->hparams.n_head_kv, 2);
    EXPECT_FALSE(m->hparams.tied_output);
    EXPECT_EQ(m->vocab, nullptr);
    ASSERT_EQ(m->tensors.size(), t.m.tensors.size());
    for (const auto& [name, src] : t.m.tensors) {
        const prism::tensor_view* v = m->find(name);
        ASSERT_NE(v, nullptr) << name;
        EXPECT_EQ(v->type, ggml_type::f32);
        EXPECT_EQ(v->n_dims, src.n_dims) << name;
        EXPECT_EQ(v->ne, src.ne) << name;
        ASSERT_EQ(v->nbytes, src.nbytes) << name;
        const bool permuted = name.ends_with("attn_q.weight") || name.ends_with("attn_k.weight");
        EXPECT_EQ(std::memcmp(v->data, src.data, src.nbytes) == 0, !permuted) << name;
    }
    // q rows: HF row j of a head is GGUF row 2j.
    const auto* q = static_cast<const float*>(m->find("blk.0.attn_q.weight")->data);
    const auto* q0 = static_cast<const float*>(t.m.find("blk.0.attn_q.weight")->data);
    EXPECT_EQ(std::memcmp(q + 1 * 16, q0 + 2 * 16, 16 * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(q + 2 * 16, q0 + 1 * 16, 16 * sizeof(float)), 0);
}

TEST(hf_model_source, tied_when_lm_head_absent) {
    tiny_model t = make_tiny(false);
    const std::string dir = temp_dir("tied");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir));
    auto m = prism::model_source_from_hf(dir);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_TRUE(m->hparams.tied_output);
    EXPECT_EQ(m->find("output.weight"), nullptr);
}

TEST(hf_model_source, sharded_folder_with_index) {
    tiny_model t = make_tiny(true);
    const std::string src = temp_dir("export");
    ASSERT_TRUE(prism::hf_export_llama(t.m, src));
    auto whole = prism::safetensors::file::open(src + "/model.safetensors");
    ASSERT_TRUE(whole);
    const std::string dir = temp_dir("sharded");
    fs::copy_file(src + "/config.json", dir + "/config.json");
    prism::safetensors::writer a, b;
    std::string map;
    for (const auto& tensor : whole->tensors()) {
        const bool first = tensor.name.find("layers.1.") == std::string::npos;
        auto& w = first ? a : b;
        ASSERT_TRUE(
            w.add_tensor(tensor.name, tensor.type, tensor.shape, tensor.data, tensor.nbytes));
        map += std::string(map.empty() ? "" : ",") + "\"" + tensor.name + "\": \"" +
               (first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors") +
               "\"";
    }
    ASSERT_TRUE(a.write(dir + "/model-00001-of-00002.safetensors"));
    ASSERT_TRUE(b.write(dir + "/model-00002-of-00002.safetensors"));
    write_file(dir + "/model.safetensors.index.json",
               "{\"metadata\": {\"total_size\": 1}, \"weight_map\": {" + map + "}}");
    auto m = prism::model_source_from_hf(dir);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->tensors.size(), t.m.tensors.size());
    EXPECT_EQ(m->owners.size(), 2u);

    // An index entry whose shard lacks the tensor.
    write_file(dir + "/model.safetensors.index.json",
               "{\"weight_map\": {\"model.norm.weight\": \"model-00002-of-00002.safetensors\"}}");
    expect_error(prism::model_source_from_hf(dir), errc::format, "model.norm.weight");
    // A shard path outside the folder.
    write_file(dir + "/model.safetensors.index.json",
               "{\"weight_map\": {\"model.norm.weight\": \"../export/model.safetensors\"}}");
    expect_error(prism::model_source_from_hf(dir), errc::format, "outside the folder");
}

TEST(hf_model_source, loads_sentencepiece_tokenizer) {
    tiny_model t = make_tiny(true);
    const std::string dir = temp_dir("with_tok");
    ASSERT_TRUE(prism::hf_export_llama(t.m, dir));
    fs::copy_file(prism::test::shared_path("models/stories260K/tok512.equiv.model"),
                  dir + "/tokenizer.model");
    auto m = prism::model_source_from_hf(dir);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_NE(m->vocab, nullptr);
    EXPECT_EQ(m->vocab->n_vocab(), 512);
}

TEST(hf_model_source, rejects_bad_folders) {
    expect_error(prism::model_source_from_hf("/nonexistent/folder"), errc::io, "not a folder");

    const std::string empty = temp_dir("no_weights");
    expect_error(prism::model_source_from_hf(empty), errc::io, "config.json");
    tiny_model t = make_tiny(true);
    ASSERT_TRUE(prism::hf_export_llama(t.m, empty));
    fs::remove(empty + "/model.safetensors");
    expect_error(prism::model_source_from_hf(empty), errc::format, "no *.safetensors");

    // Git LFS pointer in place of the weights.
    write_file(empty + "/model.safetensors",
               "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 100\n");
    expect_error(prism::model_source_from_hf(empty), errc::format, "Git LFS pointer");

    // An unknown tensor, and a layer beyond num_hidden_layers.
    const float v[16] = {};
    prism::safetensors::writer w;
    ASSERT_TRUE(w.add_tensor("model.layers.0.self_attn.q_proj.bias", ggml_type::f32, {16}, v, 64));
    ASSERT_TRUE(w.write(empty + "/model.safetensors"));
    expect_error(prism::model_source_from_hf(empty), errc::unsupported,
                 "model.layers.0.self_attn.q_proj.bias");
    prism::safetensors::writer w2;
    ASSERT_TRUE(
        w2.add_tensor("model.layers.7.input_layernorm.weight", ggml_type::f32, {16}, v, 64));
    ASSERT_TRUE(w2.write(empty + "/model.safetensors"));
    expect_error(prism::model_source_from_hf(empty), errc::format, "layer 7");
}

// The real stories260K (GGUF, adjacent pairs, explicit output.weight) exported to HF and read
// back: same hyperparameters and tensors, q/k rows permuted per head, the others bit-equal.
TEST(hf_model_source, stories260K_gguf_round_trip) {
    auto src = prism::model_source_from_gguf(
        prism::test::shared_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(src) << src.error().message;
    const std::string dir = temp_dir("stories260K");
    ASSERT_TRUE(prism::hf_export_llama(*src, dir));
    fs::copy_file(prism::test::shared_path("models/stories260K/tok512.equiv.model"),
                  dir + "/tokenizer.model");
    auto m = prism::model_source_from_hf(dir);
    ASSERT_TRUE(m) << m.error().message;
    const auto& a = src->hparams;
    const auto& b = m->hparams;
    EXPECT_EQ(b.n_vocab, 512);
    EXPECT_EQ(b.n_layer, a.n_layer);
    EXPECT_EQ(b.n_head, a.n_head);
    EXPECT_EQ(b.n_head_kv, 4);
    EXPECT_EQ(b.n_ctx_train, a.n_ctx_train);
    EXPECT_EQ(b.n_rot, a.n_rot);
    EXPECT_FLOAT_EQ(b.rms_norm_eps, a.rms_norm_eps);
    EXPECT_FLOAT_EQ(b.rope_theta, a.rope_theta);
    EXPECT_EQ(b.tied_output, a.tied_output);
    EXPECT_EQ(b.rope, rope_layout::rotate_half);
    ASSERT_NE(m->vocab, nullptr);
    EXPECT_EQ(m->vocab->n_vocab(), 512);
    ASSERT_EQ(m->tensors.size(), src->tensors.size());
    const int64_t d = a.head_dim();
    for (const auto& [name, t] : src->tensors) {
        const prism::tensor_view* v = m->find(name);
        ASSERT_NE(v, nullptr) << name;
        ASSERT_EQ(t.type, ggml_type::f32) << name;
        EXPECT_EQ(v->ne, t.ne) << name;
        ASSERT_EQ(v->nbytes, t.nbytes) << name;
        const auto* x = static_cast<const float*>(t.data);
        const auto* y = static_cast<const float*>(v->data);
        if (!name.ends_with("attn_q.weight") && !name.ends_with("attn_k.weight")) {
            EXPECT_EQ(std::memcmp(x, y, t.nbytes), 0) << name;
            continue;
        }
        const int64_t n_in = t.ne[0];
        for (int64_t r = 0; r < t.ne[1]; ++r) {
            const int64_t h = r / d, j = r % d;
            const int64_t src_row = h * d + (j < d / 2 ? 2 * j : 2 * (j - d / 2) + 1);
            ASSERT_EQ(std::memcmp(y + r * n_in, x + src_row * n_in, n_in * sizeof(float)), 0)
                << name << " row " << r;
        }
    }
}

}  // namespace
