// Random-weight Llama models (prism::model_source_random) written as GGUF files for tests of
// realistic row widths (the bundled model's rows are 64 wide, too narrow for the 256-element
// K-quant blocks): the llama.* hyperparameter keys, the bundled model's tokenizer (512
// tokens, so n_vocab is 512), and every tensor as F32 or
// — for 2-D weights whose rows fit the type's block — converted to `type` (or stored as the
// F32 values that conversion round-trips to: the "dequantized twin").
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "prism/gguf.h"
#include "prism/model_source.h"
#include "test_paths.h"

namespace prism::test {

/// A small Llama whose rows are multiples of 256: n_embd 256, n_ff 512, 4 heads over 2 KV
/// heads, the bundled model's 512-token vocabulary.
inline llama_hparams kquant_hparams(int32_t n_layer = 4, bool tied = false) {
    return {.n_vocab = 512,
            .n_ctx_train = 64,
            .n_embd = 256,
            .n_ff = 512,
            .n_layer = n_layer,
            .n_head = 4,
            .n_head_kv = 2,
            .n_rot = 64,
            .rms_norm_eps = 1e-5f,
            .rope_theta = 10000.f,
            .rope = rope_layout::adjacent_pairs,
            .tied_output = tied};
}

inline void write_random_gguf(const std::string& path, const llama_hparams& hp, uint64_t seed,
                              kernels::ggml_type type = kernels::ggml_type::f32,
                              bool dequantized = false) {
    auto m = model_source_random(hp, seed);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    gguf::writer w;
    gguf::write_llama_hparams(w, hp);
    w.set("general.name", gguf::value::str("random llama"));
    auto vocab = gguf::file::open(bundled_model());
    ASSERT_TRUE(vocab.has_value()) << vocab.error().message;
    for (const auto& [key, value] : vocab->metadata())
        if (key.starts_with("tokenizer.")) w.set(key, value);
    for (const auto& [name, t] : m->tensors) {
        const std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        const bool convert = t.n_dims == 2 && t.ne[0] % kernels::type_info(type).block_size == 0;
        if (!convert || type == kernels::ggml_type::f32) {
            w.add_tensor(name, t.type, ne, t.data, t.nbytes);
            continue;
        }
        const int64_t n = t.numel();
        std::vector<uint8_t> q(kernels::row_size(type, t.ne[0]) * static_cast<size_t>(t.ne[1]));
        kernels::quantize_row_ref(type, static_cast<const float*>(t.data), q.data(), n);
        if (!dequantized) {
            w.add_tensor(name, type, ne, q.data(), q.size());
            continue;
        }
        std::vector<float> back(static_cast<size_t>(n));
        kernels::dequantize_row_ref(type, q.data(), back.data(), n);
        w.add_tensor(name, kernels::ggml_type::f32, ne, back.data(), back.size() * sizeof(float));
    }
    auto ok = w.write(path);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
}

}  // namespace prism::test
