// Internal to the tokenizers: the vocabulary table they all share (token texts, scores, types,
// special ids), its lookups, UTF-8 helpers, and the split of input text around special tokens.
//
// Design: a vocabulary is built once from plain vectors (whatever the file format) and then
// only read, so tokenizers are immutable and safe to share across threads. Text-to-id lookup
// for the BPE algorithms only sees tokens that text may turn into (normal, user-defined,
// unused); control, unknown and byte tokens are reachable only through split_special and
// byte fallback, as SentencePiece and llama.cpp treat them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "prism/tokenizer.h"

namespace prism::tokenizer_detail {

/// "▁" (U+2581), SentencePiece's visible stand-in for a space.
inline constexpr std::string_view space_marker = "\xE2\x96\x81";

/// Byte length of the UTF-8 sequence that starts with `lead` (1 for ASCII, continuation
/// and invalid lead bytes, so every byte is covered by some "character").
inline size_t utf8_seq_len(uint8_t lead) {
    if (lead < 0xC0) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    if (lead < 0xF8) return 4;
    return 1;
}

/// Appends code point `cp` to `out` as UTF-8.
void append_utf8(std::string& out, uint32_t cp);

/// If `s` is exactly "<0xNN>" (two uppercase or lowercase hex digits), the byte value; else -1.
int parse_byte_token(std::string_view s);

/// Hash allowing std::string_view lookups in std::string-keyed unordered maps.
struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};
using string_map = std::unordered_map<std::string, int32_t, string_hash, std::equal_to<>>;

/// Raw vocabulary as a file provides it. scores may be empty (all 0); types may be empty
/// (all normal).
struct vocab_data {
    std::vector<std::string> texts;
    std::vector<float> scores;
    std::vector<token_type> types;
    int32_t bos = -1;
    int32_t eos = -1;
    int32_t unk = -1;
    bool add_bos = true;
    bool add_space_prefix = true;
};

/// A piece of input after splitting around special tokens: raw text, or one token id.
struct fragment {
    std::string_view text;  ///< raw text when id < 0
    int32_t id = -1;
};

class vocab {
public:
    /// Validates sizes and special ids and builds the lookups. Throws engine_error(errc::format).
    explicit vocab(vocab_data d);

    int32_t size() const { return static_cast<int32_t>(m_texts.size()); }
    bool valid_id(int32_t id) const { return id >= 0 && id < size(); }
    const std::string& text(int32_t id) const { return m_texts[static_cast<size_t>(id)]; }
    float score(int32_t id) const { return m_scores[static_cast<size_t>(id)]; }
    token_type type(int32_t id) const { return m_types[static_cast<size_t>(id)]; }
    int32_t bos() const { return m_bos; }
    int32_t eos() const { return m_eos; }
    int32_t unk() const { return m_unk; }
    bool add_bos() const { return m_add_bos; }
    bool add_space_prefix() const { return m_add_space_prefix; }

    /// Id of a token text that plain text may produce (normal / user-defined / unused /
    /// undefined types), or -1.
    int32_t find_piece(std::string_view text) const;
    /// The <0xNN> token for byte b, or -1 when the vocabulary has none.
    int32_t byte_token(uint8_t b) const { return m_byte_tokens[b]; }
    /// Appends the byte-fallback ids for `bytes` (unknown id where a byte token is missing;
    /// nothing at all when there is neither).
    void append_byte_fallback(std::string_view bytes, std::vector<int32_t>& out) const;

    /// Splits text around special-token texts: user-defined tokens always match, control and
    /// unknown tokens only with parse_special. At each position the longest match wins.
    std::vector<fragment> split_special(std::string_view text, bool parse_special) const;

private:
    std::vector<std::string> m_texts;
    std::vector<float> m_scores;
    std::vector<token_type> m_types;
    int32_t m_bos = -1;
    int32_t m_eos = -1;
    int32_t m_unk = -1;
    bool m_add_bos = true;
    bool m_add_space_prefix = true;
    string_map m_pieces;
    std::array<int32_t, 256> m_byte_tokens{};
    /// Special-token candidates by first byte, longest first.
    std::array<std::vector<int32_t>, 256> m_special_by_first_byte;
};

/// Common ground of the tokenizers built on a `vocab`: the id-level queries, answered from the
/// table and from `m_pieces`, each token's decoded bytes, which the subclass fills.
class vocab_tokenizer : public tokenizer {
public:
    explicit vocab_tokenizer(vocab_data d) : m_vocab(std::move(d)) {}

    int32_t n_vocab() const override { return m_vocab.size(); }
    std::string token_to_piece(int32_t id) const override {
        return m_vocab.valid_id(id) ? m_pieces[static_cast<size_t>(id)] : std::string();
    }
    std::string token_text(int32_t id) const override {
        return m_vocab.valid_id(id) ? m_vocab.text(id) : std::string();
    }
    token_type type_of(int32_t id) const override {
        return m_vocab.valid_id(id) ? m_vocab.type(id) : token_type::undefined;
    }
    int32_t bos_id() const override { return m_vocab.bos(); }
    int32_t eos_id() const override { return m_vocab.eos(); }
    bool add_space_prefix() const override { return m_vocab.add_space_prefix(); }

protected:
    vocab m_vocab;
    std::vector<std::string> m_pieces;  ///< decoded bytes per id; "" for control / unknown
};

/// Decoded bytes of every token of `v`, by id: "" for control and unknown tokens, the byte of
/// a <0xNN> byte token, user-defined texts as they are, and `decode(text)` (std::string_view
/// -> std::string: undoes the algorithm's spelling of bytes) for the others.
template <class Decode> std::vector<std::string> token_pieces(const vocab& v, Decode&& decode) {
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
            piece = decode(std::string_view(t));
            break;
        }
    }
    return pieces;
}

/// token_pieces of a SentencePiece vocabulary: "▁" -> " ".
std::vector<std::string> spm_pieces(const vocab& v);

/// Tokenizer factories (defined beside each algorithm).
std::shared_ptr<const tokenizer> make_spm_tokenizer(vocab_data d);
std::shared_ptr<const tokenizer> make_bpe_tokenizer(vocab_data d, std::vector<std::string> merges);

}  // namespace prism::tokenizer_detail
