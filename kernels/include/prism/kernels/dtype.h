// Tensor element types as GGUF stores them (ggml_type ids), their block layouts, and the
// scalar reference conversions every optimized kernel is tested against.
//
// Source: the GGUF specification (ggml/docs/gguf.md) and ggml's block definitions
// (ggml-common.h). A quantized row of n values is n / block_size blocks of type_size bytes.
//   Q8_0: block of 32 = { f16 d; int8 qs[32] },             x[i] = d * qs[i]
//   Q4_0: block of 32 = { f16 d; uint8 qs[16] },            x[i] = d * ((qs[i] & 15) - 8),
//                                                           x[i + 16] = d * ((qs[i] >> 4) - 8)
//   F16: IEEE binary16; BF16: upper 16 bits of an IEEE binary32.
//   Q4_K, Q5_K, Q6_K: super-blocks of 256 with 6/8-bit sub-block scales, see kquants.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "prism/kernels/kquants.h"

namespace prism::kernels {

/// Element type ids exactly as GGUF's `ggml_type` (tensor info field `type`).
enum class ggml_type : uint32_t {
    f32 = 0,
    f16 = 1,
    q4_0 = 2,
    q4_1 = 3,
    q5_0 = 6,
    q5_1 = 7,
    q8_0 = 8,
    q8_1 = 9,
    q2_k = 10,
    q3_k = 11,
    q4_k = 12,
    q5_k = 13,
    q6_k = 14,
    q8_k = 15,
    i8 = 24,
    i16 = 25,
    i32 = 26,
    i64 = 27,
    f64 = 28,
    bf16 = 30,
};

struct type_traits {
    std::string_view name;  ///< ggml's name: "f32", "q8_0", ...
    int64_t block_size;     ///< elements per block (1 for plain types)
    size_t type_size;       ///< bytes per block
    bool computable;        ///< the engine can dequantize / multiply with it
};

/// Traits of a raw GGUF type id; std::nullopt for ids this build does not know.
std::optional<type_traits> type_info(uint32_t raw_type);
/// Traits of a known type (never fails).
type_traits type_info(ggml_type t);
std::string_view type_name(ggml_type t);

/// Bytes of a row of n elements; n must be a multiple of the block size.
size_t row_size(ggml_type t, int64_t n);

inline constexpr int64_t qk8_0 = 32;
inline constexpr int64_t qk4_0 = 32;
struct block_q8_0 {
    uint16_t d;  // f16 scale
    int8_t qs[qk8_0];
};
struct block_q4_0 {
    uint16_t d;  // f16 scale
    uint8_t qs[qk4_0 / 2];
};
static_assert(sizeof(block_q8_0) == 34);
static_assert(sizeof(block_q4_0) == 18);

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);  ///< round to nearest even; overflow -> inf, NaN kept
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);  ///< round to nearest even; NaN kept quiet

/// Reference dequantization of one row: src holds row_size(t, n) bytes, dst n floats.
/// n must be a multiple of the type's block size; t must be computable.
void dequantize_row_ref(ggml_type t, const void* src, float* dst, int64_t n);
/// Reference quantization (ggml's rounding rules) into row_size(t, n) bytes at dst.
void quantize_row_ref(ggml_type t, const float* src, void* dst, int64_t n);
/// The same bytes as quantize_row_ref, through the fastest implementation this CPU has
/// (today: the AVX-512 K-quant fits for Q4_K, Q5_K and Q6_K; the reference otherwise).
void quantize_row(ggml_type t, const float* src, void* dst, int64_t n);

}  // namespace prism::kernels
