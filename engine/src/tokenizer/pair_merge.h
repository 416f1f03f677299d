// Internal to the tokenizers: the greedy adjacent-pair merge that both BPE variants run
// (SentencePiece's bpe_model Encode for `llama`, GPT-2's encoder.py `bpe` for `gpt2`).
//
// Design: the text starts as its UTF-8 characters in a doubly linked list; every adjacent pair
// the ranking accepts goes into a heap, and the best pair (ties to the leftmost) is merged, its
// new neighbours ranked in turn, until none is left. Entries made stale by earlier merges are
// recognised by their length and skipped, which keeps the whole O(n log n). The two tokenizers
// differ only in how a pair is ranked (merge rank, lowest first; or the merged token's score,
// highest first) and in what becomes of the final pieces, so both come in as callables.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <queue>
#include <string_view>
#include <type_traits>
#include <vector>

#include "prism/error.h"
#include "vocab.h"

namespace prism::tokenizer_detail {

/// Merges adjacent symbols of `text`, starting from its UTF-8 characters (utf8_seq_len, so
/// every byte belongs to one), and calls `emit(std::string_view piece)` for each final symbol,
/// left to right; nothing for empty text.
///
/// `rank_pair(std::string_view pair, size_t split)` ranks two adjacent symbols whose joined
/// text is `pair`, the right one starting at byte `split`; it returns std::optional<R>, empty
/// when the pair must not merge. `Better` orders the ranks: `Better{}(a, b)` means a pair
/// ranked a merges before one ranked b (std::less<> for merge ranks, std::greater<> for
/// scores); equal ranks go to the leftmost pair.
///
/// Throws engine_error(errc::invalid_argument) when `text` is longer than UINT32_MAX bytes.
template <class Better, class RankPair, class Emit>
void merge_pairs(std::string_view text, RankPair&& rank_pair, Emit&& emit) {
    using rank_type =
        typename std::invoke_result_t<RankPair&, std::string_view, size_t>::value_type;
    struct symbol {
        uint32_t start = 0;
        uint32_t len = 0;  ///< 0 once merged into its left neighbour
        int32_t prev = -1;
        int32_t next = -1;
    };
    struct candidate {
        rank_type rank{};
        int32_t left = 0;
        int32_t right = 0;
        uint32_t len = 0;  ///< byte length of the merged text when the pair was queued
    };
    struct lower_priority {
        bool operator()(const candidate& a, const candidate& b) const {
            if (a.rank != b.rank) return Better{}(b.rank, a.rank);
            return a.left > b.left;  // the leftmost pair first among equal ranks
        }
    };

    if (text.empty()) return;
    if (text.size() > UINT32_MAX) throw engine_error(errc::invalid_argument, "text too long");

    std::vector<symbol> syms;
    syms.reserve(text.size());
    for (size_t off = 0; off < text.size();) {
        const size_t n = std::min(utf8_seq_len(static_cast<uint8_t>(text[off])), text.size() - off);
        const auto idx = static_cast<int32_t>(syms.size());
        syms.push_back({static_cast<uint32_t>(off), static_cast<uint32_t>(n), idx - 1,
                        off + n < text.size() ? idx + 1 : -1});
        off += n;
    }

    std::priority_queue<candidate, std::vector<candidate>, lower_priority> queue;
    auto try_pair = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const symbol& l = syms[static_cast<size_t>(left)];
        const symbol& r = syms[static_cast<size_t>(right)];
        const uint32_t len = l.len + r.len;
        const std::optional<rank_type> rank = rank_pair(text.substr(l.start, len), size_t{l.len});
        if (!rank) return;
        queue.push({*rank, left, right, len});
    };
    for (size_t i = 1; i < syms.size(); ++i)
        try_pair(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!queue.empty()) {
        const candidate c = queue.top();
        queue.pop();
        symbol& l = syms[static_cast<size_t>(c.left)];
        symbol& r = syms[static_cast<size_t>(c.right)];
        if (l.len == 0 || r.len == 0 || l.next != c.right || l.len + r.len != c.len)
            continue;  // stale: one side has changed since the pair was queued
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = c.left;
        try_pair(l.prev, c.left);
        try_pair(c.left, l.next);
    }

    for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
        const symbol& sym = syms[static_cast<size_t>(i)];
        emit(text.substr(sym.start, sym.len));
    }
}

}  // namespace prism::tokenizer_detail
