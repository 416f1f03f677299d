// SentencePiece-style BPE over a scored vocabulary: GGUF `tokenizer.ggml.model = llama` and
// llama2.c tokenizer.bin.
//
// Algorithm (SentencePiece's bpe_model Encode, as llama.cpp's llm_tokenizer_spm also does it):
// spaces become "▁" (and one "▁" is prepended with the dummy prefix), the text is split into
// UTF-8 characters held in a doubly linked list, and the adjacent pair whose concatenation is
// a vocabulary token with the highest score is merged, ties going to the leftmost pair, until
// no pair forms a token. A max-heap of candidate pairs keeps this O(n log n); entries made
// stale by earlier merges are recognised by their length and skipped. Remaining symbols that
// are not tokens fall back to <0xNN> byte tokens, one per UTF-8 byte.
#include <algorithm>
#include <cstdint>
#include <queue>

#include "vocab.h"

namespace prism::tokenizer_detail {
namespace {

std::string unescape_spaces(std::string_view t) {
    std::string out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size();) {
        if (t.substr(i).starts_with(space_marker)) {
            out += ' ';
            i += space_marker.size();
        } else {
            out += t[i++];
        }
    }
    return out;
}

class spm_tokenizer final : public vocab_tokenizer {
public:
    explicit spm_tokenizer(vocab_data d) : vocab_tokenizer(std::move(d)) {
        m_pieces = spm_pieces(m_vocab);
    }

    std::string_view kind() const override { return "llama"; }

    std::vector<int32_t> encode(std::string_view text, const tokenize_params& p) const override {
        std::vector<int32_t> out;
        if (p.add_bos && m_vocab.add_bos() && m_vocab.bos() >= 0) out.push_back(m_vocab.bos());
        // As llama.cpp: a raw fragment at the start or right after a special token gets the
        // dummy prefix.
        bool prev_special = true;
        for (const fragment& f : m_vocab.split_special(text, p.parse_special)) {
            if (f.id >= 0) {
                out.push_back(f.id);
                prev_special = true;
                continue;
            }
            encode_fragment(f.text, m_vocab.add_space_prefix() && prev_special, out);
            prev_special = false;
        }
        return out;
    }

private:
    struct symbol {
        uint32_t start = 0;
        uint32_t len = 0;  ///< 0 once merged into its left neighbour
        int32_t prev = -1;
        int32_t next = -1;
    };
    struct candidate {
        float score = 0;
        int32_t left = 0;
        int32_t right = 0;
        uint32_t len = 0;  ///< byte length of the merged text when the pair was queued
    };
    struct lower_priority {
        bool operator()(const candidate& a, const candidate& b) const {
            if (a.score != b.score) return a.score < b.score;
            return a.left > b.left;  // the leftmost pair first among equal scores
        }
    };

    void encode_fragment(std::string_view raw, bool prefix, std::vector<int32_t>& out) const {
        std::string s;
        s.reserve(raw.size() + 3);
        if (prefix) s += space_marker;
        for (const char c : raw) {
            if (c == ' ') {
                s += space_marker;
            } else {
                s += c;
            }
        }
        if (s.empty()) return;
        if (s.size() > UINT32_MAX) throw engine_error(errc::invalid_argument, "text too long");

        std::vector<symbol> syms;
        syms.reserve(s.size());
        for (size_t off = 0; off < s.size();) {
            const size_t n = std::min(utf8_seq_len(static_cast<uint8_t>(s[off])), s.size() - off);
            const auto idx = static_cast<int32_t>(syms.size());
            syms.push_back({static_cast<uint32_t>(off), static_cast<uint32_t>(n), idx - 1,
                            off + n < s.size() ? idx + 1 : -1});
            off += n;
        }

        std::priority_queue<candidate, std::vector<candidate>, lower_priority> queue;
        auto try_pair = [&](int32_t left, int32_t right) {
            if (left < 0 || right < 0) return;
            const symbol& l = syms[static_cast<size_t>(left)];
            const symbol& r = syms[static_cast<size_t>(right)];
            const uint32_t len = l.len + r.len;
            const int32_t id = m_vocab.find_piece(std::string_view(s).substr(l.start, len));
            if (id < 0) return;
            queue.push({m_vocab.score(id), left, right, len});
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
            const std::string_view piece = std::string_view(s).substr(sym.start, sym.len);
            const int32_t id = m_vocab.find_piece(piece);
            if (id >= 0) {
                out.push_back(id);
            } else {
                m_vocab.append_byte_fallback(piece, out);
            }
        }
    }
};

}  // namespace

std::vector<std::string> spm_pieces(const vocab& v) {
    std::vector<std::string> pieces(static_cast<size_t>(v.size()));
    for (int32_t id = 0; id < v.size(); ++id) {
        std::string& piece = pieces[static_cast<size_t>(id)];
        const std::string& t = v.text(id);
        switch (v.type(id)) {
        case token_type::control:
        case token_type::unknown:
            break;
        case token_type::byte:
            piece.assign(1, static_cast<char>(parse_byte_token(t)));
            break;
        case token_type::user_defined:
            piece = t;
            break;
        default:
            piece = unescape_spaces(t);
            break;
        }
    }
    return pieces;
}

std::shared_ptr<const tokenizer> make_spm_tokenizer(vocab_data d) {
    return std::make_shared<const spm_tokenizer>(std::move(d));
}

}  // namespace prism::tokenizer_detail
