// The Llama-family decoder (Touvron et al. 2023, "Llama 2"): token embedding, n_layer blocks
// of pre-RMSNorm grouped-query attention with RoPE and a SwiGLU FFN, final RMSNorm, tied or
// untied classifier. Weights stay where the reader put them (the mmap); a context adds a KV
// cache and scratch and runs a *batched* forward over several sequences, each with its own
// positions and cache slot, so the playground, the server and training share one forward.
//
// Shapes: see model_source.h for weights. KV cache: per layer and sequence slot, float32;
// K transposed as [n_head_kv, head_dim, n_ctx] (positions contiguous, so attention scores are
// vector FMAs), V as [n_ctx, n_head_kv, head_dim].
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prism/backend.h"
#include "prism/error.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"

namespace prism {

/// Immutable weights + hyperparameters + tokenizer. Shareable across contexts and threads.
class llama_model {
public:
    /// Reads and validates a model (GGUF, llama2.c .bin, HF folder; see model_source_load).
    static result<std::shared_ptr<const llama_model>> load(const std::string& path,
                                                           const model_load_params& p = {});
    /// Takes a source already read; validates names and shapes. errc::format names the
    /// first missing or mis-shaped tensor; errc::format if the source has no tokenizer.
    static result<std::shared_ptr<const llama_model>> from_source(model_source src);

    const llama_hparams& hparams() const { return m_src.hparams; }
    const model_source& source() const { return m_src; }
    const tokenizer& vocab() const { return *m_src.vocab; }

    struct layer {
        const tensor_view *attn_norm, *wq, *wk, *wv, *wo, *ffn_norm, *ffn_gate, *ffn_up, *ffn_down;
    };
    const tensor_view& token_embd() const { return *m_token_embd; }
    const tensor_view& output_norm() const { return *m_output_norm; }
    const tensor_view& output() const { return *m_output; }  ///< token_embd when tied
    const std::vector<layer>& layers() const { return m_layers; }

private:
    explicit llama_model(model_source src);
    model_source m_src;
    const tensor_view* m_token_embd = nullptr;
    const tensor_view* m_output_norm = nullptr;
    const tensor_view* m_output = nullptr;
    std::vector<layer> m_layers;
};

/// Tokens to run in one forward: token i of the batch is at position pos[i] of sequence
/// seq_id[i]; logits are produced for tokens with want_logits[i] (llama.cpp's llama_batch).
struct llama_batch {
    std::vector<int32_t> token;
    std::vector<int32_t> pos;
    std::vector<int32_t> seq_id;
    std::vector<uint8_t> want_logits;

    void add(int32_t tok, int32_t position, int32_t seq, bool logits) {
        token.push_back(tok);
        pos.push_back(position);
        seq_id.push_back(seq);
        want_logits.push_back(logits ? 1 : 0);
    }
    void clear() { token.clear(), pos.clear(), seq_id.clear(), want_logits.clear(); }
    size_t size() const { return token.size(); }
};

/// One observed intermediate tensor row (see llama_context::set_tap). Names and shapes:
///   "attn_probs" [n_head, pos + 1]  post-softmax attention of the query at `pos`, per query head
///   "attn_out"   [1, n_embd]        attention block output (after Wo), before the residual add
///   "ffn_out"    [1, n_embd]        feed-forward output, before the residual add
///   "resid"      [1, n_embd]        the residual stream after the layer
/// The data is only valid during the callback.
struct tap_event {
    std::string_view name;
    int32_t layer = 0;
    int32_t seq_id = 0;
    int32_t pos = 0;
    int64_t rows = 0, cols = 0;
    std::span<const float> data;
};

/// Which tensors to observe and where to send them. `wants` is asked once per forward and
/// layer; layers nobody observes run the fast path (no probability matrix is formed).
struct tap_params {
    std::function<bool(std::string_view name, int32_t layer)> wants;
    std::function<void(const tap_event&)> on_tensor;
};

struct context_params {
    int32_t n_ctx = 0;      ///< positions per sequence; 0 = the model's n_ctx_train (≤ 4096)
    int32_t n_seq_max = 1;  ///< sequences (cache slots) that can be live at once
    int32_t n_threads = 0;  ///< CPU threads; 0 = all cores
};

/// A KV cache and scratch bound to one model and backend. Not thread-safe: one caller at
/// a time (each worker owns its context).
class llama_context {
public:
    static result<std::unique_ptr<llama_context>> create(std::shared_ptr<const llama_model> model,
                                                         const context_params& p = {});
    ~llama_context();

    /// Runs the batch. Each sequence's tokens must continue it: the first position of
    /// sequence s in the batch equals kv_cache_seq_length(s), later ones follow in order.
    /// errc::invalid_argument for a token id out of range, a bad sequence id, a position
    /// gap, or a sequence running past n_ctx (message names which).
    result<void> decode(const llama_batch& batch);
    /// Logits [n_vocab] of the i-th token that asked for logits in the last decode.
    std::span<const float> logits(int32_t i) const;
    int32_t n_outputs() const { return m_n_outputs; }

    int32_t n_ctx() const { return m_n_ctx; }
    int32_t n_seq_max() const { return m_n_seq_max; }
    int32_t kv_cache_seq_length(int32_t seq) const { return m_seq_len.at(seq); }
    /// Forgets positions >= p0 of sequence seq (p0 = 0: the whole sequence).
    void kv_cache_seq_remove(int32_t seq, int32_t p0 = 0);
    void kv_cache_clear();
    size_t kv_cache_bytes() const;

    /// Observe intermediate tensors during decode (replaces any previous tap; an empty
    /// tap_params turns observation off).
    void set_tap(tap_params tap) { m_tap = std::move(tap); }

    const llama_model& model() const { return *m_model; }
    backend& compute_backend() { return *m_backend; }

private:
    llama_context() = default;
    void forward(const llama_batch& batch);
    void emit_probs(int32_t layer, int32_t seq, std::span<const int32_t> pos,
                    std::span<const float> probs, int64_t stride);

    std::shared_ptr<const llama_model> m_model;
    std::unique_ptr<backend> m_backend;
    int32_t m_n_ctx = 0;
    int32_t m_n_seq_max = 1;
    std::vector<int32_t> m_seq_len;
    std::vector<std::unique_ptr<backend_buffer>> m_k, m_v;  // [layer][seq] slots, layouts above
    std::vector<float> m_logits;
    // Activations of the last forward, kept so a long prompt's buffers are not allocated
    // and page-faulted in again on every call (they only grow).
    struct scratch {
        std::vector<float> x, h, q, k, v, att, gate, up, tmp;
    } m_scratch;
    int32_t m_n_outputs = 0;
    tap_params m_tap;
};

}  // namespace prism
