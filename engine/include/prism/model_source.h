// A model as read from disk, before it is bound to a backend: hyperparameters, named weight
// views (GGUF tensor naming, whatever the file format), and the tokenizer.
//
// Every reader (GGUF, llama2.c .bin, HF safetensors folder) produces one of these, so the
// model code has a single input shape. Tensor names follow llama.cpp's GGUF convention:
//   token_embd.weight [n_embd, n_vocab]      output_norm.weight [n_embd]
//   output.weight     [n_embd, n_vocab]      (absent when the classifier is tied)
//   blk.N.attn_norm.weight [n_embd]          blk.N.ffn_norm.weight [n_embd]
//   blk.N.attn_q.weight [n_embd, n_head*head_dim]    blk.N.attn_k/attn_v.weight
//   [n_embd, n_head_kv*head_dim]             blk.N.attn_output.weight [n_head*head_dim, n_embd]
//   blk.N.ffn_gate.weight / ffn_up.weight [n_embd, n_ff]   blk.N.ffn_down.weight [n_ff, n_embd]
// Shapes are in GGUF order (ne[0] is the contiguous dimension): a weight [n_in, n_out] is
// n_out rows of n_in elements, i.e. a row-major [out, in] matrix as PyTorch stores it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prism/error.h"
#include "prism/kernels/dtype.h"

namespace prism {

class tokenizer;

/// A non-owning view of one tensor's bytes (in a mapping or an owned buffer).
struct tensor_view {
    std::string name;
    kernels::ggml_type type = kernels::ggml_type::f32;
    uint32_t n_dims = 1;
    std::array<int64_t, 4> ne{1, 1, 1, 1};  ///< GGUF order: ne[0] contiguous
    const void* data = nullptr;
    size_t nbytes = 0;

    int64_t numel() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
};

/// How q/k head dimensions are paired for rotary embeddings.
enum class rope_layout {
    adjacent_pairs,  ///< (x[2i], x[2i+1]) rotate together: GGUF llama, llama2.c, Meta originals
    rotate_half,     ///< (x[i], x[i + d/2]) rotate together: Hugging Face / GPT-NeoX
};

/// Llama-family hyperparameters (GGUF `llama.*` keys / HF config.json names in comments).
struct llama_hparams {
    int32_t n_vocab = 0;         ///< vocab_size
    int32_t n_ctx_train = 0;     ///< llama.context_length / max_position_embeddings
    int32_t n_embd = 0;          ///< llama.embedding_length / hidden_size
    int32_t n_ff = 0;            ///< llama.feed_forward_length / intermediate_size
    int32_t n_layer = 0;         ///< llama.block_count / num_hidden_layers
    int32_t n_head = 0;          ///< llama.attention.head_count / num_attention_heads
    int32_t n_head_kv = 0;       ///< llama.attention.head_count_kv / num_key_value_heads
    int32_t n_rot = 0;           ///< llama.rope.dimension_count (= head_dim when absent)
    float rms_norm_eps = 1e-5f;  ///< llama.attention.layer_norm_rms_epsilon / rms_norm_eps
    float rope_theta = 10000.f;  ///< llama.rope.freq_base / rope_theta
    rope_layout rope = rope_layout::adjacent_pairs;
    bool tied_output = false;  ///< no output.weight: classifier = token_embd (tie_word_embeddings)

    int32_t head_dim() const { return n_head > 0 ? n_embd / n_head : 0; }
};

/// A loaded model file. Movable; the views stay valid while this object (or a copy of
/// `owners`) lives.
struct model_source {
    std::string path;
    std::string format;  ///< "gguf", "llama2c", "safetensors"
    std::string name;    ///< general.name or the file stem
    llama_hparams hparams;
    std::map<std::string, tensor_view> tensors;                 ///< by GGUF tensor name
    std::vector<std::shared_ptr<const void>> owners;            ///< mappings and buffers
    std::shared_ptr<const tokenizer> vocab;                     ///< null if the file has none
    std::vector<std::pair<std::string, std::string>> metadata;  ///< key, printable value

    /// Total parameter count and bytes of weight data over all tensors.
    int64_t n_params() const {
        int64_t n = 0;
        for (const auto& [key, t] : tensors) n += t.numel();
        return n;
    }
    size_t n_bytes() const {
        size_t n = 0;
        for (const auto& [key, t] : tensors) n += t.nbytes;
        return n;
    }

    const tensor_view* find(const std::string& tensor_name) const {
        auto it = tensors.find(tensor_name);
        return it == tensors.end() ? nullptr : &it->second;
    }
};

struct model_load_params {
    std::string tokenizer_path;  ///< tokenizer file to use instead of / besides the model's
};

/// Reads a model from `path`: a GGUF file, a llama2.c checkpoint (.bin), or a Hugging Face
/// folder (config.json + *.safetensors + tokenizer). The format is detected from content.
/// Errors: errc::io, errc::format (naming field and offset), errc::unsupported.
result<model_source> model_source_load(const std::string& path, const model_load_params& p = {});

/// A file shipped in the bundled models folder: next to the executable
/// (../share/prism/models/`file_name`) when it exists there, else the source tree's copy
/// (resources/models/`file_name`). The path may not exist.
std::string bundled_model_file(const std::string& file_name);

/// The bundled default model (resources/models/stories260K.gguf): $PRISM_MODEL if set, else
/// bundled_model_file("stories260K.gguf").
std::string default_model_path();

/// The bundled Llama 2 SentencePiece vocabulary (32000 tokens, a vocabulary-only GGUF from
/// llama.cpp's models/ folder): bundled_model_file("ggml-vocab-llama-spm.gguf"). Random-weight
/// models of real shapes (synth.h) take their tokenizer from it.
std::string default_vocab_path();

// Per-format readers, used by model_source_load (each validates names and shapes).
result<model_source> model_source_from_gguf(const std::string& path);
result<model_source> model_source_from_llama2c(const std::string& path);
result<model_source> model_source_from_hf(const std::string& dir);

/// A Llama model with random F32 weights of the shape `hp` describes: every matrix drawn
/// from N(0, 0.02²), norm weights 1 (GPT-2 / Llama initialization scale), as model_synth
/// (synth.h) makes them with this seed. For benchmarks and tests of realistic shapes without
/// a download. `vocab` may be null. errc::invalid_argument if hp is inconsistent.
result<model_source> model_source_random(const llama_hparams& hp, uint64_t seed,
                                         std::shared_ptr<const tokenizer> vocab = nullptr);

/// Checks hyperparameters alone: sizes positive and in range (n_vocab ≤ 2^24, n_embd ≤ 2^17,
/// n_ff ≤ 2^20, n_layer and n_head ≤ 4096, n_head_kv ≤ n_head), n_embd a multiple of n_head,
/// n_head of n_head_kv, n_rot even and ≤ head_dim, eps and theta positive and finite;
/// errc::format naming the first that is not.
result<void> llama_hparams_validate(const llama_hparams& hp);

/// Checks that every tensor the Llama forward needs exists with the shape hparams imply;
/// errc::format naming the first missing or mis-shaped tensor.
result<void> model_source_validate(const model_source& m);

}  // namespace prism
