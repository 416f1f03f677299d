// A 2048-token capture on a random model with a realistic head layout (32 query heads over
// 8 KV heads, 2 layers): the "all heads" overview (pooled tiles) stays within the budget the
// caller sets, while the same request at full float32 precision is refused with the numbers
// instead of exhausting memory. Speed is measured in tests/bench, not asserted here.
#include <gtest/gtest.h>

#include "prism/attention_capture.h"
#include "prism/llama.h"
#include "prism/tokenizer.h"
#include "test_paths.h"

using namespace prism;

TEST(capture_long, all_heads_at_2048_tokens_within_budget) {
    const llama_hparams hp{.n_vocab = 512,
                           .n_ctx_train = 2048,
                           .n_embd = 256,
                           .n_ff = 512,
                           .n_layer = 2,
                           .n_head = 32,
                           .n_head_kv = 8,
                           .n_rot = 8};
    auto vocab = tokenizer::from_llama2c(test::stories_tok(), 512);
    ASSERT_TRUE(vocab.has_value());
    auto src = model_source_random(hp, 7, *vocab);
    ASSERT_TRUE(src.has_value()) << src.error().message;
    auto model = llama_model::from_source(std::move(*src));
    ASSERT_TRUE(model.has_value()) << model.error().message;
    auto ctx = llama_context::create(*model, {.n_ctx = 2048, .n_threads = 2});
    ASSERT_TRUE(ctx.has_value());

    const size_t budget = 64u << 20;
    auto full = attention_capture::create(hp, {.memory_budget = budget});
    auto refused = full->reserve(2048);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, errc::out_of_memory);
    EXPECT_NE(refused.error().message.find("2 layers × 32 heads for 2048 tokens"),
              std::string::npos)
        << refused.error().message;

    auto overview = attention_capture::create(hp, {.pool = 16, .memory_budget = budget});
    ASSERT_TRUE(overview.has_value());
    ASSERT_TRUE(overview->reserve(2048).has_value());
    EXPECT_LE(overview->bytes_needed(2048), budget);
    (*ctx)->set_tap(overview->tap());
    llama_batch b;
    for (int32_t i0 = 0; i0 < 2048; i0 += 256) {  // the probability rows of 256 queries at a time
        b.clear();
        for (int32_t i = i0; i < i0 + 256; ++i) b.add((i * 37) % 512, i, 0, i == 2047);
        ASSERT_TRUE((*ctx)->decode(b).has_value());
    }
    (*ctx)->set_tap({});
    ASSERT_EQ(overview->n_tokens(), 2048);
    ASSERT_EQ(overview->matrix_size(), 128);
    // Tile means: 16 query rows each summing to 1 spread over 16×16-cell tiles, so a tile row
    // sums to 16 / 256 = 1/16; tiles above the diagonal are 0.
    const auto m = overview->matrix(1, 31);
    for (int64_t i = 0; i < 128; ++i) {
        double row = 0;
        for (int64_t j = 0; j < 128; ++j) row += m[static_cast<size_t>(i * 128 + j)];
        ASSERT_NEAR(row * 16, 1.0, 1e-4) << "tile row " << i;
        if (i + 1 < 128) {
            ASSERT_EQ(m[static_cast<size_t>(i * 128 + i + 1)], 0.0f);
        }
    }
}
