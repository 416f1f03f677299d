// Greedy decoding of a model file, shared by the tests that compare a converted model's
// text with the original's.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "prism/llama.h"

namespace prism::test {

struct greedy_run {
    std::vector<int32_t> tokens;             // generated ids
    std::vector<std::vector<float>> logits;  // the logits each id was picked from
};

/// Greedy decoding of n tokens after `prompt`, one token per forward after the prompt.
inline greedy_run greedy(const std::string& path, const std::vector<int32_t>& prompt, int n) {
    greedy_run r;
    auto m = llama_model::load(path);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    if (!m) return r;
    auto ctx = llama_context::create(*m, {.n_ctx = 64, .n_threads = 2});
    llama_batch b;
    for (size_t i = 0; i < prompt.size(); ++i)
        b.add(prompt[i], static_cast<int32_t>(i), 0, i + 1 == prompt.size());
    auto pos = static_cast<int32_t>(prompt.size());
    for (int i = 0; i < n; ++i) {
        EXPECT_TRUE((*ctx)->decode(b).has_value());
        const auto l = (*ctx)->logits(0);
        r.logits.emplace_back(l.begin(), l.end());
        const auto next = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
        r.tokens.push_back(next);
        b.clear();
        b.add(next, pos++, 0, true);
    }
    return r;
}

}  // namespace prism::test
