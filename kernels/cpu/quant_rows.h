// The loop of the quantized matmul's row kernels (quant_portable.cpp, quant_avx2.cpp,
// quant_avx512_rows.cpp): for each output row, each weight block is decoded once and
// multiplied with the matching activation block of up to quant_token_group tokens, each
// token keeping its own accumulator. Include it inside the file's PRISM_TARGET_* region so
// the loop is compiled for that instruction set and the kernels inline into it.
#pragma once

#include <algorithm>

#include "quant_impl.h"

namespace prism::kernels::detail {

inline constexpr int64_t quant_token_group = 4;

// Internal linkage: each file instantiates the loop for its own instruction set, and those
// copies must never be merged by the linker.
namespace {

/// y[t][r] for rows [r0, r1) and every token. decode(wtype, block bytes, Block&) decodes a
/// weight block; dot(const Block&, const act_row&, b, Acc&) adds its product with activation
/// block b of one token; sum(const Acc&) gives the final float. Activations: rows layout.
template <class Block, class Acc, class Decode, class Dot, class Sum>
void quant_rows_loop(const quant_job& job, int64_t r0, int64_t r1, Decode decode, Dot dot,
                     Sum sum) {
    const auto tr = type_info(job.wtype);
    const int64_t nb = job.n_in / tr.block_size;
    Block blk;
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* wr = job.w + r * job.w_row;
        for (int64_t t0 = 0; t0 < job.n_tokens; t0 += quant_token_group) {
            const int64_t nt = std::min(quant_token_group, job.n_tokens - t0);
            act_row act[quant_token_group];
            for (int64_t j = 0; j < nt; ++j) act[j] = job.row(t0 + j);
            Acc acc[quant_token_group] = {};
            for (int64_t b = 0; b < nb; ++b) {
                decode(job.wtype, wr + b * tr.type_size, blk);
                for (int64_t j = 0; j < nt; ++j) dot(blk, act[j], b, acc[j]);
            }
            for (int64_t j = 0; j < nt; ++j) job.y[(t0 + j) * job.n_out + r] = sum(acc[j]);
        }
    }
}

}  // namespace

}  // namespace prism::kernels::detail
