// GGUF → model_source: Llama hyperparameters from the `llama.*` keys (and back:
// gguf::write_llama_hparams), tensor views into the file's mapping, the vocabulary from
// `tokenizer.ggml.*`, and every metadata key in printable form.
//
// Source: the GGUF specification's standardized key names (ggml/docs/gguf.md, "LLM" and
// "Tokenizer" sections) and llama.cpp's llama architecture loader (defaults: head_count_kv
// = head_count, rope.dimension_count = head_dim, rope.freq_base = 10000). GGUF llama files
// keep Meta's adjacent-pair RoPE layout (llama.cpp's convert script permutes HF weights).
#include <filesystem>

#include "prism/gguf.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"

namespace prism {

namespace {

int32_t to_int32(const std::string& key, int64_t v) {
    if (v < 0 || v > INT32_MAX)
        throw engine_error(errc::format,
                           "gguf: key '" + key + "': value " + std::to_string(v) + " out of range");
    return static_cast<int32_t>(v);
}

int32_t required_int(const gguf::file& f, const std::string& key) {
    const auto v = f.get_int(key);
    if (!v) throw engine_error(errc::format, "gguf: missing key '" + key + "'");
    return to_int32(key, *v);
}

std::optional<int32_t> optional_int(const gguf::file& f, const std::string& key) {
    const auto v = f.get_int(key);
    if (!v) return std::nullopt;
    return to_int32(key, *v);
}

llama_hparams read_hparams(const gguf::file& f) {
    const std::string p = "llama.";
    llama_hparams h;
    h.n_ctx_train = required_int(f, p + "context_length");
    h.n_embd = required_int(f, p + "embedding_length");
    h.n_ff = required_int(f, p + "feed_forward_length");
    h.n_layer = required_int(f, p + "block_count");
    h.n_head = required_int(f, p + "attention.head_count");
    if (h.n_head == 0)
        throw engine_error(errc::format, "gguf: key 'llama.attention.head_count' is 0");
    h.n_head_kv = optional_int(f, p + "attention.head_count_kv").value_or(h.n_head);
    h.n_rot = optional_int(f, p + "rope.dimension_count").value_or(h.head_dim());
    if (const auto eps = f.get_float(p + "attention.layer_norm_rms_epsilon"))
        h.rms_norm_eps = static_cast<float>(*eps);
    h.rope_theta = static_cast<float>(f.get_float(p + "rope.freq_base").value_or(10000.0));
    h.rope = rope_layout::adjacent_pairs;
    h.tied_output = f.find_tensor("output.weight") == nullptr;

    if (const auto* emb = f.find_tensor("token_embd.weight")) {
        if (emb->ne[1] > INT32_MAX)
            throw engine_error(errc::format, "gguf: tensor 'token_embd.weight': n_vocab " +
                                                 std::to_string(emb->ne[1]) + " out of range");
        h.n_vocab = static_cast<int32_t>(emb->ne[1]);
    } else if (const auto* toks = f.find("tokenizer.ggml.tokens");
               toks && toks->type == gguf::value_type::array) {
        h.n_vocab = static_cast<int32_t>(toks->as_array().items.size());
    }
    return h;
}

model_source load(const std::string& path) {
    auto opened = gguf::file::open(path);
    if (!opened) {
        const auto& e = opened.error();
        throw engine_error(e.code, e.message, e.offset);
    }
    const gguf::file& f = *opened;

    if (f.tensors().empty())
        throw engine_error(errc::format, "gguf: '" + path +
                                             "' has no tensors: it is a vocabulary-only file, " +
                                             "usable with `prism tokenize` but not to run a model");
    const auto arch = f.get_string("general.architecture");
    if (!arch) throw engine_error(errc::format, "gguf: missing key 'general.architecture'");
    if (*arch != "llama")
        throw engine_error(errc::unsupported,
                           "gguf: architecture '" + *arch + "' is not supported (only llama)");

    model_source m;
    m.path = path;
    m.format = "gguf";
    m.name = f.get_string("general.name").value_or(std::filesystem::path(path).stem().string());
    m.hparams = read_hparams(f);
    m.owners.push_back(f.owner());
    for (const auto& t : f.tensors()) {
        tensor_view v;
        v.name = t.name;
        v.type = t.type;
        v.n_dims = t.n_dims;
        v.ne = t.ne;
        v.data = t.data;
        v.nbytes = static_cast<size_t>(t.nbytes);
        m.tensors.emplace(t.name, std::move(v));
    }
    for (const auto& [key, value] : f.metadata()) m.metadata.emplace_back(key, value.to_display());

    if (f.find("tokenizer.ggml.model")) {
        auto vocab = tokenizer::from_gguf(f);
        if (!vocab) {
            const auto& e = vocab.error();
            throw engine_error(e.code, e.message, e.offset);
        }
        m.vocab = std::move(*vocab);
    }
    return m;
}

}  // namespace

void gguf::write_llama_hparams(gguf::writer& w, const llama_hparams& hp) {
    const auto u32 = [](const char* key, int32_t v) {
        if (v < 0)
            throw engine_error(errc::invalid_argument,
                               std::string("gguf: ") + key + " = " + std::to_string(v) + " < 0");
        return gguf::value::u32(static_cast<uint32_t>(v));
    };
    w.set("general.architecture", gguf::value::str("llama"));
    w.set("llama.context_length", u32("n_ctx_train", hp.n_ctx_train));
    w.set("llama.embedding_length", u32("n_embd", hp.n_embd));
    w.set("llama.feed_forward_length", u32("n_ff", hp.n_ff));
    w.set("llama.block_count", u32("n_layer", hp.n_layer));
    w.set("llama.attention.head_count", u32("n_head", hp.n_head));
    w.set("llama.attention.head_count_kv", u32("n_head_kv", hp.n_head_kv));
    w.set("llama.rope.dimension_count", u32("n_rot", hp.n_rot));
    w.set("llama.attention.layer_norm_rms_epsilon", gguf::value::f32(hp.rms_norm_eps));
    w.set("llama.rope.freq_base", gguf::value::f32(hp.rope_theta));
}

result<model_source> model_source_from_gguf(const std::string& path) {
    return catch_to_result([&] { return load(path); }, path);
}

}  // namespace prism
