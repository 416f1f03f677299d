// Text generation on one sequence of a llama_context: tokenize the prompt, run it as one
// batch, then sample token by token, streaming UTF-8-complete text through a callback.
// Stop strings are matched across token boundaries and never emitted. Cancellation (the
// callback returns false, or the stop_token fires) is an outcome, not an error.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "prism/attention_capture.h"
#include "prism/error.h"
#include "prism/llama.h"
#include "prism/sampler.h"

namespace prism {

struct generate_params {
    std::string prompt;
    int32_t n_predict = -1;  ///< tokens to generate; -1 = until EOS or context full
    sampler_params sampling;
    std::vector<std::string> stop;  ///< stop strings (empty ones ignored)
    bool add_bos = true;            ///< prepend BOS (when the vocabulary has one)
    bool parse_special = false;     ///< parse "<s>"-like text in the prompt as special tokens
    bool ignore_eos = false;        ///< keep going after the end-of-sequence token
    int32_t seq_id = 0;             ///< cache slot to use (its previous contents are cleared)
    int32_t n_batch = 512;          ///< prompt tokens per forward call
    /// When set, attention of every prompt and generated token is recorded into it (its
    /// memory is reserved first: errc::out_of_memory if over its budget). The last
    /// generated token gets one more forward so its row is captured too. Not owned.
    attention_capture* capture = nullptr;
    int32_t n_top = 0;  ///< alternatives per generated token to report (0 = none)
};

enum class stop_reason { n_predict, eos, stop_string, context_full, cancelled };
std::string_view stop_reason_name(stop_reason r);

/// One streamed event: a token and the text it completed (possibly empty: held bytes of
/// an unfinished UTF-8 character, or text that may begin a stop string).
struct generate_event {
    int32_t token = -1;
    std::string text;
    bool is_prompt = false;            ///< the echo of the prompt (emitted once, before generation)
    float p = 0.0f;                    ///< the model's probability of `token` (raw softmax)
    std::vector<token_candidate> top;  ///< the n_top most probable tokens at this step
};

struct generate_timings {
    double prompt_ms = 0;  ///< prompt processing wall time
    double gen_ms = 0;     ///< wall time of the generated tokens after the first
    double ttft_ms = 0;    ///< from start to the first generated token
    double prompt_tokens_per_s(int64_t n_prompt) const;
    double gen_tokens_per_s(int64_t n_generated) const;
};

struct generate_result {
    std::vector<int32_t> prompt_tokens;
    std::vector<int32_t> tokens;  ///< generated ids (all sampled ids, the EOS excluded)
    std::string prompt_text;      ///< the detokenized prompt as echoed
    std::string text;             ///< generated text as emitted (stop string excluded)
    std::vector<float> token_p;   ///< per generated token: the model's probability of it
    std::vector<std::vector<token_candidate>> top;  ///< per generated token (when n_top > 0)
    stop_reason reason = stop_reason::n_predict;
    generate_timings timings;
};

/// Returns false to stop generation (outcome stop_reason::cancelled).
using generate_callback = std::function<bool(const generate_event&)>;

/// Errors: errc::invalid_argument (bad sampler parameters, an empty prompt without BOS, a
/// prompt longer than the context); errors from decode.
result<generate_result> generate(llama_context& ctx, const generate_params& p,
                                 const generate_callback& on_event = {}, std::stop_token stop = {});

}  // namespace prism
