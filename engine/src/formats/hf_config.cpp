// Hugging Face LlamaConfig (config.json) parsing and writing (see hf_config.h).
//
// Source: transformers/models/llama/configuration_llama.py. Every value is type- and
// range-checked before it becomes an hparam, and errors name the key, so a hand-edited
// config fails with a message a user can act on.
#include "prism/hf_config.h"
#include "prism/mapped_file.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "formats/json_strict.h"

namespace prism {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
    throw engine_error(errc::format, message);
}

[[noreturn]] void unsupported(const std::string& message) {
    throw engine_error(errc::unsupported, message);
}

// The value of `key`, or null when absent or JSON null.
const json* lookup(const json& root, const char* key) {
    auto it = root.find(key);
    return it == root.end() || it->is_null() ? nullptr : &*it;
}

// An integer in [lo, hi]; nullopt when absent (or null).
std::optional<int64_t> get_int(const json& root, const char* key, int64_t lo, int64_t hi) {
    const json* v = lookup(root, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
        fail("config.json: \"" + std::string(key) + "\" must be an integer, got " +
             detail::json_brief(*v));
    }
    const bool too_big = v->is_number_unsigned() ? v->get<uint64_t>() > static_cast<uint64_t>(hi)
                                                 : v->get<int64_t>() > hi;
    if (too_big || v->get<int64_t>() < lo) {
        fail("config.json: \"" + std::string(key) + "\" = " + detail::json_brief(*v) +
             " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return v->get<int64_t>();
}

int32_t require_size(const json& root, const char* key) {
    auto v = get_int(root, key, 1, std::numeric_limits<int32_t>::max());
    if (!v) fail("config.json: required key \"" + std::string(key) + "\" is missing");
    return static_cast<int32_t>(*v);
}

std::optional<double> get_float(const json& root, const char* key) {
    const json* v = lookup(root, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
        fail("config.json: \"" + std::string(key) + "\" must be a number, got " +
             detail::json_brief(*v));
    }
    return v->get<double>();
}

std::optional<bool> get_bool(const json& root, const char* key) {
    const json* v = lookup(root, key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
        fail("config.json: \"" + std::string(key) + "\" must be true or false, got " +
             detail::json_brief(*v));
    }
    return v->get<bool>();
}

std::optional<std::string> get_string(const json& root, const char* key) {
    const json* v = lookup(root, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        fail("config.json: \"" + std::string(key) + "\" must be a string, got " +
             detail::json_brief(*v));
    }
    return v->get<std::string>();
}

void check_architecture(const json& root) {
    std::vector<std::string> archs;
    if (const json* a = lookup(root, "architectures")) {
        if (!a->is_array()) fail("config.json: \"architectures\" must be a list of strings");
        for (const auto& s : *a) {
            if (!s.is_string()) fail("config.json: \"architectures\" must be a list of strings");
            archs.push_back(s.get<std::string>());
        }
    }
    const std::string model_type = get_string(root, "model_type").value_or("");
    for (const auto& s : archs) {
        if (s == "LlamaForCausalLM") return;
    }
    if (model_type == "llama") return;
    std::string what = archs.empty() ? std::string("(no architectures)") : archs.front();
    for (size_t i = 1; i < archs.size(); ++i) what += ", " + archs[i];
    unsupported("config.json: architecture " + what + " (model_type \"" + model_type +
                "\") is not supported; only LlamaForCausalLM (model_type \"llama\") is");
}

void check_features(const json& root, int32_t n_embd, int32_t n_head) {
    if (const json* rs = lookup(root, "rope_scaling")) {
        unsupported("config.json: rope_scaling " + detail::json_brief(*rs) + " is not supported");
    }
    if (get_bool(root, "attention_bias").value_or(false)) {
        unsupported("config.json: attention_bias = true is not supported");
    }
    if (get_bool(root, "mlp_bias").value_or(false)) {
        unsupported("config.json: mlp_bias = true is not supported");
    }
    const std::string act = get_string(root, "hidden_act").value_or("silu");
    if (act != "silu") unsupported("config.json: hidden_act \"" + act + "\" is not supported");
    if (auto hd = get_int(root, "head_dim", 1, std::numeric_limits<int32_t>::max())) {
        if (*hd != n_embd / n_head) {
            unsupported("config.json: head_dim " + std::to_string(*hd) +
                        " differs from hidden_size / num_attention_heads = " +
                        std::to_string(n_embd / n_head));
        }
    }
}

int32_t token_id(const json& v, const char* key, int32_t n_vocab) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= n_vocab) {
        fail("config.json: \"" + std::string(key) + "\" = " + detail::json_brief(v) +
             " is not a token id in [0, " + std::to_string(n_vocab) + ")");
    }
    return static_cast<int32_t>(v.get<int64_t>());
}

hf_llama_config parse_config(std::string_view text) {
    const json root = detail::parse_json_strict(text, "config.json");
    if (!root.is_object()) fail("config.json: top level is not a JSON object");
    check_architecture(root);

    hf_llama_config c;
    llama_hparams& hp = c.hparams;
    hp.n_vocab = require_size(root, "vocab_size");
    hp.n_embd = require_size(root, "hidden_size");
    hp.n_ff = require_size(root, "intermediate_size");
    hp.n_layer = require_size(root, "num_hidden_layers");
    hp.n_head = require_size(root, "num_attention_heads");
    hp.n_head_kv = static_cast<int32_t>(
        get_int(root, "num_key_value_heads", 1, std::numeric_limits<int32_t>::max())
            .value_or(hp.n_head));
    hp.n_ctx_train = static_cast<int32_t>(
        get_int(root, "max_position_embeddings", 1, std::numeric_limits<int32_t>::max())
            .value_or(2048));
    if (hp.n_embd % hp.n_head != 0) {
        fail("config.json: hidden_size " + std::to_string(hp.n_embd) +
             " is not a multiple of num_attention_heads " + std::to_string(hp.n_head));
    }
    if (hp.n_head % hp.n_head_kv != 0) {
        fail("config.json: num_attention_heads " + std::to_string(hp.n_head) +
             " is not a multiple of num_key_value_heads " + std::to_string(hp.n_head_kv));
    }
    if (hp.head_dim() % 2 != 0) {
        fail("config.json: head_dim " + std::to_string(hp.head_dim()) +
             " (hidden_size / num_attention_heads) is odd; RoPE needs pairs");
    }
    hp.n_rot = hp.head_dim();
    check_features(root, hp.n_embd, hp.n_head);

    const double eps = get_float(root, "rms_norm_eps").value_or(1e-6);
    if (!(eps > 0 && eps < 1)) {
        fail("config.json: \"rms_norm_eps\" = " + std::to_string(eps) + " is outside (0, 1)");
    }
    hp.rms_norm_eps = static_cast<float>(eps);
    const double theta = get_float(root, "rope_theta").value_or(10000.0);
    if (!(theta > 1 && theta < 1e12)) {
        fail("config.json: \"rope_theta\" = " + std::to_string(theta) + " is outside (1, 1e12)");
    }
    hp.rope_theta = static_cast<float>(theta);
    hp.rope = rope_layout::rotate_half;
    hp.tied_output = get_bool(root, "tie_word_embeddings").value_or(false);

    if (const json* bos = lookup(root, "bos_token_id")) {
        c.bos_token_id = token_id(*bos, "bos_token_id", hp.n_vocab);
    }
    if (const json* eos = lookup(root, "eos_token_id")) {
        if (eos->is_array()) {
            for (const auto& id : *eos)
                c.eos_token_ids.push_back(token_id(id, "eos_token_id", hp.n_vocab));
        } else {
            c.eos_token_ids.push_back(token_id(*eos, "eos_token_id", hp.n_vocab));
        }
    }
    c.torch_dtype = get_string(root, "torch_dtype").value_or("");
    for (auto it = root.begin(); it != root.end(); ++it) {
        c.entries.emplace_back(it.key(),
                               it->is_string() ? it->get<std::string>() : detail::json_brief(*it));
    }
    return c;
}

// A float as the double with the same shortest decimal form (1e-5f -> 1e-05, not
// 9.99999974e-06), so the written config reads as a person would write it.
double tidy(float v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    *r.ptr = '\0';
    return std::strtod(buf, nullptr);
}

}  // namespace

result<hf_llama_config> hf_config_parse(std::string_view json_text,
                                        const std::string& path_for_errors) {
    return catch_to_result([&] { return parse_config(json_text); }, path_for_errors);
}

result<hf_llama_config> hf_config_load(const std::string& path) {
    auto text = file_read_text(path, 16u << 20);
    if (!text) return std::unexpected(text.error());
    return hf_config_parse(*text, path);
}

result<std::string> hf_config_to_json(const hf_llama_config& c) {
    const llama_hparams& hp = c.hparams;
    auto bad = [](const std::string& why) -> result<std::string> {
        return std::unexpected(error{errc::invalid_argument, "hf config: " + why, {}, -1});
    };
    if (hp.n_vocab <= 0 || hp.n_embd <= 0 || hp.n_ff <= 0 || hp.n_layer <= 0 || hp.n_head <= 0 ||
        hp.n_head_kv <= 0 || hp.n_ctx_train <= 0) {
        return bad("every size must be positive");
    }
    if (hp.n_embd % hp.n_head != 0) return bad("n_embd is not a multiple of n_head");
    if (hp.n_head % hp.n_head_kv != 0) return bad("n_head is not a multiple of n_head_kv");
    if (hp.n_rot != 0 && hp.n_rot != hp.head_dim()) {
        return bad("n_rot " + std::to_string(hp.n_rot) + " differs from head_dim " +
                   std::to_string(hp.head_dim()) + " (partial rotary is not expressible)");
    }
    nlohmann::ordered_json j;
    j["architectures"] = {"LlamaForCausalLM"};
    j["model_type"] = "llama";
    j["hidden_act"] = "silu";
    j["hidden_size"] = hp.n_embd;
    j["intermediate_size"] = hp.n_ff;
    j["num_hidden_layers"] = hp.n_layer;
    j["num_attention_heads"] = hp.n_head;
    j["num_key_value_heads"] = hp.n_head_kv;
    j["head_dim"] = hp.head_dim();
    j["max_position_embeddings"] = hp.n_ctx_train;
    j["vocab_size"] = hp.n_vocab;
    j["rms_norm_eps"] = tidy(hp.rms_norm_eps);
    j["rope_theta"] = tidy(hp.rope_theta);
    j["rope_scaling"] = nullptr;
    j["attention_bias"] = false;
    j["mlp_bias"] = false;
    j["tie_word_embeddings"] = hp.tied_output;
    if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
    if (c.eos_token_ids.size() == 1) {
        j["eos_token_id"] = c.eos_token_ids.front();
    } else if (!c.eos_token_ids.empty()) {
        j["eos_token_id"] = c.eos_token_ids;
    }
    j["torch_dtype"] = c.torch_dtype.empty() ? "float32" : c.torch_dtype;
    return j.dump(2) + "\n";
}

}  // namespace prism
