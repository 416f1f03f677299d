// Throughput measurement of a loaded model, modelled on llama.cpp's llama-bench
// (`prism bench`): prompt processing (pp<N>: one N-token batch from an empty KV cache, logits
// for the last token only) and token generation (tg<N>: N single-token decodes from an empty
// cache), each run once to warm up and then `repetitions` times, reported as the median
// tokens/s and its spread.
//
// Alongside the speed, what bounds it on this machine: the weight bytes one decode step
// reads (so a bandwidth roofline, tokens/s ≤ read bandwidth / bytes per token, see
// kernels/membw.h) and the FLOPs per token (so a fraction of the FMA peak, kernels/fma_peak.h).
//   weight bytes per token = every tensor once (the layers' matrices and norms, output_norm,
//     output.weight), except token_embd.weight, of which a decode step reads one row; with a
//     tied classifier token_embd.weight is the classifier and counts whole.
//   FLOP/s = 2 × (n_params_layers × tokens + n_params_output × tokens with logits) / time:
//     the multiply-adds of the weight matmuls actually run (pp asks for logits of its last
//     token only, tg of every token). Attention score FLOPs are not counted. The peak it is
//     compared with is the FP32 FMA peak; quantized weights multiplied through int8 dot
//     products (AVX-512 VNNI) can exceed it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "prism/error.h"
#include "prism/llama.h"

namespace prism {

/// Sizes of a model's weights as the benchmark counts them (see above).
struct bench_weights {
    int64_t n_params = 0;         ///< every tensor's elements
    int64_t n_params_layers = 0;  ///< the blocks' weight matrices (q, k, v, o, gate, up, down)
    int64_t n_params_output = 0;  ///< the classifier (output.weight, or token_embd when tied)
    size_t model_bytes = 0;       ///< every tensor's bytes (the weights in the file)
    size_t bytes_per_token = 0;   ///< weight bytes one decode step reads
};
bench_weights bench_weights_of(const model_source& m);

/// A short label for the model's weight types: the file type's name ("Q4_K_M", from
/// general.file_type) when the metadata has a known one, else the type most weight bytes
/// have ("Q8_0").
std::string bench_model_type(const model_source& m);

struct bench_test_params {
    bool prompt = true;       ///< true: pp (one batch); false: tg (single-token decodes)
    int32_t n_tokens = 512;   ///< in [1, ctx.n_ctx()]
    int32_t repetitions = 5;  ///< timed runs after the warm-up, >= 1
    uint64_t seed = 1;        ///< token ids: BOS (if any), then uniform in [0, n_vocab)
};

struct bench_test_result {
    std::string name;  ///< "pp512", "tg128"
    bench_test_params params;
    std::vector<double> seconds;  ///< per timed run
    double tokens_per_s_median = 0;
    double tokens_per_s_min = 0;
    double tokens_per_s_max = 0;
    double spread = 0;  ///< (max − min) / median of the runs' tokens/s (0 for one run)
};

/// Runs one test on ctx, clearing its KV cache before every run (sequence 0). Errors:
/// errc::invalid_argument (n_tokens outside [1, n_ctx], repetitions < 1), and whatever
/// decode reports.
result<bench_test_result> bench_run_test(llama_context& ctx, const bench_test_params& p);

/// What bounds a test on this machine.
struct bench_bounds {
    double flops_per_s = 0;            ///< matmul FLOPs (see above) at the median tokens/s
    double fma_peak_fraction = 0;      ///< flops_per_s / the measured FMA peak
    double roofline_tokens_per_s = 0;  ///< read bandwidth / weight bytes per token
    double roofline_ratio = 0;         ///< median tokens/s / roofline (meaningful for tg)
};
/// read_bytes_per_s and fma_flops_per_s as measured (kernels::membw_read, kernels::fma_peak);
/// a zero measurement gives zero ratios.
bench_bounds bench_bounds_of(const bench_weights& w, const bench_test_result& t,
                             double read_bytes_per_s, double fma_flops_per_s);

}  // namespace prism
