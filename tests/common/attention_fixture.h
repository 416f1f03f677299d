// Synthetic attention sets for viz tests: causal matrices whose rows sum to 1, with values
// known in advance, so widget output can be compared with the analysis functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "prism/viz/attention_data.h"

namespace prism::test {

/// A causal T×T matrix with distinct, deterministic weights per (seed, q, k), rows
/// normalized to 1 over keys 0..q.
inline viz::attn_matrix synthetic_attention(int64_t n, int seed) {
    viz::attn_matrix m(n);
    for (int64_t q = 0; q < n; ++q) {
        double sum = 0;
        for (int64_t k = 0; k <= q; ++k) {
            const double w = 1.0 + static_cast<double>((seed * 7 + q * 5 + k * 11) % 13);
            m.at(q, k) = static_cast<float>(w);
            sum += w;
        }
        for (int64_t k = 0; k <= q; ++k) m.at(q, k) = static_cast<float>(m.at(q, k) / sum);
    }
    return m;
}

/// 2 layers (0, 1) × 2 heads (model heads 2 and 5) × 6 tokens. Layer 0 / head index 0 is
/// hand-written: row 3 is {0.4, 0.125, 0.275, 0.2}. Pieces include a leading space and a
/// newline to exercise label escaping.
inline viz::attention_set tiny_attention_set() {
    viz::attention_set s;
    s.model = "tiny-llama";
    s.pieces = {"<s>", "The", " cat", " sat", "\n", "on"};
    s.tokens = {1, 450, 6635, 3290, 13, 373};
    s.n_prompt = 6;
    s.n_layer_total = 2;
    s.n_head_total = 8;
    s.layers = {0, 1};
    s.heads = {2, 5};
    viz::attn_matrix hand(6);
    const std::vector<std::vector<float>> rows = {{1.0f},
                                                  {0.6f, 0.4f},
                                                  {0.5f, 0.3f, 0.2f},
                                                  {0.4f, 0.125f, 0.275f, 0.2f},
                                                  {0.3f, 0.1f, 0.1f, 0.2f, 0.3f},
                                                  {0.2f, 0.1f, 0.2f, 0.1f, 0.1f, 0.3f}};
    for (size_t q = 0; q < rows.size(); ++q)
        for (size_t k = 0; k < rows[q].size(); ++k)
            hand.at(static_cast<int64_t>(q), static_cast<int64_t>(k)) = rows[q][k];
    s.mats = {hand, synthetic_attention(6, 1), synthetic_attention(6, 2),
              synthetic_attention(6, 3)};
    return s;
}

/// One layer × one head over n tokens labelled "t0".."t{n-1}" (long-sequence tests).
inline viz::attention_set long_attention_set(int64_t n) {
    viz::attention_set s;
    s.model = "long";
    for (int64_t i = 0; i < n; ++i) {
        s.tokens.push_back(static_cast<int32_t>(i % 500));
        s.pieces.push_back(" t" + std::to_string(i));
    }
    s.n_prompt = static_cast<int32_t>(n);
    s.n_layer_total = 1;
    s.n_head_total = 1;
    s.layers = {0};
    s.heads = {0};
    s.mats = {synthetic_attention(n, 4)};
    return s;
}

/// A readable sentence over `layers` × `heads` with per-head patterns (sink, previous
/// token, local, uniform), for looking at rendered images.
inline viz::attention_set sentence_attention_set(int layers, int heads) {
    viz::attention_set s;
    s.model = "stories-demo";
    const std::vector<std::string> words = {
        "<s>",     "Once",   " upon",  " a",    " time", ",",    " there", " was",   " a",
        " little", " girl",  " named", " Lily", ".",     "\n",   "She",    " loved", " to",
        " play",   " in",    " the",   " park", " with", " her", " dog",   ",",      " Max",
        ".",       " One",   " day",   ",",     " Lily", " saw", " a",     " big",   " red",
        " ball",   " under", " the",   " tree", "."};
    for (size_t i = 0; i < words.size(); ++i) {
        s.pieces.push_back(words[i]);
        s.tokens.push_back(static_cast<int32_t>(100 + i));
    }
    const int64_t n = static_cast<int64_t>(words.size());
    s.n_prompt = static_cast<int32_t>(n);
    s.n_layer_total = layers;
    s.n_head_total = heads;
    for (int l = 0; l < layers; ++l) s.layers.push_back(l);
    for (int h = 0; h < heads; ++h) s.heads.push_back(h);
    for (int l = 0; l < layers; ++l) {
        for (int h = 0; h < heads; ++h) {
            viz::attn_matrix m(n);
            const int kind = (l + h) % 4;
            for (int64_t q = 0; q < n; ++q) {
                double sum = 0;
                for (int64_t k = 0; k <= q; ++k) {
                    double w = 0.05 + 0.02 * static_cast<double>((q * 3 + k * 7 + l + h) % 5);
                    if (kind == 0 && k == 0) w += 4.0;      // sink
                    if (kind == 1 && k == q - 1) w += 3.0;  // previous token
                    if (kind == 2 && q - k < 3) w += 1.0;   // local
                    if (kind == 3 &&
                        s.pieces[static_cast<size_t>(k)] == s.pieces[static_cast<size_t>(q)])
                        w += 2.0;  // same token
                    m.at(q, k) = static_cast<float>(w);
                    sum += w;
                }
                for (int64_t k = 0; k <= q; ++k) m.at(q, k) = static_cast<float>(m.at(q, k) / sum);
            }
            s.mats.push_back(std::move(m));
        }
    }
    return s;
}

}  // namespace prism::test
