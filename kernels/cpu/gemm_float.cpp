// Drivers of the float-weight matmul (see gemm_float.h): the matrix-vector split over output
// rows, and the GEMM's packing and thread split. The GEMM follows the GotoBLAS/BLIS loop
// structure (Goto & van de Geijn 2008): x is packed once into token panels (shared by the
// threads); each thread owns a contiguous run of output panels and, per block of nc outputs,
// converts and packs W once, then sweeps every token panel over it. Micro-tiles run over the
// whole of K (measured faster than K blocks on Zen 4, whose L2 streams the panels): every
// output's chains end in registers and it is written once.
#include <algorithm>

#include "gemm_float.h"

namespace prism::kernels::detail {

namespace {

// Below this many multiply-adds the threads cost more than they save.
constexpr int64_t parallel_threshold = 1 << 16;

void run_parallel(thread_pool& pool, int64_t n, int64_t work,
                  const std::function<void(int64_t, int64_t, int)>& fn) {
    if (work < parallel_threshold)
        fn(0, n, 0);
    else
        pool.parallel_for(n, fn);
}

}  // namespace

void gemv_float(const float_kernels& kern, ggml_type t, const uint8_t* w, int64_t n_in,
                int64_t n_out, const float* x, int64_t n_tokens, float* y, thread_pool& pool) {
    const size_t w_row = row_size(t, n_in);
    constexpr int64_t rows_per_task = 16;  // a multiple of every level's row block
    const int64_t n_tasks = (n_out + rows_per_task - 1) / rows_per_task;
    run_parallel(pool, n_tasks, n_in * n_out * n_tokens, [&](int64_t b0, int64_t b1, int) {
        kern.gemv_rows(t, w, w_row, n_in, n_out, x, n_tokens, y, b0 * rows_per_task,
                       std::min(n_out, b1 * rows_per_task));
    });
}

void gemm_float(const float_kernels& kern, ggml_type t, const uint8_t* w, int64_t n_in,
                int64_t n_out, const float* x, int64_t n_tokens, float* y, thread_pool& pool) {
    const int64_t mr = kern.mr, nr = kern.nr, work = n_in * n_out * n_tokens;
    const int64_t n_steps = (n_in + kern.chunk - 1) / kern.chunk * (kern.chunk / 4);
    const int64_t x_panel = n_steps * mr * 4, w_panel = n_steps * nr * 4;
    const size_t w_row = row_size(t, n_in);

    const int64_t n_xpanels = (n_tokens + mr - 1) / mr;
    thread_local aligned_floats x_scratch;
    float* xp = x_scratch.get(static_cast<size_t>(n_xpanels * x_panel));
    run_parallel(pool, n_xpanels, work, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p)
            kern.pack_x(x + p * mr * n_in, n_in, std::min(mr, n_tokens - p * mr), xp + p * x_panel);
    });

    const int64_t n_wpanels = (n_out + nr - 1) / nr;
    const int64_t panels_per_block = kern.nc / nr;
    run_parallel(pool, n_wpanels, work, [&](int64_t q0, int64_t q1, int) {
        thread_local aligned_floats w_scratch;
        float* wp = w_scratch.get(static_cast<size_t>(panels_per_block * w_panel));
        for (int64_t qb = q0; qb < q1; qb += panels_per_block) {
            const int64_t qe = std::min(q1, qb + panels_per_block);
            for (int64_t q = qb; q < qe; ++q)
                kern.pack_w(t, w + q * nr * w_row, w_row, std::min(nr, n_out - q * nr), n_in,
                            wp + (q - qb) * w_panel);
            for (int64_t p = 0; p < n_xpanels; ++p)
                for (int64_t q = qb; q < qe; ++q)
                    kern.micro(n_steps, xp + p * x_panel, wp + (q - qb) * w_panel,
                               y + p * mr * n_out + q * nr, n_out, std::min(mr, n_tokens - p * mr),
                               std::min(nr, n_out - q * nr));
        }
    });
}

}  // namespace prism::kernels::detail
