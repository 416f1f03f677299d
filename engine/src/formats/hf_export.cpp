// Exporting a Llama model_source as a Hugging Face folder (config.json + model.safetensors).
//
// Source: llama.cpp convert_hf_to_gguf.py, LlamaModel.permute, which turns HF q/k rows into
// GGUF's adjacent-pair layout:
//   w.reshape(n_head, 2, d/2, n_in).swapaxes(1, 2).reshape(w.shape)
// i.e. GGUF row h*d + 2j = HF row h*d + j and GGUF row h*d + 2j + 1 = HF row h*d + d/2 + j.
// Why that is the right pairing: adjacent-pair RoPE rotates (x[2j], x[2j+1]) by angle
// pos * theta^(-2j/d); rotate-half rotates (x[j], x[j + d/2]) by the same angle. Moving row
// 2j to j and row 2j+1 to d/2 + j maps each GGUF pair onto the HF pair with the same
// frequency, and since q and k are permuted alike, every q·k score is unchanged. This file
// applies the inverse (GGUF -> HF) to attn_q (n_head heads) and attn_k (n_head_kv heads).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "formats/file_replace.h"
#include "formats/hf_names.h"
#include "prism/hf_config.h"
#include "prism/safetensors.h"
#include "prism/tokenizer.h"

namespace prism {

namespace {

namespace fs = std::filesystem;
using kernels::ggml_type;

[[noreturn]] void fail(errc code, const std::string& message) {
    throw engine_error(code, message);
}

// All elements of `t` as float32.
std::vector<float> to_f32(const tensor_view& t) {
    const int64_t n = t.numel();
    const int64_t row = t.ne[0];
    std::vector<float> out(static_cast<size_t>(n));
    if (n == 0) return out;
    const auto info = kernels::type_info(static_cast<uint32_t>(t.type));
    if (!info || (t.type != ggml_type::f32 && !info->computable) || row % info->block_size != 0) {
        fail(errc::unsupported, "tensor '" + t.name + "' of type " +
                                    std::string(info ? info->name : "unknown") +
                                    " cannot be converted to F32");
    }
    const size_t row_bytes = kernels::row_size(t.type, row);
    if (t.data == nullptr || t.nbytes != row_bytes * static_cast<size_t>(t.rows())) {
        fail(errc::invalid_argument, "tensor '" + t.name + "' holds " + std::to_string(t.nbytes) +
                                         " bytes, its shape needs " +
                                         std::to_string(row_bytes * static_cast<size_t>(t.rows())));
    }
    const auto* src = static_cast<const uint8_t*>(t.data);
    if (t.type == ggml_type::f32) {
        std::memcpy(out.data(), src, t.nbytes);
        return out;
    }
    for (int64_t r = 0; r < t.rows(); ++r) {
        kernels::dequantize_row_ref(t.type, src + static_cast<size_t>(r) * row_bytes,
                                    out.data() + r * row, row);
    }
    return out;
}

// Reorders the rows of each head from adjacent pairs to rotate-half (see the file comment).
std::vector<float> permute_to_rotate_half(const std::vector<float>& w, const tensor_view& t,
                                          int32_t n_heads, int32_t head_dim) {
    const int64_t n_in = t.ne[0];
    if (t.n_dims != 2 || t.ne[1] != int64_t{n_heads} * head_dim || head_dim % 2 != 0) {
        fail(errc::invalid_argument, "tensor '" + t.name + "' has " + std::to_string(t.ne[1]) +
                                         " rows; expected " + std::to_string(n_heads) +
                                         " heads × " + std::to_string(head_dim));
    }
    std::vector<float> out(w.size());
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        for (int64_t j = 0; j < half; ++j) {
            for (int64_t s = 0; s < 2; ++s) {
                const int64_t src_row = h * head_dim + 2 * j + s;
                const int64_t dst_row = h * head_dim + s * half + j;
                std::copy_n(w.begin() + src_row * n_in, n_in, out.begin() + dst_row * n_in);
            }
        }
    }
    return out;
}

void export_llama(const model_source& m, const std::string& dir, int32_t bos,
                  const std::vector<int32_t>& eos) {
    hf_llama_config c;
    c.hparams = m.hparams;
    c.hparams.rope = rope_layout::rotate_half;
    if (c.hparams.n_rot == 0) c.hparams.n_rot = c.hparams.head_dim();
    // A tokenizer's ids fill in what the caller left out (virtual calls only).
    c.bos_token_id = bos >= 0 ? bos : (m.vocab ? m.vocab->bos_id() : -1);
    c.eos_token_ids = eos;
    if (c.eos_token_ids.empty() && m.vocab && m.vocab->eos_id() >= 0) {
        c.eos_token_ids.push_back(m.vocab->eos_id());
    }
    const bool tied = m.hparams.tied_output || !m.find("output.weight");
    c.hparams.tied_output = tied;
    auto config_text = hf_config_to_json(c);
    if (!config_text) fail(config_text.error().code, config_text.error().message);

    const bool permute = m.hparams.rope == rope_layout::adjacent_pairs;
    const int32_t head_dim = m.hparams.head_dim();
    safetensors::writer w;
    w.set_metadata("format", "pt");
    for (const auto& [name, t] : m.tensors) {
        if (tied && name == "output.weight") continue;
        const auto hf_name = detail::gguf_to_hf_name(name);
        if (!hf_name) fail(errc::invalid_argument, "tensor '" + name + "' is not a Llama weight");
        std::vector<float> data = to_f32(t);
        if (permute && name.ends_with(".attn_q.weight")) {
            data = permute_to_rotate_half(data, t, m.hparams.n_head, head_dim);
        } else if (permute && name.ends_with(".attn_k.weight")) {
            data = permute_to_rotate_half(data, t, m.hparams.n_head_kv, head_dim);
        }
        std::vector<int64_t> shape;
        for (uint32_t i = t.n_dims; i-- > 0;) shape.push_back(t.ne[i]);
        auto added = w.add_tensor(*hf_name, ggml_type::f32, std::move(shape), data.data(),
                                  data.size() * sizeof(float));
        if (!added) fail(added.error().code, added.error().message);
    }

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) fail(errc::io, "cannot create folder '" + dir + "': " + ec.message());
    const std::string text = *config_text;
    detail::write_file_replacing((fs::path(dir) / "config.json").string(),
                                 {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    detail::write_file_replacing((fs::path(dir) / "model.safetensors").string(), w.to_bytes());
}

}  // namespace

result<void> hf_export_llama(const model_source& m, const std::string& dir, int32_t bos_token_id,
                             const std::vector<int32_t>& eos_token_ids) {
    return catch_to_result([&] { export_llama(m, dir, bos_token_id, eos_token_ids); }, dir);
}

}  // namespace prism
