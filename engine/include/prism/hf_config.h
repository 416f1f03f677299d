// Hugging Face config.json for Llama models (LlamaForCausalLM): parsing into llama_hparams,
// writing back, and exporting a loaded model as a Hugging Face folder.
//
// Source: transformers' LlamaConfig (configuration_llama.py) — key names, and defaults for
// keys a config may omit: num_key_value_heads = num_attention_heads, rope_theta = 10000,
// rms_norm_eps = 1e-6, max_position_embeddings = 2048, tie_word_embeddings = false.
// Hugging Face Llama checkpoints keep q/k projections in the rotate-half RoPE layout, so a
// parsed config always says rope_layout::rotate_half.
// Features the engine's Llama forward does not implement (rope_scaling, attention or MLP
// biases, an activation other than SiLU, a head_dim other than hidden_size / heads) are
// errc::unsupported rather than silently ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prism/error.h"
#include "prism/model_source.h"

namespace prism {

/// What a LlamaForCausalLM config.json says, in engine terms.
struct hf_llama_config {
    llama_hparams hparams;               ///< rope = rotate_half; n_rot = head_dim
    int32_t bos_token_id = -1;           ///< -1 when absent or null
    std::vector<int32_t> eos_token_ids;  ///< eos_token_id: one id, a list, or none
    std::string torch_dtype;             ///< "float32", "bfloat16", ...; empty when absent
    /// Every top-level key with a short printable value, in file order (for `prism info`).
    std::vector<std::pair<std::string, std::string>> entries;
};

/// Parses config.json text. Errors: errc::format (invalid JSON, duplicate key, a required key
/// missing — vocab_size, hidden_size, intermediate_size, num_hidden_layers,
/// num_attention_heads — or any key of the wrong type or out of range, hidden_size not a
/// multiple of num_attention_heads, heads not a multiple of num_key_value_heads, an odd
/// head_dim, token ids outside the vocabulary; the message names the key), errc::unsupported
/// (not a Llama architecture, naming what it is; rope_scaling; biases; hidden_act != silu).
result<hf_llama_config> hf_config_parse(std::string_view json_text,
                                        const std::string& path_for_errors = {});
/// Reads and parses the file at `path` (errc::io when it cannot be read).
result<hf_llama_config> hf_config_load(const std::string& path);

/// config.json text (pretty-printed) for a LlamaForCausalLM with these settings;
/// torch_dtype "float32" when empty. errc::invalid_argument when the hparams are inconsistent
/// (sizes not positive, n_embd % n_head, n_head % n_head_kv, n_rot != head_dim).
result<std::string> hf_config_to_json(const hf_llama_config& c);

/// Writes `m` as a Hugging Face Llama folder: `dir`/config.json and `dir`/model.safetensors
/// (all tensors F32, HF tensor names, PyTorch shapes, __metadata__ format = pt), creating
/// `dir` if needed. Models in the adjacent-pairs RoPE layout (GGUF, llama2.c) get the rows
/// of every attn_q / attn_k head permuted into the rotate-half layout (the inverse of
/// llama.cpp's convert_hf_to_gguf.py permute). Quantized and half tensors are dequantized.
/// The tokenizer is not exported. bos/eos ids come from `bos_token_id` / `eos_token_ids`
/// (pass -1 / empty to omit). Errors: errc::invalid_argument (inconsistent hparams, a
/// tensor with an unexpected name or shape), errc::unsupported (a type that cannot be
/// dequantized), errc::io.
result<void> hf_export_llama(const model_source& m, const std::string& dir,
                             int32_t bos_token_id = -1,
                             const std::vector<int32_t>& eos_token_ids = {});

}  // namespace prism
