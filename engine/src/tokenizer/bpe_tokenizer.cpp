// Byte-level BPE: GGUF `tokenizer.ggml.model = gpt2` (GPT-2 and its descendants).
//
// Source: openai/gpt-2 encoder.py (Radford et al. 2019). Text is cut into words by the GPT-2
// pre-tokenizer regex (run with PCRE2 in UTF + Unicode-property mode, compiled and JIT-ed
// once), each word's bytes are mapped to printable code points by GPT-2's byte-to-unicode
// table, and adjacent symbols are merged by merge rank (the order of tokenizer.ggml.merges),
// lowest rank first, ties to the leftmost pair, until no ranked pair remains (the merge loop,
// shared with the SentencePiece BPE, is in pair_merge.h). Merging the leftmost lowest-rank
// pair one at a time gives the same result as encoder.py's merge-all-occurrences loop. Bytes
// the regex cannot match (invalid UTF-8) become words of their own, so no input byte is ever
// dropped.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "pair_merge.h"
#include "vocab.h"

namespace prism::tokenizer_detail {
namespace {

/// GPT-2's pre-tokenizer: contractions, letters, digits, other symbols (each with an optional
/// leading space), then runs of whitespace.
constexpr const char* gpt2_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// GPT-2 bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to
/// U+0100 onwards, in byte order.
std::array<uint32_t, 256> byte_to_code_point() {
    std::array<uint32_t, 256> map{};
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
        const bool printable =
            (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        map[b] = printable ? b : next++;
    }
    return map;
}

struct pcre2_code_deleter {
    void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct pcre2_match_data_deleter {
    void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

class bpe_tokenizer final : public vocab_tokenizer {
public:
    bpe_tokenizer(vocab_data d, std::vector<std::string> merges) : vocab_tokenizer(std::move(d)) {
        const auto to_cp = byte_to_code_point();
        for (size_t b = 0; b < 256; ++b) {
            append_utf8(m_byte_text[b], to_cp[b]);
            m_cp_to_byte[to_cp[b]] = static_cast<int16_t>(b);
        }
        m_ranks.reserve(merges.size());
        for (size_t i = 0; i < merges.size(); ++i) {
            const std::string& m = merges[i];
            const size_t sp = m.find(' ');
            if (sp == std::string::npos || sp == 0 || sp + 1 == m.size())
                throw engine_error(errc::format, "tokenizer.ggml.merges[" + std::to_string(i) +
                                                     "] is not two tokens separated by a space");
            m_ranks.emplace(m, static_cast<int32_t>(std::min<size_t>(i, INT32_MAX)));
        }
        m_pieces = token_pieces(m_vocab, [this](std::string_view t) { return unmap_bytes(t); });
        compile_regex();
    }

    std::string_view kind() const override { return "gpt2"; }

    std::vector<int32_t> encode(std::string_view text, const tokenize_params& p) const override {
        std::vector<int32_t> out;
        if (p.add_bos && m_vocab.add_bos() && m_vocab.bos() >= 0) out.push_back(m_vocab.bos());
        std::unique_ptr<pcre2_match_data, pcre2_match_data_deleter> md(
            pcre2_match_data_create_from_pattern(m_regex.get(), nullptr));
        if (!md) throw std::bad_alloc();
        for (const fragment& f : m_vocab.split_special(text, p.parse_special)) {
            if (f.id >= 0) {
                out.push_back(f.id);
            } else {
                encode_text(f.text, md.get(), out);
            }
        }
        return out;
    }

private:
    /// Undoes the byte-to-unicode mapping; code points outside it are kept as they are.
    std::string unmap_bytes(std::string_view t) const {
        std::string out;
        out.reserve(t.size());
        for (size_t i = 0; i < t.size();) {
            const auto lead = static_cast<uint8_t>(t[i]);
            const size_t n = std::min(utf8_seq_len(lead), t.size() - i);
            uint32_t cp = 0xFFFFFFFF;
            if (n == 1 && lead < 0x80) {
                cp = lead;
            } else if (n == 2) {
                cp = ((lead & 0x1Fu) << 6) | (static_cast<uint8_t>(t[i + 1]) & 0x3Fu);
            }
            if (cp < m_cp_to_byte.size() && m_cp_to_byte[cp] >= 0) {
                out += static_cast<char>(m_cp_to_byte[cp]);
            } else {
                out.append(t.substr(i, n));
            }
            i += n;
        }
        return out;
    }

    void compile_regex() {
        int err = 0;
        PCRE2_SIZE err_offset = 0;
        pcre2_code* code = pcre2_compile(
            reinterpret_cast<PCRE2_SPTR>(gpt2_pattern), PCRE2_ZERO_TERMINATED,
            PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_offset, nullptr);
        if (!code) {
            std::array<PCRE2_UCHAR, 256> msg{};
            pcre2_get_error_message(err, msg.data(), msg.size());
            throw engine_error(errc::internal,
                               "the GPT-2 pre-tokenizer regex does not compile: " +
                                   std::string(reinterpret_cast<char*>(msg.data())));
        }
        m_regex.reset(code);
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; falls back silently
    }

    void encode_text(std::string_view text, pcre2_match_data* md, std::vector<int32_t>& out) const {
        const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
        size_t pos = 0;
        while (pos < text.size()) {
            const int rc = pcre2_match(m_regex.get(), subject, text.size(), pos, 0, md, nullptr);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0)
                throw engine_error(errc::internal, "PCRE2 match error " + std::to_string(rc));
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
            const size_t start = ov[0];
            size_t end = ov[1];
            if (start > pos) encode_word(text.substr(pos, start - pos), out);  // unmatched bytes
            if (end == start) end = start + 1;  // no alternative matches empty; guard anyway
            encode_word(text.substr(start, end - start), out);
            pos = end;
        }
        if (pos < text.size()) encode_word(text.substr(pos), out);
    }

    void encode_word(std::string_view word, std::vector<int32_t>& out) const {
        std::string s;  // the word in GPT-2's byte-to-unicode alphabet
        s.reserve(word.size() * 2);
        for (const char c : word) s += m_byte_text[static_cast<uint8_t>(c)];

        // Each byte's mapped code point is one UTF-8 character, so the merge starts from the
        // word's bytes, as encoder.py does.
        std::string key;
        merge_pairs<std::less<>>(
            s,
            [&](std::string_view pair, size_t split) -> std::optional<int32_t> {
                key.assign(pair.substr(0, split));
                key += ' ';
                key.append(pair.substr(split));
                const auto it = m_ranks.find(key);
                if (it == m_ranks.end()) return std::nullopt;
                return it->second;
            },
            [&](std::string_view piece) {
                const int32_t id = m_vocab.find_piece(piece);
                if (id >= 0) {
                    out.push_back(id);
                    return;
                }
                // Not a token (a vocabulary without every single-byte symbol): one token per
                // mapped byte, or the unknown token.
                for (size_t k = 0; k < piece.size();) {
                    const size_t n =
                        std::min(utf8_seq_len(static_cast<uint8_t>(piece[k])), piece.size() - k);
                    const int32_t one = m_vocab.find_piece(piece.substr(k, n));
                    if (one >= 0) {
                        out.push_back(one);
                    } else if (m_vocab.unk() >= 0) {
                        out.push_back(m_vocab.unk());
                    }
                    k += n;
                }
            });
    }

    std::array<std::string, 256> m_byte_text;  ///< byte -> its code point, UTF-8 encoded
    std::array<int16_t, 512> m_cp_to_byte = [] {
        std::array<int16_t, 512> a{};
        a.fill(-1);
        return a;
    }();
    string_map m_ranks;  ///< "left right" -> merge rank
    std::unique_ptr<pcre2_code, pcre2_code_deleter> m_regex;
};

}  // namespace

std::shared_ptr<const tokenizer> make_bpe_tokenizer(vocab_data d, std::vector<std::string> merges) {
    return std::make_shared<const bpe_tokenizer>(std::move(d), std::move(merges));
}

}  // namespace prism::tokenizer_detail
