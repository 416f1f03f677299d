// The bundled GGUF model written as a Hugging Face folder (config.json + model.safetensors
// + tokenizer.model) loads back with the rotate-half RoPE layout and gives the same logits
// as the GGUF file, which uses adjacent pairs. Tolerance 1e-5: the two runs do the same
// float32 arithmetic on permuted rows, so only summation order inside RoPE-free dot products
// could differ (it does not: the permutation keeps each dot product's element order).
#include <gtest/gtest.h>

#include <filesystem>

#include "prism/hf_config.h"
#include "prism/llama.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;

namespace {

std::vector<std::vector<float>> all_logits(const std::shared_ptr<const llama_model>& m,
                                           const std::vector<int32_t>& tokens) {
    auto ctx = llama_context::create(m, {.n_ctx = 64});
    EXPECT_TRUE(ctx.has_value());
    llama_batch b;
    for (size_t i = 0; i < tokens.size(); ++i) b.add(tokens[i], static_cast<int32_t>(i), 0, true);
    EXPECT_TRUE((*ctx)->decode(b).has_value());
    std::vector<std::vector<float>> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
        auto l = (*ctx)->logits(static_cast<int32_t>(i));
        out.emplace_back(l.begin(), l.end());
    }
    return out;
}

}  // namespace

TEST(hf_roundtrip, bundled_model_as_hf_folder_gives_the_same_logits) {
    auto gguf = llama_model::load(test::bundled_model());
    ASSERT_TRUE(gguf.has_value());
    test::temp_dir dir;
    const auto folder = dir.file("stories260K-hf");
    auto ok = hf_export_llama((*gguf)->source(), folder);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    std::filesystem::copy_file(test::shared_path("models/stories260K/tok512.equiv.model"),
                               folder + "/tokenizer.model");
    ASSERT_TRUE(std::filesystem::exists(folder + "/config.json"));
    ASSERT_TRUE(std::filesystem::exists(folder + "/model.safetensors"));

    auto hf = llama_model::load(folder);
    ASSERT_TRUE(hf.has_value()) << hf.error().message;
    EXPECT_EQ((*hf)->hparams().rope, rope_layout::rotate_half);
    EXPECT_EQ((*hf)->source().format, "safetensors");
    EXPECT_EQ((*hf)->hparams().n_head_kv, 4);

    const std::vector<int32_t> tokens{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};
    const auto a = all_logits(*gguf, tokens), b = all_logits(*hf, tokens);
    // The folder's q/k rows are permuted, so the GEMM forms those rows in other register
    // tiles and float32 rounding differs: allow 4e-6 relative to the logit scale (|logit| up
    // to ~10 here), i.e. 4e-5 absolute; a wrong RoPE pairing or weight differs by O(1).
    for (size_t p = 0; p < tokens.size(); ++p)
        for (size_t v = 0; v < a[p].size(); ++v)
            ASSERT_NEAR(a[p][v], b[p][v], 4e-5) << "position " << p << " token " << v;

    // Same tokenization through the folder's SentencePiece model.
    EXPECT_EQ((*hf)->vocab().encode("Once upon a time"),
              (std::vector<int32_t>{1, 403, 407, 261, 378}));
}

TEST(hf_roundtrip, rope_layout_matters) {
    // Guard against a test that passes trivially: the HF folder read with the GGUF pairing
    // would give different logits.
    auto gguf = llama_model::load(test::bundled_model());
    ASSERT_TRUE(gguf.has_value());
    test::temp_dir dir;
    const auto folder = dir.file("hf");
    ASSERT_TRUE(hf_export_llama((*gguf)->source(), folder).has_value());
    std::filesystem::copy_file(test::shared_path("models/stories260K/tok512.equiv.model"),
                               folder + "/tokenizer.model");
    auto src = model_source_load(folder);
    ASSERT_TRUE(src.has_value());
    src->hparams.rope = rope_layout::adjacent_pairs;
    auto wrong = llama_model::from_source(std::move(*src));
    ASSERT_TRUE(wrong.has_value());
    const std::vector<int32_t> tokens{1, 403, 407, 261, 378};
    const auto a = all_logits(*gguf, tokens), b = all_logits(*wrong, tokens);
    double diff = 0;
    for (size_t v = 0; v < a[4].size(); ++v)
        diff = std::max(diff, static_cast<double>(std::fabs(a[4][v] - b[4][v])));
    EXPECT_GT(diff, 1e-3);
}
