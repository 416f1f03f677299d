// A tiny synthetic Llama for format tests: a prism::model_source in GGUF tensor naming and
// adjacent-pair RoPE layout (2 layers, n_embd 16, 4 heads over 2 KV heads, n_ff 24), its f32
// weights drawn uniformly from [-1, 1) by a seeded std::mt19937 so every run sees the same
// numbers. The vocabulary size, context length, seed and tied classifier are parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "prism/model_source.h"

namespace prism::test {

struct tiny_model_params {
    int32_t n_vocab = 10;
    int32_t n_ctx_train = 32;
    bool with_output = true;  ///< an output.weight of its own; false: tied to token_embd
    uint32_t seed = 42;       ///< std::mt19937 seed for the weights
};

/// The model and the buffers its tensor views point into; keep the whole object alive while
/// the views are used.
struct tiny_model {
    prism::model_source m;
    std::vector<std::shared_ptr<std::vector<float>>> buffers;

    /// Adds an f32 tensor named `name` with GGUF dimensions `ne`, filled from `rng`.
    void add(const std::string& name, const std::vector<int64_t>& ne, std::mt19937& rng) {
        auto buf = std::make_shared<std::vector<float>>();
        int64_t n = 1;
        for (int64_t d : ne) n *= d;
        std::uniform_real_distribution<float> dist(-1.f, 1.f);
        for (int64_t i = 0; i < n; ++i) buf->push_back(dist(rng));
        prism::tensor_view v;
        v.name = name;
        v.n_dims = static_cast<uint32_t>(ne.size());
        for (size_t i = 0; i < ne.size(); ++i) v.ne[i] = ne[i];
        v.data = buf->data();
        v.nbytes = buf->size() * sizeof(float);
        m.tensors[name] = v;
        buffers.push_back(buf);
    }
};

inline tiny_model make_tiny_model(const tiny_model_params& p = {}) {
    std::mt19937 rng(p.seed);
    tiny_model t;
    t.m.hparams = {.n_vocab = p.n_vocab,
                   .n_ctx_train = p.n_ctx_train,
                   .n_embd = 16,
                   .n_ff = 24,
                   .n_layer = 2,
                   .n_head = 4,
                   .n_head_kv = 2,
                   .n_rot = 4,
                   .rms_norm_eps = 1e-5f,
                   .rope_theta = 10000.f,
                   .rope = rope_layout::adjacent_pairs,
                   .tied_output = !p.with_output};
    t.add("token_embd.weight", {16, p.n_vocab}, rng);
    t.add("output_norm.weight", {16}, rng);
    if (p.with_output) t.add("output.weight", {16, p.n_vocab}, rng);
    for (int l = 0; l < 2; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        t.add(b + "attn_norm.weight", {16}, rng);
        t.add(b + "ffn_norm.weight", {16}, rng);
        t.add(b + "attn_q.weight", {16, 16}, rng);
        t.add(b + "attn_k.weight", {16, 8}, rng);
        t.add(b + "attn_v.weight", {16, 8}, rng);
        t.add(b + "attn_output.weight", {16, 16}, rng);
        t.add(b + "ffn_gate.weight", {16, 24}, rng);
        t.add(b + "ffn_up.weight", {16, 24}, rng);
        t.add(b + "ffn_down.weight", {24, 16}, rng);
    }
    return t;
}

}  // namespace prism::test
