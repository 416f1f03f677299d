// Tokenizers from GGUF metadata (tokenizer.ggml.* keys, as llama.cpp's convert scripts write
// them and ggml/docs/gguf.md lists them), and tokenizer::from_file, which picks the reader by
// extension and content.
//
// Keys: tokenizer.ggml.model ("llama" = SentencePiece BPE, "gpt2" = byte-level BPE),
// .tokens, .scores, .token_type, .merges (gpt2), .pre (gpt2 pre-tokenizer: "gpt-2"),
// .bos_token_id, .eos_token_id, .unknown_token_id, .add_bos_token (default true for llama,
// false for gpt2), .add_space_prefix (default true for llama). Every array length is checked
// against the token count and every error names the key at fault.
#include <filesystem>
#include <fstream>

#include "prism/gguf.h"
#include "prism/mapped_file.h"
#include "vocab.h"

namespace prism {
namespace {

using tokenizer_detail::vocab_data;

const gguf::array* find_array(const gguf::file& f, std::string_view key, bool required) {
    const gguf::value* v = f.find(key);
    if (!v) {
        if (required) throw engine_error(errc::format, "missing key " + std::string(key));
        return nullptr;
    }
    if (v->type != gguf::value_type::array)
        throw engine_error(errc::format, std::string(key) + " is a " +
                                             std::string(gguf::value_type_name(v->type)) +
                                             ", expected an array");
    return &v->as_array();
}

void check_elem(const gguf::array& a, std::string_view key,
                std::initializer_list<gguf::value_type> ok) {
    for (const auto t : ok)
        if (a.elem_type == t) return;
    throw engine_error(errc::format, std::string(key) + " holds " +
                                         std::string(gguf::value_type_name(a.elem_type)) +
                                         " elements, which is not an accepted type");
}

void check_length(const gguf::array& a, std::string_view key, size_t n_tokens) {
    if (a.items.size() != n_tokens)
        throw engine_error(
            errc::format, std::string(key) + " has " + std::to_string(a.items.size()) +
                              " entries but tokenizer.ggml.tokens has " + std::to_string(n_tokens));
}

std::vector<std::string> read_strings(const gguf::array& a, std::string_view key) {
    check_elem(a, key, {gguf::value_type::string});
    std::vector<std::string> out;
    out.reserve(a.items.size());
    for (const auto& item : a.items) out.push_back(item.as_string());
    return out;
}

/// A special-token id: absent, negative or 0xFFFFFFFF (the "none" llama.cpp writes) -> -1;
/// otherwise it must index the vocabulary.
int32_t read_special_id(const gguf::file& f, std::string_view key, size_t n_tokens) {
    const auto v = f.get_int(key);
    if (!v || *v < 0 || *v == 0xFFFFFFFF) return -1;
    if (static_cast<uint64_t>(*v) >= n_tokens)
        throw engine_error(errc::format, std::string(key) + " = " + std::to_string(*v) +
                                             " is outside the vocabulary of " +
                                             std::to_string(n_tokens) + " tokens");
    return static_cast<int32_t>(*v);
}

std::shared_ptr<const tokenizer> tokenizer_from_gguf(const gguf::file& f) {
    const auto model = f.get_string("tokenizer.ggml.model");
    if (!model) throw engine_error(errc::format, "missing key tokenizer.ggml.model");
    const bool is_llama = *model == "llama";
    const bool is_gpt2 = *model == "gpt2";
    if (!is_llama && !is_gpt2)
        throw engine_error(errc::unsupported, "tokenizer.ggml.model = \"" + *model +
                                                  "\" is not supported (llama, gpt2 are)");

    vocab_data d;
    d.texts = read_strings(*find_array(f, "tokenizer.ggml.tokens", true), "tokenizer.ggml.tokens");
    const size_t n = d.texts.size();
    if (n == 0) throw engine_error(errc::format, "tokenizer.ggml.tokens is empty");
    if (n > static_cast<size_t>(INT32_MAX))
        throw engine_error(errc::format, "tokenizer.ggml.tokens has too many entries");

    if (const auto* a = find_array(f, "tokenizer.ggml.scores", false)) {
        check_elem(*a, "tokenizer.ggml.scores",
                   {gguf::value_type::float32, gguf::value_type::float64});
        check_length(*a, "tokenizer.ggml.scores", n);
        d.scores.reserve(n);
        for (const auto& item : a->items) d.scores.push_back(static_cast<float>(item.as_float()));
    }
    if (const auto* a = find_array(f, "tokenizer.ggml.token_type", false)) {
        check_elem(*a, "tokenizer.ggml.token_type",
                   {gguf::value_type::int32, gguf::value_type::uint32, gguf::value_type::int8,
                    gguf::value_type::uint8, gguf::value_type::int16, gguf::value_type::uint16,
                    gguf::value_type::int64, gguf::value_type::uint64});
        check_length(*a, "tokenizer.ggml.token_type", n);
        d.types.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            const int64_t t = a->items[i].as_int();
            if (t < 0 || t > static_cast<int64_t>(token_type::byte))
                throw engine_error(errc::format, "tokenizer.ggml.token_type[" + std::to_string(i) +
                                                     "] = " + std::to_string(t) +
                                                     " is not a token type (0..6)");
            d.types.push_back(static_cast<token_type>(t));
        }
    }
    d.bos = read_special_id(f, "tokenizer.ggml.bos_token_id", n);
    d.eos = read_special_id(f, "tokenizer.ggml.eos_token_id", n);
    d.unk = read_special_id(f, "tokenizer.ggml.unknown_token_id", n);
    d.add_bos = f.get_bool("tokenizer.ggml.add_bos_token").value_or(is_llama);
    d.add_space_prefix = is_llama && f.get_bool("tokenizer.ggml.add_space_prefix").value_or(true);

    try {
        if (is_llama) return tokenizer_detail::make_spm_tokenizer(std::move(d));
        const auto pre = f.get_string("tokenizer.ggml.pre").value_or("gpt-2");
        if (pre != "gpt-2")
            throw engine_error(errc::unsupported,
                               "tokenizer.ggml.pre = \"" + pre +
                                   "\" is not supported (only the GPT-2 pre-tokenizer is)");
        const auto* m = find_array(f, "tokenizer.ggml.merges", true);
        return tokenizer_detail::make_bpe_tokenizer(std::move(d),
                                                    read_strings(*m, "tokenizer.ggml.merges"));
    } catch (const engine_error& e) {
        if (e.code() == errc::unsupported) throw;
        throw engine_error(e.code(), std::string("tokenizer.ggml.*: ") + e.what(), e.offset());
    }
}

bool has_gguf_magic(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    return in.read(magic, 4) && std::string_view(magic, 4) == "GGUF";
}

}  // namespace

result<std::shared_ptr<const tokenizer>> tokenizer::from_gguf(const gguf::file& f) {
    return catch_to_result([&] { return tokenizer_from_gguf(f); }, f.path());
}

result<std::shared_ptr<const tokenizer>> tokenizer::from_file(const std::string& path,
                                                              int32_t n_vocab) {
    if (auto ok = file_check_regular(path); !ok) return std::unexpected(ok.error());
    const std::filesystem::path p(path);
    const std::string ext = p.extension().string();
    if (ext == ".model") return from_sentencepiece(path);
    if (p.filename() == "tokenizer.json")
        return std::unexpected(error{errc::unsupported,
                                     "Hugging Face tokenizer.json files are not supported yet",
                                     path, -1});
    if (ext == ".gguf" || has_gguf_magic(path)) {
        auto f = gguf::file::open(path);
        if (!f) return std::unexpected(f.error());
        return from_gguf(*f);
    }
    return from_llama2c(path, n_vocab);
}

}  // namespace prism
