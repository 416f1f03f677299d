// Streaming read bandwidth of main memory, measured in the running process, so a decode
// speed can be compared with its bandwidth roofline on the same machine and at the same
// moment (`prism bench`): tokens/s ≤ bandwidth / weight bytes read per token.
//
// Method (as STREAM-style read tests do): one buffer much larger than the last-level cache
// is written once (first touch, which also warms the page tables), then read `passes` times
// by n_threads threads, each summing its contiguous slice with the widest SIMD loads the CPU
// has, as 4 sequential streams advanced together (as a matmul walks several weight rows at
// once; one stream alone leaves bandwidth unused on CPUs that need many reads in flight).
// Each pass is timed as a whole, from start to the last thread's finish. No prefetch hints
// or non-temporal loads: the same plain loads a matmul kernel issues.
#pragma once

#include <cstddef>
#include <string>

namespace prism::kernels {

struct membw_params {
    size_t bytes = size_t{512} << 20;  ///< buffer size in bytes (rounded up to 64)
    int n_threads = 0;                 ///< reading threads; <= 0: all cores
    int passes = 5;                    ///< timed passes (at least 1)
};

struct membw_result {
    double bytes_per_s = 0;      ///< median over the passes, bytes per second (1e9 = 1 GB/s)
    double min_bytes_per_s = 0;  ///< slowest pass
    double max_bytes_per_s = 0;  ///< fastest pass
    size_t bytes = 0;            ///< buffer size used
    int n_threads = 0;
    int passes = 0;
    std::string isa;  ///< the loads used: "AVX-512", "AVX2" or "scalar"
};

/// Measures the read bandwidth as described above. Takes about passes × bytes / bandwidth
/// plus one write of the buffer (about 0.1 s for 512 MiB at 30 GB/s). Throws std::bad_alloc
/// when the buffer cannot be allocated, std::invalid_argument for bytes < 64 or passes < 1.
membw_result membw_read(const membw_params& p = {});

}  // namespace prism::kernels
