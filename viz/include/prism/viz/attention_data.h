// Attention matrices as the analyses and widgets see them: plain float32, row-major, square.
// Row q is the query position, column k the key position; a causal (decoder) matrix has
// zeros above the diagonal and each row sums to 1 over keys 0..q. Qt-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace prism::viz {

/// A T×T attention matrix (row = query, column = key), row-major float32.
struct attn_matrix {
    int64_t n = 0;
    std::vector<float> p;  ///< n*n values

    attn_matrix() = default;
    explicit attn_matrix(int64_t size) : n(size), p(static_cast<size_t>(size * size), 0.0f) {}
    float at(int64_t q, int64_t k) const { return p[static_cast<size_t>(q * n + k)]; }
    float& at(int64_t q, int64_t k) { return p[static_cast<size_t>(q * n + k)]; }
};

/// Captured attention of one run: a matrix per captured (layer, head) over the same tokens.
/// `layers` / `heads` hold model numbering (layer 0 = first block; head = query head).
struct attention_set {
    std::string model;                ///< display name of the model
    std::vector<int32_t> tokens;      ///< T token ids (BOS included)
    std::vector<std::string> pieces;  ///< T display labels (decoded pieces)
    int32_t n_prompt = 0;             ///< tokens[0, n_prompt) are the prompt
    int32_t n_layer_total = 0;        ///< layers the model has
    int32_t n_head_total = 0;         ///< query heads per layer the model has
    std::vector<int32_t> layers;      ///< captured layers, ascending
    std::vector<int32_t> heads;       ///< captured heads, ascending
    std::vector<attn_matrix> mats;    ///< [layer_index * heads.size() + head_index]

    int64_t n_tokens() const { return static_cast<int64_t>(tokens.size()); }
    const attn_matrix& at(size_t layer_index, size_t head_index) const {
        return mats[layer_index * heads.size() + head_index];
    }
};

}  // namespace prism::viz
