// matmul for block-quantized weights (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K); see matmul_impl.h and
// matmul_quant.h. Each call quantizes the activations once into thread-local scratch, then
// splits the output rows over the pool: one token (decode) or a few run the row kernels,
// which stream each weight byte once; larger batches on AVX-512 VNNI run the blocked GEMM
// (quant_gemm_avx512.cpp), which reuses every packed weight panel for all tokens.
#include <stdexcept>
#include <string>
#include <vector>

#include "matmul_impl.h"
#include "prism/kernels/cpu_features.h"
#include "quant_impl.h"
#include "quant_simd.h"

namespace prism::kernels {

namespace {

// Below this many multiply-adds the threads cost more than they save.
constexpr int64_t parallel_threshold = 1 << 16;
// From this many tokens the GEMM's panel packing pays for itself (measured on Zen 4 with
// n_in 2048: Q8_0 / Q4_0 win from 5-6 tokens, the K-quants, whose packing unpacks their
// scales, from 10-16).
inline int64_t gemm_min_tokens(ggml_type wtype) {
    return detail::is_kquant(wtype) ? 12 : 6;
}

void run_rows(quant_isa isa, const detail::quant_job& job, int64_t r0, int64_t r1) {
#ifdef PRISM_X86
    switch (isa) {
    case quant_isa::avx512_vnni:
        detail::quant_rows_avx512(job, r0, r1);
        return;
    case quant_isa::avx2:
        detail::quant_rows_avx2(job, r0, r1);
        return;
    case quant_isa::portable:
        break;
    }
#endif
    detail::quant_rows_portable(job, r0, r1);
}

}  // namespace

quant_isa quant_isa_best() {
    const auto& c = cpu_caps();
    if (c.avx512_vnni) return quant_isa::avx512_vnni;
    if (c.avx2) return quant_isa::avx2;
    return quant_isa::portable;
}

const char* quant_isa_name(quant_isa isa) {
    switch (isa) {
    case quant_isa::avx512_vnni:
        return "AVX-512 VNNI";
    case quant_isa::avx2:
        return "AVX2";
    case quant_isa::portable:
        break;
    }
    return "portable";
}

bool matmul_quant_supports(ggml_type wtype) {
    return wtype == ggml_type::q8_0 || wtype == ggml_type::q4_0 || detail::is_kquant(wtype);
}

void matmul_quant_at(quant_isa isa, ggml_type wtype, const void* w, int64_t n_in, int64_t n_out,
                     const float* x, int64_t n_tokens, float* y, thread_pool& pool) {
    if (!matmul_quant_supports(wtype))
        throw std::invalid_argument("matmul_quant: unsupported weight type " +
                                    std::string(type_name(wtype)));
    if (isa > quant_isa_best())
        throw std::invalid_argument(std::string("matmul_quant: this CPU lacks ") +
                                    quant_isa_name(isa));
    const auto tr = type_info(wtype);
    if (n_in % tr.block_size != 0)
        throw std::invalid_argument("matmul_quant: n_in " + std::to_string(n_in) +
                                    " is not a multiple of " + std::to_string(tr.block_size));
    if (n_tokens <= 0 || n_out <= 0) return;

#ifdef PRISM_X86
    const bool gemm = isa == quant_isa::avx512_vnni && n_tokens >= gemm_min_tokens(wtype);
#else
    const bool gemm = false;  // quant_isa_best() is portable here
#endif
    using detail::act_layout;
    const act_layout layout = gemm ? act_layout::tiles
                              : isa != quant_isa::portable && wtype == ggml_type::q4_0
                                  ? act_layout::rows_q4_pairs
                                  : act_layout::rows;
    const int64_t nb = n_in / detail::act_block_size(wtype);
    const size_t block_bytes = detail::is_kquant(wtype) ? sizeof(act_q8_k) : sizeof(act_q8_0);
    detail::quant_job job{.wtype = wtype,
                          .w = static_cast<const uint8_t*>(w),
                          .w_row = row_size(wtype, n_in),
                          .n_in = n_in,
                          .n_out = n_out,
                          .n_tokens = n_tokens,
                          .act = nullptr,
                          .layout = layout,
                          .act_stride = gemm ? static_cast<size_t>(nb) * block_bytes
                                             : detail::act_row_bytes(wtype, n_in),
                          .y = y};
    // The GEMM's last tile is padded with zero tokens.
    const int64_t n_rows =
        gemm ? (n_tokens + detail::gemm_tokens - 1) / detail::gemm_tokens * detail::gemm_tokens
             : n_tokens;

    thread_local std::vector<uint8_t> scratch;  // grows to the largest call, then stays
    scratch.resize(static_cast<size_t>(n_rows) * job.act_stride);
    uint8_t* act = scratch.data();  // a plain pointer: workers must not name the thread_local
    job.act = act;
    const bool parallel = n_in * n_out * n_tokens >= parallel_threshold;
    if (parallel && n_tokens > 1) {
        pool.parallel_for(n_rows, [&](int64_t t0, int64_t t1, int) {
            detail::quantize_act(wtype, layout, x, n_in, n_tokens, act, t0, t1);
        });
    } else {
        detail::quantize_act(wtype, layout, x, n_in, n_tokens, act, 0, n_rows);
    }

#ifdef PRISM_X86
    if (gemm) {
        const int64_t n_panels = (n_out + detail::gemm_rows - 1) / detail::gemm_rows;
        pool.parallel_for(
            n_panels, [&](int64_t p0, int64_t p1, int) { detail::quant_gemm_avx512(job, p0, p1); });
        return;
    }
#endif
    if (parallel) {
        pool.parallel_for(n_out, [&](int64_t r0, int64_t r1, int) { run_rows(isa, job, r0, r1); });
    } else {
        run_rows(isa, job, 0, n_out);
    }
}

namespace detail {

void matmul_quant(ggml_type wtype, const uint8_t* w, int64_t n_in, int64_t n_out, const float* x,
                  int64_t n_tokens, float* y, thread_pool& pool) {
    matmul_quant_at(quant_isa_best(), wtype, w, n_in, n_out, x, n_tokens, y, pool);
}

}  // namespace detail

}  // namespace prism::kernels
