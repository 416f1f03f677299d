// The per-tensor type rules of `prism quantize` (llama.cpp's llama_tensor_get_type, see
// quantize.h), shared by model_quantize and the random-weight model writer (synth.h), so a
// synthesized Q4_K_M model has exactly the mix a quantized checkpoint would.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "prism/gguf.h"
#include "prism/quantize.h"

namespace prism::detail {

/// One tensor as the rules see it.
struct quantize_tensor_desc {
    std::string name;
    uint32_t n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    kernels::ggml_type type = kernels::ggml_type::f32;  ///< its type now
};

/// The type the rules want for each tensor, in file order (the _M mixes number the attn_v
/// and ffn_down layers in that order). Tensors that are not weight matrices (norms, 1-D)
/// keep their type. Throws engine_error(errc::invalid_argument) for an unknown ftype.
std::vector<kernels::ggml_type>
quantize_wanted_types(const std::vector<quantize_tensor_desc>& tensors, quantize_ftype ftype,
                      bool pure);

/// The types to try for a matrix the rules want in `wanted`, in order: wanted, then Q8_0
/// (for another quantized type), F16, F32.
std::vector<kernels::ggml_type> quantize_fallback_types(kernels::ggml_type wanted);

/// Whether a row of ne0 elements fits type t's blocks.
bool quantize_row_fits(kernels::ggml_type t, int64_t ne0);

/// Sets general.file_type (llama.cpp's LLAMA_FTYPE value) and, for quantized base types,
/// general.quantization_version = 2.
void quantize_set_file_type(gguf::writer& w, quantize_ftype ftype);

}  // namespace prism::detail
