// Hugging Face <-> GGUF Llama tensor name mapping (see hf_names.h).
#include "formats/hf_names.h"

#include <charconv>

namespace prism::detail {

namespace {

struct name_pair {
    std::string_view hf;
    std::string_view gguf;
};

constexpr name_pair global_names[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// Suffixes after "model.layers.N." / "blk.N.".
constexpr name_pair layer_names[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Splits "<prefix>N.<rest>" into N and rest; false when the shape does not match or N has
// a leading zero (so each layer has exactly one spelling).
bool split_layer(std::string_view name, std::string_view prefix, long& layer,
                 std::string_view& rest) {
    if (!name.starts_with(prefix)) return false;
    name.remove_prefix(prefix.size());
    const auto dot = name.find('.');
    if (dot == std::string_view::npos || dot == 0 || (dot > 1 && name[0] == '0')) return false;
    const auto r = std::from_chars(name.data(), name.data() + dot, layer);
    if (r.ec != std::errc{} || r.ptr != name.data() + dot || layer < 0) return false;
    rest = name.substr(dot + 1);
    return true;
}

}  // namespace

std::optional<std::string> hf_to_gguf_name(std::string_view hf_name, long& layer) {
    layer = -1;
    for (const auto& p : global_names) {
        if (p.hf == hf_name) return std::string(p.gguf);
    }
    std::string_view rest;
    long n = -1;
    if (!split_layer(hf_name, "model.layers.", n, rest)) return std::nullopt;
    for (const auto& p : layer_names) {
        if (p.hf == rest) {
            layer = n;
            return "blk." + std::to_string(n) + "." + std::string(p.gguf);
        }
    }
    return std::nullopt;
}

std::optional<std::string> gguf_to_hf_name(std::string_view gguf_name) {
    for (const auto& p : global_names) {
        if (p.gguf == gguf_name) return std::string(p.hf);
    }
    std::string_view rest;
    long n = -1;
    if (!split_layer(gguf_name, "blk.", n, rest)) return std::nullopt;
    for (const auto& p : layer_names) {
        if (p.gguf == rest) return "model.layers." + std::to_string(n) + "." + std::string(p.hf);
    }
    return std::nullopt;
}

}  // namespace prism::detail
