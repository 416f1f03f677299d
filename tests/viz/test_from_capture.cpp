// Engine capture → viz attention_set, and the token labels every view uses.
#include <gtest/gtest.h>

#include "prism/generate.h"
#include "prism/npy.h"
#include "prism/viz/analysis.h"
#include "prism/viz/from_capture.h"
#include "prism/viz/labels.h"
#include "test_paths.h"

using namespace prism;

TEST(token_label, spaces_newlines_controls_and_length) {
    EXPECT_EQ(viz::token_label(" Once"), "\xc2\xb7Once");
    EXPECT_EQ(viz::token_label("a\nb\t"), "a\\nb\\t");
    EXPECT_EQ(viz::token_label(std::string("\x01", 1)), "\\x01");
    EXPECT_EQ(viz::token_label("abcdefghij", 4), "abc\xe2\x80\xa6");
    EXPECT_EQ(viz::token_label("\xf0\x9f\xa6\x99x"), "\xf0\x9f\xa6\x99x");  // emoji kept whole
    EXPECT_EQ(viz::token_label("\xe2\x96\x81"
                               "a \r"),
              "\xc2\xb7"
              "a"
              "\xc2\xb7"
              "\\r");
    EXPECT_EQ(viz::token_label(""), "\xe2\x88\x85");
    EXPECT_EQ(viz::token_label(" a\xff", 0, viz::label_style::csv), " a\\xff");
    EXPECT_EQ(viz::csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(viz::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(viz::csv_field("plain"), "plain");
}

TEST(attention_set_from_capture, holds_the_reference_matrices_and_labels) {
    auto model = *llama_model::load(test::bundled_model());
    auto ctx = *llama_context::create(model, {.n_ctx = 64});
    auto cap = *attention_capture::create(model->hparams(), {.layers = {0, 4}});
    generate_params p;
    p.prompt = "Once upon a time";
    p.n_predict = 27;
    p.sampling.temp = 0;
    p.capture = &cap;
    auto r = generate(*ctx, p);
    ASSERT_TRUE(r.has_value());
    std::vector<int32_t> tokens = r->prompt_tokens;
    tokens.insert(tokens.end(), r->tokens.begin(), r->tokens.end());
    const auto set = viz::attention_set_from_capture(cap, tokens, 5, model->vocab(),
                                                     model->hparams(), "stories260K");
    ASSERT_EQ(set.n_tokens(), 32);
    EXPECT_EQ(set.layers, (std::vector<int32_t>{0, 4}));
    EXPECT_EQ(set.heads.size(), 8u);
    EXPECT_EQ(set.pieces[0], "<s>");
    EXPECT_EQ(set.pieces[1], " Once");
    const auto ref = npy::to_f32(*npy::load(test::reference("attention.npy")));
    for (int q = 0; q < 32; ++q)
        for (int k = 0; k < 32; ++k)
            ASSERT_NEAR(set.at(1, 3).at(q, k),
                        ref[static_cast<size_t>(((4 * 8 + 3) * 32 + q) * 32 + k)], 1e-5);
    // Rows of the analyses' rollout over a partial set are refused: layers 1..3 are missing.
    EXPECT_THROW(viz::attention_rollout(set), std::invalid_argument);
    auto wrong = tokens;
    wrong.pop_back();
    EXPECT_THROW(
        viz::attention_set_from_capture(cap, wrong, 5, model->vocab(), model->hparams(), ""),
        std::invalid_argument);
}
