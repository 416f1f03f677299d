// Random-weight Llama models of real shapes, for benchmarks without a download:
// `prism synth --shape tinyllama-1.1b --type Q4_K_M out.gguf` and `prism bench --shape ...`.
//
// Every weight matrix is drawn from N(0, 0.02²) (the GPT-2 / Llama initialization scale),
// every norm weight is 1. The tokenizer is a real one (by default the bundled Llama 2
// SentencePiece vocabulary, default_vocab_path()), so `prism generate` runs on the result.
// File types follow `prism quantize`'s rules (quantize.h: llama.cpp's mixes, Q6_K output,
// the row-length fallbacks), applied to the F32 draws row by row, so a synthesized Q4_0 file
// has exactly the tensor types llama-quantize would give the same shape.
//
// Determinism: tensor t's row r is drawn from its own stream, seeded from (seed, t, r), so
// the bytes depend on the seed only, not on the thread count.
// Tensor order in the file: token_embd, then per block attn_norm, attn_q, attn_k, attn_v,
// attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down, then output_norm and output.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"
#include "prism/model_source.h"
#include "prism/quantize.h"

namespace prism {

/// The hyperparameters a shape spec names:
///   "llama-110m"      dim 768, 12 layers, 12 heads (and KV heads), ffn 2048, vocab 32000,
///                     context 2048, untied output (llama2.c's stories110M shape)
///   "tinyllama-1.1b"  dim 2048, 22 layers, 32 heads, 4 KV heads, ffn 5632, vocab 32000,
///                     context 2048, untied output (TinyLlama-1.1B)
///   a JSON object, inline ("{...}") or in a file: Hugging Face config.json names
///   (hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
///   intermediate_size, vocab_size, max_position_embeddings, rope_theta, rms_norm_eps,
///   tie_word_embeddings), checked as hf_config_parse checks them; "architectures" /
///   "model_type" may be omitted.
/// Both named shapes use rms_norm_eps 1e-5 and rope_theta 10000. The RoPE layout is GGUF's
/// (adjacent pairs). Errors: errc::invalid_argument (an unknown name that is no file, naming
/// the choices), errc::format (bad JSON, a missing or non-positive size, heads not dividing
/// hidden_size, KV heads not dividing heads; the message names the key), errc::unsupported
/// (features hf_config_parse refuses), errc::io (an unreadable file).
result<llama_hparams> synth_shape(std::string_view spec);

/// The named shapes: "llama-110m", "tinyllama-1.1b".
const std::vector<std::string>& synth_shape_list();
/// "llama-110m, tinyllama-1.1b", for help and error texts.
std::string synth_shape_names();

struct synth_params {
    quantize_ftype ftype = quantize_ftype::f32;
    uint64_t seed = 0;
    int n_threads = 0;       ///< threads drawing and converting rows; <= 0: all cores
    std::string vocab_path;  ///< GGUF file with tokenizer.ggml.*; empty: default_vocab_path()
    std::string name;        ///< general.name; empty: "synthetic llama"
};

/// One tensor as it was made.
struct synth_tensor_report {
    std::string name;
    uint32_t n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    kernels::ggml_type wanted = kernels::ggml_type::f32;  ///< what the type rules asked for
    kernels::ggml_type type = kernels::ggml_type::f32;    ///< what was made (row-length fallback)
    size_t nbytes = 0;
};

struct synth_stats {
    int64_t n_tensors = 0;
    int64_t n_params = 0;
    size_t n_bytes = 0;      ///< tensor data bytes
    bool cancelled = false;  ///< the callback or stop token ended it; nothing was written
};

/// Called after each tensor is made (done of total); return false to cancel.
using synth_callback =
    std::function<bool(const synth_tensor_report& tensor, int64_t done, int64_t total)>;

/// Writes a random-weight GGUF model of shape `hp` to `out`, atomically (a temporary sibling
/// renamed into place; `out` is untouched on error or cancellation). Tensors are generated
/// one at a time while the file is written, so memory stays near the largest tensor.
/// Metadata: general.architecture/name/file_type (+ quantization_version), the llama.* keys,
/// and every tokenizer.* key of the vocabulary file. Errors: errc::invalid_argument
/// (inconsistent hparams, an unknown ftype, a vocabulary whose size is not hp.n_vocab),
/// errc::io (unreadable vocabulary, unwritable output), errc::format (a vocabulary file
/// without a tokenizer). Cancellation is an outcome (synth_stats::cancelled).
result<synth_stats> model_synth_write(const llama_hparams& hp, const std::string& out,
                                      const synth_params& p, const synth_callback& on_tensor = {},
                                      std::stop_token stop = {});

/// Told after each tensor model_synth makes (done of total).
using synth_progress =
    std::function<void(const synth_tensor_report& tensor, int64_t done, int64_t total)>;

/// The same model built in memory (tensors owned by the source, 64-byte aligned, the same
/// bytes as the file model_synth_write makes with the same parameters); the tokenizer comes
/// from p.vocab_path. Same errors as model_synth_write, without the output ones.
result<model_source> model_synth(const llama_hparams& hp, const synth_params& p,
                                 const synth_progress& on_tensor = {});

}  // namespace prism
