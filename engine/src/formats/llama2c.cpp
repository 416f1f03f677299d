// Reader for llama2.c checkpoints (karpathy/llama2.c, run.c "legacy" export, version 0):
// seven int32 [dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len]
// (vocab_size < 0: untied classifier), then float32 tensors in this order:
// token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim(out), dim(in)],
// wk/wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim],
// w2 [L, dim, hidden], w3 [L, hidden, dim], rms_final [dim], freq_cis_real/imag
// [seq_len, head_size/2] (unused: RoPE is recomputed), wcls [vocab, dim] when untied.
// The views point into the mapping, renamed to GGUF's names (w1 = gate, w3 = up, w2 = down).
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "prism/mapped_file.h"
#include "prism/model_source.h"

namespace prism {

result<model_source> model_source_from_llama2c(const std::string& path) {
    auto mapping = mapped_file::open(path);
    if (!mapping) return std::unexpected(mapping.error());
    const auto& file = *mapping;
    return catch_to_result(
        [&]() -> model_source {
            const auto bytes = file->bytes();
            if (bytes.size() < 28)
                throw engine_error(errc::format,
                                   "llama2.c checkpoint: file of " + std::to_string(bytes.size()) +
                                       " bytes is shorter than its 28-byte header",
                                   0);
            int32_t h[7];
            std::memcpy(h, bytes.data(), sizeof h);
            const char* names[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                                    "n_kv_heads", "vocab_size", "seq_len"};
            for (int i = 0; i < 7; ++i) {
                const int64_t v = i == 5 ? std::abs(static_cast<int64_t>(h[i])) : h[i];
                if (v <= 0 || v > (1 << 24))
                    throw engine_error(errc::format,
                                       "llama2.c checkpoint: header field " +
                                           std::string(names[i]) + " = " + std::to_string(h[i]) +
                                           " is out of range",
                                       i * 4);
            }
            const int64_t dim = h[0], hidden = h[1], n_layer = h[2], n_head = h[3],
                          n_head_kv = h[4];
            const int64_t vocab = std::abs(static_cast<int64_t>(h[5])), seq_len = h[6];
            const bool shared = h[5] > 0;
            if (n_layer > 4096)
                throw engine_error(errc::format,
                                   "llama2.c checkpoint: header field n_layers = " +
                                       std::to_string(n_layer) + " is out of range [1, 4096]",
                                   8);
            if (dim % n_head != 0 || n_head % n_head_kv != 0)
                throw engine_error(errc::format,
                                   "llama2.c checkpoint: inconsistent header (dim " +
                                       std::to_string(dim) + ", n_heads " + std::to_string(n_head) +
                                       ", n_kv_heads " + std::to_string(n_head_kv) + ")",
                                   0);
            const int64_t head_size = dim / n_head, kv_dim = n_head_kv * head_size;

            model_source m;
            m.path = path;
            m.format = "llama2c";
            m.name = std::filesystem::path(path).stem().string();
            auto& hp = m.hparams;
            hp.n_vocab = static_cast<int32_t>(vocab);
            hp.n_ctx_train = static_cast<int32_t>(seq_len);
            hp.n_embd = static_cast<int32_t>(dim);
            hp.n_ff = static_cast<int32_t>(hidden);
            hp.n_layer = static_cast<int32_t>(n_layer);
            hp.n_head = static_cast<int32_t>(n_head);
            hp.n_head_kv = static_cast<int32_t>(n_head_kv);
            hp.n_rot = static_cast<int32_t>(head_size);
            hp.rms_norm_eps = 1e-5f;
            hp.rope_theta = 10000.0f;
            hp.rope = rope_layout::adjacent_pairs;
            hp.tied_output = shared;
            m.owners.push_back(file);

            uint64_t offset = 28;
            // Reserves `count` stacked tensors of shape [ne0, ne1] (GGUF order), returning the
            // offset of the first; checks that they lie within the file.
            auto take = [&](const char* what, int64_t count, int64_t ne0, int64_t ne1) {
                const uint64_t n = static_cast<uint64_t>(count) * ne0 * ne1 * sizeof(float);
                if (n > bytes.size() || offset > bytes.size() - n)
                    throw engine_error(errc::format,
                                       std::string("llama2.c checkpoint: tensor ") + what +
                                           " needs " + std::to_string(n) + " bytes at offset " +
                                           std::to_string(offset) + " but the file has " +
                                           std::to_string(bytes.size()),
                                       static_cast<int64_t>(offset));
                const uint64_t at = offset;
                offset += n;
                return at;
            };
            auto add = [&](const std::string& name, uint64_t at, int64_t ne0, int64_t ne1) {
                tensor_view t;
                t.name = name;
                t.type = kernels::ggml_type::f32;
                t.n_dims = ne1 > 1 ? 2 : 1;
                t.ne = {ne0, ne1, 1, 1};
                t.data = bytes.data() + at;
                t.nbytes = static_cast<size_t>(ne0 * ne1) * sizeof(float);
                m.tensors[name] = t;
            };
            auto add_layers = [&](const char* what, const char* gguf, int64_t ne0, int64_t ne1) {
                const uint64_t at = take(what, n_layer, ne0, ne1);
                for (int64_t l = 0; l < n_layer; ++l)
                    add("blk." + std::to_string(l) + "." + gguf,
                        at + static_cast<uint64_t>(l * ne0 * ne1) * sizeof(float), ne0, ne1);
            };
            add("token_embd.weight", take("token_embedding_table", 1, dim, vocab), dim, vocab);
            add_layers("rms_att_weight", "attn_norm.weight", dim, 1);
            add_layers("wq", "attn_q.weight", dim, dim);
            add_layers("wk", "attn_k.weight", dim, kv_dim);
            add_layers("wv", "attn_v.weight", dim, kv_dim);
            add_layers("wo", "attn_output.weight", dim, dim);
            add_layers("rms_ffn_weight", "ffn_norm.weight", dim, 1);
            add_layers("w1", "ffn_gate.weight", dim, hidden);
            add_layers("w2", "ffn_down.weight", hidden, dim);
            add_layers("w3", "ffn_up.weight", dim, hidden);
            add("output_norm.weight", take("rms_final_weight", 1, dim, 1), dim, 1);
            take("freq_cis_real", 1, seq_len, head_size / 2);
            take("freq_cis_imag", 1, seq_len, head_size / 2);
            if (!shared) add("output.weight", take("wcls", 1, dim, vocab), dim, vocab);
            return m;
        },
        path);
}

}  // namespace prism
