// Per-head summary statistics of an attention matrix: row entropy, attention-sink mass,
// previous-token, local-band and induction scores (see analysis.h).
//
// Sources: entropy and the sink follow StreamingLLM (Xiao et al. 2023, "Efficient Streaming
// Language Models with Attention Sinks"); previous-token and induction scores follow Olsson
// et al. 2022, "In-context Learning and Induction Heads" (the induction score is their
// prefix-matching pattern: attend to the token after an earlier copy of the current one).
// Each statistic is one O(n²) pass or less over the row-major matrix; the induction score
// walks a per-position "previous occurrence" chain, O(n + matches), computed once per token
// sequence and shared by every head of a set.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "prism/viz/analysis.h"
#include "validate.h"

namespace prism::viz {

namespace {

// prev[q] = the largest j < q with tokens[j] == tokens[q], or -1.
std::vector<int64_t> previous_occurrence(std::span<const int32_t> tokens) {
    std::vector<int64_t> prev(tokens.size(), -1);
    std::unordered_map<int32_t, int64_t> last;
    last.reserve(tokens.size());
    for (size_t q = 0; q < tokens.size(); ++q) {
        auto [it, inserted] = last.try_emplace(tokens[q], static_cast<int64_t>(q));
        if (!inserted) {
            prev[q] = it->second;
            it->second = static_cast<int64_t>(q);
        }
    }
    return prev;
}

double induction_from_chain(const attn_matrix& a, const std::vector<int64_t>& prev) {
    int64_t rows = 0;
    double total = 0;
    for (int64_t q = 0; q < a.n; ++q) {
        double mass = 0;
        bool qualifies = false;
        for (int64_t j = prev[static_cast<size_t>(q)]; j >= 0; j = prev[static_cast<size_t>(j)]) {
            if (j + 1 >= q) continue;  // the token after j is the query itself
            mass += a.at(q, j + 1);
            qualifies = true;
        }
        if (qualifies) {
            total += mass;
            ++rows;
        }
    }
    return rows == 0 ? 0.0 : total / static_cast<double>(rows);
}

void check_tokens(const attn_matrix& a, std::span<const int32_t> tokens, const char* where) {
    if (static_cast<int64_t>(tokens.size()) != a.n)
        throw std::invalid_argument(std::string(where) + ": " + std::to_string(tokens.size()) +
                                    " tokens for a matrix of n = " + std::to_string(a.n));
}

}  // namespace

double mean_row_entropy(const attn_matrix& a) {
    detail::check_matrix(a, "mean_row_entropy");
    if (a.n == 0) return 0.0;
    double total = 0;
    for (int64_t q = 0; q < a.n; ++q) {
        const float* row = a.p.data() + q * a.n;
        double h = 0;
        for (int64_t k = 0; k < a.n; ++k) {
            const float x = row[k];
            if (x > 0.0f) h -= static_cast<double>(x) * static_cast<double>(std::log(x));
        }
        total += h;
    }
    return total / static_cast<double>(a.n);
}

double sink_mass(const attn_matrix& a) {
    detail::check_matrix(a, "sink_mass");
    if (a.n == 0) return 0.0;
    double total = 0;
    for (int64_t q = 0; q < a.n; ++q) total += a.at(q, 0);
    return total / static_cast<double>(a.n);
}

double previous_token_score(const attn_matrix& a) {
    detail::check_matrix(a, "previous_token_score");
    if (a.n < 2) return 0.0;
    double total = 0;
    for (int64_t q = 1; q < a.n; ++q) total += a.at(q, q - 1);
    return total / static_cast<double>(a.n - 1);
}

double local_score(const attn_matrix& a, int64_t window) {
    detail::check_matrix(a, "local_score");
    if (window < 1)
        throw std::invalid_argument("local_score: window = " + std::to_string(window) +
                                    ", must be at least 1");
    if (a.n == 0) return 0.0;
    double total = 0;
    for (int64_t q = 0; q < a.n; ++q) {
        const int64_t k0 = q - window + 1 > 0 ? q - window + 1 : 0;
        for (int64_t k = k0; k <= q; ++k) total += a.at(q, k);
    }
    return total / static_cast<double>(a.n);
}

double induction_score(const attn_matrix& a, std::span<const int32_t> tokens) {
    detail::check_matrix(a, "induction_score");
    check_tokens(a, tokens, "induction_score");
    return induction_from_chain(a, previous_occurrence(tokens));
}

head_stats compute_head_stats(const attn_matrix& a, std::span<const int32_t> tokens) {
    detail::check_matrix(a, "compute_head_stats");
    check_tokens(a, tokens, "compute_head_stats");
    return head_stats{.entropy = mean_row_entropy(a),
                      .sink = sink_mass(a),
                      .prev_token = previous_token_score(a),
                      .local = local_score(a, 4),
                      .induction = induction_from_chain(a, previous_occurrence(tokens))};
}

std::vector<head_stats> compute_all_head_stats(const attention_set& s) {
    detail::check_set(s, "compute_all_head_stats");
    const auto prev = previous_occurrence(s.tokens);
    std::vector<head_stats> out;
    out.reserve(s.mats.size());
    for (const auto& a : s.mats)
        out.push_back(head_stats{.entropy = mean_row_entropy(a),
                                 .sink = sink_mass(a),
                                 .prev_token = previous_token_score(a),
                                 .local = local_score(a, 4),
                                 .induction = induction_from_chain(a, prev)});
    return out;
}

}  // namespace prism::viz
