// Ids back to text: tokenizer::decode (all at once) and detokenizer_stream (one id at a time,
// for streaming generation).
//
// The leading-space rule is SentencePiece's: the dummy prefix the encoder added shows up as a
// leading space on the first piece with any text, and decoding removes it (llama2.c run.c:
// "following BOS, strip a leading space"). Streaming holds back the bytes of a UTF-8 sequence
// until it is complete (RFC 3629 well-formedness, the table in Unicode §3.9), so characters
// split over <0xNN> byte-fallback tokens appear whole; bytes that can never complete a valid
// sequence become U+FFFD.
#include "prism/tokenizer.h"

namespace prism {
namespace {

constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

/// Moves the longest prefix of `pending` made of whole UTF-8 sequences into the result.
/// Ill-formed bytes become U+FFFD; an incomplete but so far well-formed tail stays in
/// `pending` unless `final`, when it too becomes U+FFFD.
std::string take_complete(std::string& pending, bool final) {
    std::string out;
    size_t i = 0;
    const size_t n = pending.size();
    while (i < n) {
        const auto lead = static_cast<uint8_t>(pending[i]);
        if (lead < 0x80) {
            out += static_cast<char>(lead);
            ++i;
            continue;
        }
        size_t len = 0;
        uint8_t lo = 0x80;  // allowed range of the second byte
        uint8_t hi = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            len = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            len = 3;
            if (lead == 0xE0) lo = 0xA0;
            if (lead == 0xED) hi = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            len = 4;
            if (lead == 0xF0) lo = 0x90;
            if (lead == 0xF4) hi = 0x8F;
        } else {
            out += replacement_char;  // a stray continuation byte or a never-valid lead
            ++i;
            continue;
        }
        size_t k = 1;
        bool bad = false;
        for (; k < len && i + k < n; ++k) {
            const auto c = static_cast<uint8_t>(pending[i + k]);
            const bool ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
            if (!ok) {
                bad = true;
                break;
            }
        }
        if (bad) {
            out += replacement_char;
            i += k;  // resume at the byte that broke the sequence
            continue;
        }
        if (k < len) {  // ran out of bytes: incomplete tail
            if (!final) {
                pending.erase(0, i);
                return out;
            }
            out += replacement_char;
            i = n;
            break;
        }
        out.append(pending, i, len);
        i += len;
    }
    pending.clear();
    return out;
}

}  // namespace

std::string tokenizer::decode(std::span<const int32_t> ids) const {
    std::string out;
    bool strip = add_space_prefix();
    for (const int32_t id : ids) {
        std::string piece = token_to_piece(id);
        if (piece.empty()) continue;
        if (strip) {
            if (piece.front() == ' ') piece.erase(0, 1);
            strip = false;
        }
        out += piece;
    }
    return out;
}

detokenizer_stream::detokenizer_stream(const tokenizer& tok, bool after_bos)
    : m_tok(tok), m_strip_space(after_bos && tok.add_space_prefix()) {}

std::string detokenizer_stream::push(int32_t id) {
    std::string piece = m_tok.token_to_piece(id);
    if (piece.empty()) return {};
    if (m_strip_space) {
        if (piece.front() == ' ') piece.erase(0, 1);
        m_strip_space = false;
    }
    m_pending += piece;
    return take_complete(m_pending, false);
}

std::string detokenizer_stream::flush() {
    return take_complete(m_pending, true);
}

}  // namespace prism
