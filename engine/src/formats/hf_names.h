// Tensor names of Hugging Face Llama checkpoints and their llama.cpp GGUF equivalents, used
// by the safetensors folder reader and the exporter.
//
// Source: transformers' modeling_llama.py parameter names and llama.cpp's
// convert_hf_to_gguf.py / gguf-py tensor_mapping.py for the LLAMA architecture:
//   model.embed_tokens.weight <-> token_embd.weight    model.norm.weight <-> output_norm.weight
//   lm_head.weight <-> output.weight
//   model.layers.N.{input_layernorm, post_attention_layernorm}.weight <-> blk.N.{attn_norm,
//   ffn_norm}.weight; model.layers.N.self_attn.{q,k,v,o}_proj.weight <-> blk.N.{attn_q,
//   attn_k, attn_v, attn_output}.weight; model.layers.N.mlp.{gate,up,down}_proj.weight <->
//   blk.N.{ffn_gate, ffn_up, ffn_down}.weight
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace prism::detail {

/// The GGUF name of a Hugging Face Llama tensor name, or nullopt if it is not one.
/// `layer` receives the block index for per-layer tensors, -1 otherwise.
std::optional<std::string> hf_to_gguf_name(std::string_view hf_name, long& layer);
/// The Hugging Face name of a GGUF Llama tensor name, or nullopt if it is not one.
std::optional<std::string> gguf_to_hf_name(std::string_view gguf_name);

}  // namespace prism::detail
