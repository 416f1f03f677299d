// K-quant super-block formats (Q4_K, Q5_K, Q6_K): block layouts and the scalar reference
// (de)quantization the SIMD dot products are tested against.
//
// Source: ggml's block definitions (ggml-common.h) and its reference quantizers
// (ggml-quants.c: quantize_row_q{4,5,6}_K_ref, make_qkx2_quants, make_qx_quants,
// get_scale_min_k4), which llama-quantize uses when no importance matrix is given. A row of
// n values is n / 256 super-blocks; every scale is stored relative to an f16 super-scale.
//
//   Q4_K (144 bytes, 4.5 bits/weight): { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }
//     8 sub-blocks of 32, each with a 6-bit scale sc[j] and 6-bit min m[j] packed in
//     `scales` (j < 4: sc = scales[j] & 63, m = scales[j+4] & 63; j >= 4: the low 4 bits in
//     scales[j+4] (sc low nibble, m high nibble), the top 2 bits in the top 2 bits of
//     scales[j-4] (sc) and scales[j] (m)). Element 64c + l (l < 32) is the low nibble of
//     qs[32c + l] in sub-block 2c; element 64c + 32 + l its high nibble, sub-block 2c + 1.
//     x = d * sc[j] * q - dmin * m[j],  q in [0, 15].
//   Q5_K (176 bytes, 5.5 bits/weight): { f16 d; f16 dmin; u8 scales[12]; u8 qh[32];
//     u8 qs[128] } as Q4_K, plus a fifth bit per element: bit 2c of qh[l] for element
//     64c + l, bit 2c + 1 for element 64c + 32 + l. x = d * sc[j] * q - dmin * m[j],
//     q in [0, 31].
//   Q6_K (210 bytes, 6.5625 bits/weight): { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }
//     16 sub-blocks of 16 with signed 8-bit scales. In each half h (128 elements, ql + 64h,
//     qh + 32h), for l < 32: element 128h + 32k + l takes its low 4 bits from ql[64h + l]
//     (k = 0: low nibble, k = 2: high nibble) or ql[64h + 32 + l] (k = 1 low, k = 3 high),
//     and its top 2 bits from bits 2k..2k+1 of qh[32h + l]. x = d * scales[i / 16] * (q - 32),
//     q in [0, 63].
//
// Expected quantization error (tests/engine/test_dtype_kquants.cpp, N(0, 1) data): normalized
// MSE 5.1e-3 for Q4_K, 1.3e-3 for Q5_K, 3.1e-4 for Q6_K (Q4_0: 7.4e-3); a quant strictly
// inside its range is within half a sub-block step of its input.
#pragma once

#include <cstdint>

namespace prism::kernels {

inline constexpr int64_t qk_k = 256;  ///< elements per super-block

struct block_q4_k {
    uint16_t d;            // f16 super-scale of the sub-block scales
    uint16_t dmin;         // f16 super-scale of the sub-block mins
    uint8_t scales[12];    // 8 × (6-bit scale, 6-bit min), packed as above
    uint8_t qs[qk_k / 2];  // 4-bit quants
};
struct block_q5_k {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qh[qk_k / 8];  // fifth bits
    uint8_t qs[qk_k / 2];  // low 4 bits
};
struct block_q6_k {
    uint8_t ql[qk_k / 2];      // low 4 bits
    uint8_t qh[qk_k / 4];      // top 2 bits
    int8_t scales[qk_k / 16];  // 16 signed sub-block scales
    uint16_t d;                // f16 super-scale
};
static_assert(sizeof(block_q4_k) == 144);
static_assert(sizeof(block_q5_k) == 176);
static_assert(sizeof(block_q6_k) == 210);

/// The 6-bit scale and min of sub-block j (0..7) from a Q4_K/Q5_K `scales` array.
inline void get_scale_min_k4(int j, const uint8_t* scales, uint8_t& sc, uint8_t& m) {
    if (j < 4) {
        sc = scales[j] & 63;
        m = scales[j + 4] & 63;
    } else {
        sc = static_cast<uint8_t>((scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4));
        m = static_cast<uint8_t>((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

// Reference conversions of n values (n a multiple of qk_k). Quantization follows ggml's
// reference algorithm and float operation order, so the bytes should match llama-quantize's
// without an importance matrix (not checked against llama.cpp output here).
void dequantize_row_q4_k_ref(const block_q4_k* src, float* dst, int64_t n);
void dequantize_row_q5_k_ref(const block_q5_k* src, float* dst, int64_t n);
void dequantize_row_q6_k_ref(const block_q6_k* src, float* dst, int64_t n);
void quantize_row_q4_k_ref(const float* src, block_q4_k* dst, int64_t n);
void quantize_row_q5_k_ref(const float* src, block_q5_k* dst, int64_t n);
void quantize_row_q6_k_ref(const float* src, block_q6_k* dst, int64_t n);

// The fast twins of the reference quantizers: the same bytes, with the sub-block fits (the
// grid searches that dominate the cost) run 16 at a time in AVX-512 lanes when the CPU has
// AVX-512 (see kernels/cpu/kquants_fit.h); the reference otherwise.
void quantize_row_q4_k(const float* src, block_q4_k* dst, int64_t n);
void quantize_row_q5_k(const float* src, block_q5_k* dst, int64_t n);
void quantize_row_q6_k(const float* src, block_q6_k* dst, int64_t n);

}  // namespace prism::kernels
