// SentencePiece-style BPE over a scored vocabulary: GGUF `tokenizer.ggml.model = llama` and
// llama2.c tokenizer.bin.
//
// Algorithm (SentencePiece's bpe_model Encode, as llama.cpp's llm_tokenizer_spm also does it):
// spaces become "▁" (and one "▁" is prepended with the dummy prefix), the text is split into
// UTF-8 characters held in a doubly linked list, and the adjacent pair whose concatenation is
// a vocabulary token with the highest score is merged, ties going to the leftmost pair, until
// no pair forms a token (the merge loop, shared with the GPT-2 BPE, is in pair_merge.h).
// Remaining symbols that are not tokens fall back to <0xNN> byte tokens, one per UTF-8 byte.
#include <cstdint>
#include <functional>
#include <optional>

#include "pair_merge.h"
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
        merge_pairs<std::greater<>>(
            s,
            [&](std::string_view pair, size_t) -> std::optional<float> {
                const int32_t id = m_vocab.find_piece(pair);
                if (id < 0) return std::nullopt;
                return m_vocab.score(id);
            },
            [&](std::string_view piece) {
                const int32_t id = m_vocab.find_piece(piece);
                if (id >= 0) {
                    out.push_back(id);
                } else {
                    m_vocab.append_byte_fallback(piece, out);
                }
            });
    }
};

}  // namespace

std::vector<std::string> spm_pieces(const vocab& v) {
    return token_pieces(v, unescape_spaces);
}

std::shared_ptr<const tokenizer> make_spm_tokenizer(vocab_data d) {
    return std::make_shared<const spm_tokenizer>(std::move(d));
}

}  // namespace prism::tokenizer_detail
