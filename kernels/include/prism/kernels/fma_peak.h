// The FP32 fused multiply-add peak of the running CPU, measured, so a prompt-processing
// FLOP rate can be given as a fraction of this machine's own peak (`prism bench`): the fair
// comparison between machines with different vector units and clocks.
//
// Method: every thread runs a loop of independent vector FMAs on registers only (no memory
// traffic): 16 accumulators of 16 lanes with AVX-512, 12 of 8 lanes with AVX2 (enough
// independent chains to cover the FMA latency on both FMA ports), 8 scalar ones otherwise;
// acc = acc · m + c with m just below 1, so values stay normal. A short calibration pass sizes
// the timed passes to about 0.1 s each. One FMA counts as 2 FLOPs per lane.
#pragma once

#include <string>

namespace prism::kernels {

struct fma_peak_result {
    double flops_per_s = 0;  ///< median over the passes, FLOP per second (1e9 = 1 GFLOP/s)
    int n_threads = 0;
    int passes = 0;
    std::string isa;  ///< "AVX-512", "AVX2" or "scalar" (from cpu_caps())
};

/// Measures the FMA peak with n_threads threads (<= 0: all cores), median of `passes` timed
/// passes (at least 1; std::invalid_argument otherwise). Takes about 0.1 s per pass.
fma_peak_result fma_peak(int n_threads = 0, int passes = 3);

}  // namespace prism::kernels
