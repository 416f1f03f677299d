// Rewriting a GGUF model with smaller weights: `prism quantize IN.gguf OUT.gguf --type ...`.
//
// Every metadata key is copied (general.file_type is set to llama.cpp's LLAMA_FTYPE value);
// 2-D weight matrices are converted to the file type's base type, everything else (norms,
// 1-D tensors) is copied byte for byte. The mix follows llama.cpp's llama-quantize
// (src/llama-quant.cpp, llama_tensor_get_type) for the types it supports:
//   - output.weight (or token_embd.weight when the classifier is tied to it) becomes Q6_K
//     for every quantized file type except Q8_0 (Q8_0 if its rows do not fit Q6_K);
//   - Q4_K_M / Q5_K_M: Q4_K / Q5_K, except attn_v.weight and ffn_down.weight of the layers
//     where use_more_bits(i, n) holds (i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2), which
//     become Q6_K;
//   - a row length that is not a multiple of the chosen type's block (32 for Q8_0/Q4_0,
//     256 for the K-quants) falls back to Q8_0, then F16 (where llama.cpp, which has them,
//     picks Q5_0/Q5_1 for Q4_K/Q5_K); F16 falls back to F32 when a value exceeds its range.
// The plain K types (Q4_K, Q5_K) use their base type for every other matrix, and are
// labelled LLAMA_FTYPE_MOSTLY_Q4_K_S / Q5_K_S (15/17 are the _M mixes). `pure` turns the
// output rule and the mixes off (llama-quantize --pure). Quantized inputs are dequantized
// first (requantizing loses accuracy twice; the report shows the input types).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"
#include "prism/kernels/dtype.h"

namespace prism {

/// Target file types; values are llama.cpp's LLAMA_FTYPE_* (stored in general.file_type).
enum class quantize_ftype : int32_t {
    f32 = 0,      ///< LLAMA_FTYPE_ALL_F32
    f16 = 1,      ///< LLAMA_FTYPE_MOSTLY_F16
    q4_0 = 2,     ///< LLAMA_FTYPE_MOSTLY_Q4_0
    q8_0 = 7,     ///< LLAMA_FTYPE_MOSTLY_Q8_0
    q4_k = 14,    ///< LLAMA_FTYPE_MOSTLY_Q4_K_S (here: Q4_K throughout, Q6_K output)
    q4_k_m = 15,  ///< LLAMA_FTYPE_MOSTLY_Q4_K_M
    q5_k = 16,    ///< LLAMA_FTYPE_MOSTLY_Q5_K_S (here: Q5_K throughout, Q6_K output)
    q5_k_m = 17,  ///< LLAMA_FTYPE_MOSTLY_Q5_K_M
    q6_k = 18,    ///< LLAMA_FTYPE_MOSTLY_Q6_K
    bf16 = 32,    ///< LLAMA_FTYPE_MOSTLY_BF16
};

/// "Q4_K_M", "F16", ... (the names the CLI accepts, case-insensitive in the parser).
std::string_view quantize_ftype_name(quantize_ftype t);
/// The ftype for a name such as "q4_k_m" or "Q8_0"; std::nullopt if unknown.
std::optional<quantize_ftype> quantize_ftype_from_name(std::string_view name);
/// The ftype whose LLAMA_FTYPE value (general.file_type) is `value`; std::nullopt if none.
std::optional<quantize_ftype> quantize_ftype_from_value(int64_t value);
/// Every supported name, for help and error texts: "Q8_0, Q4_0, ...".
std::string quantize_ftype_names();
/// The element type most matrices get (Q4_K for Q4_K_M, ...).
kernels::ggml_type quantize_ftype_base(quantize_ftype t);

struct quantize_params {
    quantize_ftype ftype = quantize_ftype::q8_0;
    bool pure = false;  ///< every 2-D weight in the base type: no Q6_K output, no _M mix
    int n_threads = 0;  ///< threads converting rows; <= 0: all cores
};

/// What happened to one tensor.
struct quantize_tensor_report {
    std::string name;
    uint32_t n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    kernels::ggml_type type_in = kernels::ggml_type::f32;
    kernels::ggml_type wanted = kernels::ggml_type::f32;    ///< what the mix asked for
    kernels::ggml_type type_out = kernels::ggml_type::f32;  ///< what was written
    size_t bytes_in = 0;
    size_t bytes_out = 0;
    bool converted = false;  ///< false: copied unchanged (1-D tensors, norms, type kept)
    std::string fallback;    ///< why type_out differs from wanted; empty if it does not
};

struct quantize_stats {
    std::vector<quantize_tensor_report> tensors;  ///< in file order
    int64_t n_converted = 0;
    int64_t n_fallbacks = 0;
    size_t bytes_in = 0;     ///< tensor data read
    size_t bytes_out = 0;    ///< tensor data written
    bool cancelled = false;  ///< the callback or stop token ended it; nothing was written
};

/// Called after each tensor (done of total); return false to cancel.
using quantize_callback =
    std::function<bool(const quantize_tensor_report& tensor, int64_t done, int64_t total)>;

/// Reads the GGUF file `in` and writes the converted model to `out` atomically (a temporary
/// file renamed into place; `out` is untouched on error or cancellation). Errors:
/// errc::io (missing or unreadable input, unwritable output), errc::invalid_argument (the
/// output is the input file, an unknown ftype), errc::format (a malformed GGUF, a tensor with
/// NaN or infinite values), errc::unsupported (a weight matrix in a type this build cannot
/// dequantize). Cancellation is an outcome (quantize_stats::cancelled), not an error.
result<quantize_stats> model_quantize(const std::string& in, const std::string& out,
                                      const quantize_params& p,
                                      const quantize_callback& on_tensor = {},
                                      std::stop_token stop = {});

}  // namespace prism
