// synth_shape (synth.h): named Llama shapes and Hugging Face config.json objects as
// llama_hparams for the random-weight model writer.
//
// Sources: llama2.c's stories110M (dim 768, 12 layers, 12 heads, hidden 2048, vocab 32000)
// and TinyLlama-1.1B's config.json (hidden 2048, 22 layers, 32 heads, 4 KV heads,
// intermediate 5632, vocab 32000, 2048 positions, rms_norm_eps 1e-5). JSON objects go through
// hf_config_parse, so they are checked exactly as a downloaded config.json is.
#include <cctype>

#include "formats/json_strict.h"
#include "prism/hf_config.h"
#include "prism/mapped_file.h"
#include "prism/synth.h"

namespace prism {

namespace {

struct named_shape {
    std::string_view name;
    llama_hparams hparams;
};

constexpr llama_hparams named(int32_t n_embd, int32_t n_layer, int32_t n_head, int32_t n_head_kv,
                              int32_t n_ff) {
    return {.n_vocab = 32000,
            .n_ctx_train = 2048,
            .n_embd = n_embd,
            .n_ff = n_ff,
            .n_layer = n_layer,
            .n_head = n_head,
            .n_head_kv = n_head_kv,
            .n_rot = n_embd / n_head,
            .rms_norm_eps = 1e-5f,
            .rope_theta = 10000.f,
            .rope = rope_layout::adjacent_pairs,
            .tied_output = false};
}

const named_shape shapes[] = {
    {"llama-110m", named(768, 12, 12, 12, 2048)},
    {"tinyllama-1.1b", named(2048, 22, 32, 4, 5632)},
};

llama_hparams from_json(std::string_view text, const std::string& what) {
    // A shape needs only sizes: say "llama" when the object names no architecture.
    const nlohmann::json root = detail::parse_json_strict(text, what);
    if (!root.is_object()) throw engine_error(errc::format, what + ": not a JSON object");
    // Insert the key into the text rather than re-serializing `root` (dump() recurses, and a
    // hostile file may nest arrays deeper than the stack allows).
    std::string patched(text);
    if (!root.contains("architectures") && !root.contains("model_type"))
        patched.insert(patched.find('{') + 1,
                       root.empty() ? "\"model_type\":\"llama\"" : "\"model_type\":\"llama\",");
    auto c = hf_config_parse(patched, what);
    if (!c) {
        // hf_config_parse names the file config.json; name what was given instead.
        std::string message = c.error().message;
        if (message.starts_with("config.json: ")) message = what + ": " + message.substr(13);
        throw engine_error(c.error().code, message);
    }
    llama_hparams hp = c->hparams;
    hp.rope = rope_layout::adjacent_pairs;  // GGUF's layout; the weights are random anyway
    return hp;
}

}  // namespace

const std::vector<std::string>& synth_shape_list() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& n : shapes) v.emplace_back(n.name);
        return v;
    }();
    return names;
}

std::string synth_shape_names() {
    std::string s;
    for (const auto& n : synth_shape_list()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

result<llama_hparams> synth_shape(std::string_view spec) {
    return catch_to_result([&]() -> llama_hparams {
        for (const auto& n : shapes)
            if (n.name == spec) return n.hparams;
        size_t first = 0;
        while (first < spec.size() && std::isspace(static_cast<unsigned char>(spec[first])))
            ++first;
        if (first < spec.size() && spec[first] == '{') return from_json(spec, "shape JSON");
        const std::string path(spec);
        if (spec.empty() || !file_check_regular(path))
            throw engine_error(errc::invalid_argument,
                               "unknown shape '" + path + "' (use " + synth_shape_names() +
                                   ", a JSON file or an inline JSON object)");
        auto text = file_read_text(path, 1u << 20);
        if (!text) throw engine_error(text.error().code, text.error().message);
        return from_json(*text, path);
    });
}

}  // namespace prism
