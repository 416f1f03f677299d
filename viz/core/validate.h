// Input checks shared by the attention analyses (private to viz/core). Every public
// function in analysis.h validates its arguments here and throws std::invalid_argument
// (shapes, counts) or std::out_of_range (indices) with a message naming the function and
// the sizes involved, so a malformed capture fails loudly instead of reading out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "prism/viz/attention_data.h"

namespace prism::viz::detail {

/// Throws std::invalid_argument unless a.n >= 0 and a.p holds exactly n*n values.
inline void check_matrix(const attn_matrix& a, const char* where) {
    if (a.n < 0)
        throw std::invalid_argument(std::string(where) +
                                    ": matrix size n = " + std::to_string(a.n) + " is negative");
    const auto expected = static_cast<size_t>(a.n) * static_cast<size_t>(a.n);
    if (a.p.size() != expected)
        throw std::invalid_argument(std::string(where) + ": matrix of n = " + std::to_string(a.n) +
                                    " holds " + std::to_string(a.p.size()) + " values, expected " +
                                    std::to_string(expected));
}

/// Throws std::invalid_argument unless the set's mats match layers × heads and every matrix
/// is a valid n_tokens × n_tokens matrix.
inline void check_set(const attention_set& s, const char* where) {
    const size_t expected = s.layers.size() * s.heads.size();
    if (s.mats.size() != expected)
        throw std::invalid_argument(
            std::string(where) + ": attention set holds " + std::to_string(s.mats.size()) +
            " matrices, expected " + std::to_string(s.layers.size()) + " layers x " +
            std::to_string(s.heads.size()) + " heads = " + std::to_string(expected));
    for (size_t i = 0; i < s.mats.size(); ++i) {
        check_matrix(s.mats[i], where);
        if (s.mats[i].n != s.n_tokens())
            throw std::invalid_argument(std::string(where) + ": matrix " + std::to_string(i) +
                                        " is " + std::to_string(s.mats[i].n) + "x" +
                                        std::to_string(s.mats[i].n) + " but the set has " +
                                        std::to_string(s.n_tokens()) + " tokens");
    }
}

}  // namespace prism::viz::detail
