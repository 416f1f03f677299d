// Portable quantized matmul row kernels (any CPU), the slow twins of quant_x86.h. Integer sums are
// exact in int32; each block's sum is scaled in float. Weight blocks are decoded once per group of
// tokens and reused for each of them.
//
// Source: the block layouts of ggml-common.h (dtype.h, kquants.h).
#include <algorithm>

#include "quant_impl.h"

namespace prism::kernels::detail {

namespace {

/// A K-quant super-block in one generic form: w[i] = d · sc[i / 16] · q[i] − dmin · m[i / 16]
/// with unsigned q. Q4_K / Q5_K: sc and m are the 6-bit sub-block scale and min, repeated
/// for both halves of each 32-element sub-block. Q6_K: q is the stored 6-bit value, sc the
/// signed 8-bit scale, m = 32 · sc and dmin = d (the −32 offset as a min). The SIMD levels
/// use the same decomposition (quant_x86.h, quant_gemm_avx512.cpp).
struct kq_block {
    float d, dmin;
    int16_t sc[16];
    int16_t m[16];
    uint8_t q[256];
};

void unpack_kq_scales(ggml_type t, const uint8_t* block, kq_block& out) {
    if (t == ggml_type::q6_k) {
        const auto& b = *reinterpret_cast<const block_q6_k*>(block);
        out.d = out.dmin = fp16_to_fp32(b.d);
        for (int g = 0; g < 16; ++g) {
            out.sc[g] = b.scales[g];
            out.m[g] = static_cast<int16_t>(32 * b.scales[g]);
        }
        return;
    }
    const auto& b = *reinterpret_cast<const block_q4_k*>(block);  // Q5_K starts alike
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
    const auto [sc, m] = unpack_scales_k4(b.scales);
    for (int j = 0; j < 8; ++j) {
        out.sc[2 * j] = out.sc[2 * j + 1] = static_cast<int16_t>((sc >> (8 * j)) & 0xff);
        out.m[2 * j] = out.m[2 * j + 1] = static_cast<int16_t>((m >> (8 * j)) & 0xff);
    }
}

void unpack_kq(ggml_type t, const uint8_t* block, kq_block& out) {
    unpack_kq_scales(t, block, out);
    if (t == ggml_type::q6_k) {
        const auto& b = *reinterpret_cast<const block_q6_k*>(block);
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = b.ql + 64 * h;
            const uint8_t* qh = b.qh + 32 * h;
            uint8_t* q = out.q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                q[l] = static_cast<uint8_t>((ql[l] & 0x0f) | ((qh[l] & 3) << 4));
                q[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4));
                q[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                q[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
            }
        }
        return;
    }
    // Q4_K and Q5_K share the nibble layout; Q5_K adds a fifth bit from qh.
    const bool q5 = t == ggml_type::q5_k;
    const auto& b5 = *reinterpret_cast<const block_q5_k*>(block);
    const uint8_t* qs = q5 ? b5.qs : reinterpret_cast<const block_q4_k*>(block)->qs;
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            const int hi_lo = q5 ? ((b5.qh[l] >> (2 * c)) & 1) << 4 : 0;
            const int hi_hi = q5 ? ((b5.qh[l] >> (2 * c + 1)) & 1) << 4 : 0;
            out.q[64 * c + l] = static_cast<uint8_t>((qs[32 * c + l] & 0x0f) | hi_lo);
            out.q[64 * c + 32 + l] = static_cast<uint8_t>((qs[32 * c + l] >> 4) | hi_hi);
        }
    }
}

/// Q8_0 / Q4_0 weight block decoded to signed int8 and its scale.
struct q8_block {
    float d;
    int8_t w[32];
};

void decode_q8(ggml_type t, const uint8_t* block, q8_block& out) {
    if (t == ggml_type::q8_0) {
        const auto& b = *reinterpret_cast<const block_q8_0*>(block);
        out.d = fp16_to_fp32(b.d);
        std::copy(b.qs, b.qs + 32, out.w);
        return;
    }
    const auto& b = *reinterpret_cast<const block_q4_0*>(block);
    out.d = fp16_to_fp32(b.d);
    for (int i = 0; i < 16; ++i) {
        out.w[i] = static_cast<int8_t>((b.qs[i] & 0x0f) - 8);
        out.w[i + 16] = static_cast<int8_t>((b.qs[i] >> 4) - 8);
    }
}

void dot_q8(const q8_block& w, const act_row& a, int64_t b, float& acc) {
    const int8_t* qs = a.qs + 32 * b;
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) s += w.w[i] * qs[i];
    acc += w.d * a.d[b] * static_cast<float>(s);
}

void dot_kq(const kq_block& w, const act_row& a, int64_t b, float& acc) {
    const int8_t* qs = a.qs + 256 * b;
    const int16_t* bsums = a.bsums + 16 * b;
    int32_t isum = 0, msum = 0;
    for (int g = 0; g < 16; ++g) {
        int32_t s = 0;
        for (int i = 0; i < 16; ++i) s += w.q[16 * g + i] * qs[16 * g + i];
        isum += w.sc[g] * s;
        msum += w.m[g] * bsums[g];
    }
    acc += a.d[b] * (w.d * static_cast<float>(isum) - w.dmin * static_cast<float>(msum));
}

constexpr int64_t token_group = 4;  // tokens sharing each decoded weight block

/// y[t][r] for rows [r0, r1) and every token: each weight block is decoded once by `decode`
/// and multiplied with the matching activation block of up to token_group tokens by `dot`.
template <class Block, class Decode, class Dot>
void rows(const quant_job& job, int64_t r0, int64_t r1, Decode decode, Dot dot) {
    const auto tr = type_info(job.wtype);
    const int64_t nb = job.n_in / tr.block_size;
    Block blk;
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* wr = job.w + r * job.w_row;
        for (int64_t t0 = 0; t0 < job.n_tokens; t0 += token_group) {
            const int64_t nt = std::min(token_group, job.n_tokens - t0);
            act_row act[token_group];
            for (int64_t j = 0; j < nt; ++j) act[j] = job.row(t0 + j);
            float acc[token_group] = {};
            for (int64_t b = 0; b < nb; ++b) {
                decode(job.wtype, wr + b * tr.type_size, blk);
                for (int64_t j = 0; j < nt; ++j) dot(blk, act[j], b, acc[j]);
            }
            for (int64_t j = 0; j < nt; ++j) job.y[(t0 + j) * job.n_out + r] = acc[j];
        }
    }
}

}  // namespace

void quant_rows_portable(const quant_job& job, int64_t r0, int64_t r1) {
    if (is_kquant(job.wtype))
        rows<kq_block>(job, r0, r1, unpack_kq, dot_kq);
    else
        rows<q8_block>(job, r0, r1, decode_q8, dot_q8);
}

}  // namespace prism::kernels::detail
