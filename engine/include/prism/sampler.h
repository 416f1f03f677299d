// Sampler chain: repetition penalty -> top-k -> top-p -> min-p -> temperature -> draw,
// the order llama.cpp's common sampler uses. temp = 0 picks the argmax (greedy) after the
// penalty. Each step is a free function over a candidate list so it can be unit-tested on
// hand-computed logit vectors.
//
// Sources: repetition penalty as in CTRL (Keskar et al. 2019) / llama.cpp (a positive logit
// is divided by the penalty, a negative one multiplied); nucleus sampling (Holtzman et al.
// 2019); min-p (Nguyen et al. 2024).
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"

namespace prism {

struct sampler_params {
    float temp = 0.8f;            ///< 0 = greedy argmax; must be >= 0
    int32_t top_k = 40;           ///< 0 = off; must be >= 0
    float top_p = 0.95f;          ///< in (0, 1]; 1 = off
    float min_p = 0.05f;          ///< in [0, 1]; 0 = off
    float repeat_penalty = 1.0f;  ///< > 0; 1 = off
    int32_t repeat_last_n = 64;   ///< tokens of history the penalty looks at; 0 = off, -1 = all
    uint64_t seed = 0;            ///< every value is a real seed (no "random" sentinel)
};

/// errc::invalid_argument naming the parameter and the allowed range.
result<void> sampler_params_validate(const sampler_params& p);

struct token_candidate {
    int32_t id;
    float logit;
    float p;  ///< filled by sampler_softmax
};

/// All ids with their logits, in id order (p = 0). Throws std::invalid_argument for empty
/// logits or a NaN logit, so the later steps can compare logits freely.
std::vector<token_candidate> sampler_candidates(std::span<const float> logits);
/// Sorts by logit descending (ties: lower id first) and fills p with the softmax of the
/// logits. -inf logits get p = 0. Throws std::invalid_argument if c is empty, a logit is
/// NaN, or every logit is -inf.
void sampler_softmax(std::vector<token_candidate>& c);
/// Divides positive / multiplies negative logits of every id in `history` (each id once).
/// Ids not among the candidates are ignored; penalty 1 changes nothing.
void sampler_repetition_penalty(std::vector<token_candidate>& c, std::span<const int32_t> history,
                                float penalty);
/// Keeps the k highest logits (ties at the cut: lower ids kept), sorted by logit
/// descending; k = 0 or k >= size keeps all and leaves the order alone.
void sampler_top_k(std::vector<token_candidate>& c, int32_t k);
/// Keeps the smallest prefix (by probability) whose mass reaches p (at least one token).
/// Recomputes p with sampler_softmax first; p = 1 keeps everything.
void sampler_top_p(std::vector<token_candidate>& c, float p);
/// Keeps tokens whose probability is at least min_p times the top probability.
/// Recomputes p with sampler_softmax first; min_p = 0 keeps everything.
void sampler_min_p(std::vector<token_candidate>& c, float min_p);
/// Divides every logit by temp (> 0, finite; otherwise std::invalid_argument). p is stale
/// afterwards until the next sampler_softmax.
void sampler_temperature(std::vector<token_candidate>& c, float temp);
/// The id of the candidate with the largest logit (the lowest id among equals); in the id
/// order of sampler_candidates that is also its index. Empty c: std::invalid_argument.
int32_t sampler_greedy(const std::vector<token_candidate>& c);
/// Draws from the softmax of the candidates' logits with a uniform u in [0, 1): walks the
/// candidates in their current order and returns the id where the cumulative probability
/// first exceeds u. Deterministic, so the draw itself can be tested without a generator.
int32_t sampler_dist(const std::vector<token_candidate>& c, double u);

/// The model's own distribution at this step (softmax of the raw logits, before penalties,
/// truncation or temperature): the k most probable tokens, most probable first, with p set
/// (ties: lower id first). For "what else could have come here" views.
std::vector<token_candidate> sampler_top_probs(std::span<const float> logits, size_t k);

/// The whole chain with its own random state (std::mt19937_64 seeded with params.seed).
class sampler {
public:
    /// Throws std::invalid_argument (the sampler_params_validate message) for bad params.
    explicit sampler(const sampler_params& p);
    /// Picks the next token from logits[n_vocab]; `history` is every token so far (prompt
    /// included), the penalty looks at its last repeat_last_n entries. Throws
    /// std::invalid_argument for empty logits, a NaN logit, or every logit -inf.
    int32_t sample(std::span<const float> logits, std::span<const int32_t> history);
    /// The parameters this sampler was built with.
    const sampler_params& params() const { return m_params; }

private:
    sampler_params m_params;
    std::mt19937_64 m_rng;
};

/// Stop-string matching across token boundaries while streaming. Text goes in piece by
/// piece; what comes out is safe to emit: no character of any stop string ever appears,
/// because text that could be the start of a stop string is held back until it cannot.
class stop_matcher {
public:
    explicit stop_matcher(std::vector<std::string> stops);
    /// Feeds text; returns what may now be emitted. After a match, stopped() is true and
    /// the returned text ends right before the stop string.
    std::string push(std::string_view text);
    /// At the end of generation: the held-back text (no stop string matched).
    std::string flush();
    bool stopped() const { return m_stopped; }

private:
    std::vector<std::string> m_stops;
    std::string m_held;
    bool m_stopped = false;
};

}  // namespace prism
