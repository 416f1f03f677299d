// The shared vocabulary table (see vocab.h): validation, text and byte lookups, and the split
// of input text around special tokens (llama.cpp's tokenizer_st_partition does the same job;
// here one left-to-right scan takes the longest special text starting at each position).
#include "vocab.h"

#include <algorithm>
#include <cmath>

namespace prism::tokenizer_detail {

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

int parse_byte_token(std::string_view s) {
    if (s.size() != 6 || !s.starts_with("<0x") || s[5] != '>') return -1;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    const int hi = hex(s[3]);
    const int lo = hex(s[4]);
    if (hi < 0 || lo < 0) return -1;
    return hi * 16 + lo;
}

vocab::vocab(vocab_data d)
    : m_texts(std::move(d.texts)), m_scores(std::move(d.scores)), m_types(std::move(d.types)),
      m_bos(d.bos), m_eos(d.eos), m_unk(d.unk), m_add_bos(d.add_bos),
      m_add_space_prefix(d.add_space_prefix) {
    const size_t n = m_texts.size();
    if (n == 0) throw engine_error(errc::format, "the vocabulary has no tokens");
    if (n > static_cast<size_t>(INT32_MAX))
        throw engine_error(errc::format, "the vocabulary has too many tokens");
    if (m_scores.empty()) m_scores.assign(n, 0.0f);
    if (m_types.empty()) m_types.assign(n, token_type::normal);
    if (m_scores.size() != n)
        throw engine_error(errc::format, "the vocabulary has " + std::to_string(n) +
                                             " tokens but " + std::to_string(m_scores.size()) +
                                             " scores");
    if (m_types.size() != n)
        throw engine_error(errc::format, "the vocabulary has " + std::to_string(n) +
                                             " tokens but " + std::to_string(m_types.size()) +
                                             " token types");
    auto check_id = [&](int32_t id, const char* what) {
        if (id < -1 || id >= static_cast<int32_t>(n))
            throw engine_error(errc::format, std::string(what) + " id " + std::to_string(id) +
                                                 " is outside the vocabulary of " +
                                                 std::to_string(n) + " tokens");
    };
    check_id(m_bos, "BOS");
    check_id(m_eos, "EOS");
    check_id(m_unk, "unknown-token");

    m_byte_tokens.fill(-1);
    m_pieces.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const auto id = static_cast<int32_t>(i);
        if (std::isnan(m_scores[i]))
            throw engine_error(errc::format, "token " + std::to_string(i) + " has a NaN score");
        const int t = static_cast<int>(m_types[i]);
        if (t < 0 || t > static_cast<int>(token_type::byte))
            throw engine_error(errc::format, "token " + std::to_string(i) + " has unknown type " +
                                                 std::to_string(t));
        switch (m_types[i]) {
        case token_type::byte: {
            const int b = parse_byte_token(m_texts[i]);
            if (b < 0)
                throw engine_error(errc::format, "token " + std::to_string(i) +
                                                     " has type byte but its text is not <0xNN>");
            if (m_byte_tokens[static_cast<size_t>(b)] < 0)
                m_byte_tokens[static_cast<size_t>(b)] = id;
            break;
        }
        case token_type::control:
        case token_type::unknown:
            break;
        default:
            m_pieces.emplace(m_texts[i], id);  // first occurrence wins
            break;
        }
        const bool special = m_types[i] == token_type::control ||
                             m_types[i] == token_type::unknown ||
                             m_types[i] == token_type::user_defined;
        if (special && !m_texts[i].empty())
            m_special_by_first_byte[static_cast<uint8_t>(m_texts[i][0])].push_back(id);
    }
    for (auto& list : m_special_by_first_byte) {
        std::stable_sort(list.begin(), list.end(),
                         [&](int32_t a, int32_t b) { return text(a).size() > text(b).size(); });
    }
}

int32_t vocab::find_piece(std::string_view s) const {
    const auto it = m_pieces.find(s);
    return it == m_pieces.end() ? -1 : it->second;
}

void vocab::append_byte_fallback(std::string_view bytes, std::vector<int32_t>& out) const {
    for (const char c : bytes) {
        const int32_t id = m_byte_tokens[static_cast<uint8_t>(c)];
        if (id >= 0) {
            out.push_back(id);
        } else if (m_unk >= 0) {
            out.push_back(m_unk);
        }
    }
}

std::vector<fragment> vocab::split_special(std::string_view s, bool parse_special) const {
    std::vector<fragment> out;
    size_t raw_start = 0;
    size_t i = 0;
    while (i < s.size()) {
        int32_t match = -1;
        for (const int32_t id : m_special_by_first_byte[static_cast<uint8_t>(s[i])]) {
            if (!parse_special && type(id) != token_type::user_defined) continue;
            if (s.substr(i).starts_with(text(id))) {
                match = id;
                break;
            }
        }
        if (match < 0) {
            ++i;
            continue;
        }
        if (i > raw_start) out.push_back({s.substr(raw_start, i - raw_start), -1});
        out.push_back({{}, match});
        i += text(match).size();
        raw_start = i;
    }
    if (raw_start < s.size()) out.push_back({s.substr(raw_start), -1});
    return out;
}

}  // namespace prism::tokenizer_detail
