// Reader for llama2.c's tokenizer.bin (karpathy/llama2.c, tokenizer.py export; run.c
// build_tokenizer reads it).
//
// Layout (little-endian): int32 max_token_length, then per token float32 score, int32 length,
// `length` bytes. The export writes SentencePiece pieces with "▁" turned into " ", and BOS/EOS
// as "\n<s>\n" / "\n</s>\n"; the file does not store the token count. Reading undoes the
// space substitution and names ids 0/1/2 <unk>/<s>/</s>, so the vocabulary is the SentencePiece
// one and the SentencePiece BPE tokenizer (spm_tokenizer.cpp) encodes exactly as run.c does.
// Every length and count is checked against the bytes left before it is used.
#include <cmath>
#include <cstring>

#include "prism/mapped_file.h"
#include "vocab.h"

namespace prism {
namespace {

using tokenizer_detail::vocab_data;

constexpr int32_t max_sane_vocab = 1 << 24;         // 16M tokens
constexpr int32_t max_sane_token_length = 1 << 16;  // bytes per piece

template <class T> T read_le(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);  // the formats are little-endian, as is every target
    return v;
}

vocab_data parse_llama2c(std::span<const uint8_t> bytes, int32_t n_vocab) {
    if (n_vocab < 0 || n_vocab > max_sane_vocab)
        throw engine_error(errc::invalid_argument,
                           "n_vocab " + std::to_string(n_vocab) + " is out of range");
    if (bytes.size() < 4)
        throw engine_error(errc::format, "file too short for the max_token_length header", 0);
    const auto max_len = read_le<int32_t>(bytes.data());
    if (max_len <= 0 || max_len > max_sane_token_length)
        throw engine_error(errc::format,
                           "max_token_length " + std::to_string(max_len) + " is not plausible", 0);

    vocab_data d;
    d.add_bos = true;
    d.add_space_prefix = true;
    size_t off = 4;
    while (n_vocab == 0 ? off < bytes.size() : static_cast<int32_t>(d.texts.size()) < n_vocab) {
        const auto id = d.texts.size();
        const auto where = static_cast<int64_t>(off);
        if (id >= static_cast<size_t>(max_sane_vocab))
            throw engine_error(errc::format,
                               "more than " + std::to_string(max_sane_vocab) + " tokens", where);
        if (bytes.size() - off < 8)
            throw engine_error(errc::format,
                               "truncated: token " + std::to_string(id) +
                                   " needs a score and a length at offset " + std::to_string(off) +
                                   ", file has " + std::to_string(bytes.size()) + " bytes",
                               where);
        const auto score = read_le<float>(bytes.data() + off);
        const auto len = read_le<int32_t>(bytes.data() + off + 4);
        off += 8;
        if (!std::isfinite(score))
            throw engine_error(errc::format,
                               "token " + std::to_string(id) + " has a non-finite score", where);
        if (len < 0 || len > max_len)
            throw engine_error(errc::format,
                               "token " + std::to_string(id) + " has length " +
                                   std::to_string(len) + ", outside 0.." + std::to_string(max_len) +
                                   " (max_token_length)",
                               where + 4);
        if (bytes.size() - off < static_cast<size_t>(len))
            throw engine_error(errc::format,
                               "truncated: token " + std::to_string(id) + " needs " +
                                   std::to_string(len) + " bytes at offset " + std::to_string(off) +
                                   ", file has " + std::to_string(bytes.size()) + " bytes",
                               static_cast<int64_t>(off));
        std::string_view raw(reinterpret_cast<const char*>(bytes.data() + off),
                             static_cast<size_t>(len));
        off += static_cast<size_t>(len);

        std::string text;
        token_type type = token_type::normal;
        if (id == 0) {
            text = "<unk>";
            type = token_type::unknown;
        } else if (id == 1 || id == 2) {
            text = id == 1 ? "<s>" : "</s>";
            type = token_type::control;
        } else if (tokenizer_detail::parse_byte_token(raw) >= 0) {
            text = raw;
            type = token_type::byte;
        } else {
            for (const char c : raw) {
                if (c == ' ') {
                    text += tokenizer_detail::space_marker;
                } else {
                    text += c;
                }
            }
        }
        d.texts.push_back(std::move(text));
        d.scores.push_back(score);
        d.types.push_back(type);
    }
    if (d.texts.size() < 3)
        throw engine_error(errc::format,
                           "only " + std::to_string(d.texts.size()) +
                               " tokens; ids 0, 1, 2 (<unk>, <s>, </s>) are required");
    d.unk = 0;
    d.bos = 1;
    d.eos = 2;
    return d;
}

}  // namespace

result<std::shared_ptr<const tokenizer>> tokenizer::from_llama2c(const std::string& path,
                                                                 int32_t n_vocab) {
    return catch_to_result(
        [&]() -> std::shared_ptr<const tokenizer> {
            auto mapped = mapped_file::open(path);
            if (!mapped) throw engine_error(mapped.error().code, mapped.error().message);
            try {
                return tokenizer_detail::make_spm_tokenizer(
                    parse_llama2c((*mapped)->bytes(), n_vocab));
            } catch (const engine_error& e) {
                throw engine_error(e.code(), "llama2.c tokenizer '" + path + "': " + e.what(),
                                   e.offset());
            }
        },
        path);
}

}  // namespace prism
