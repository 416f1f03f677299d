// The sampler chain of prism/sampler.h: repetition penalty -> top-k -> top-p -> min-p ->
// temperature -> draw, each step a free function over a candidate list. Probabilities are
// computed in double from the logits (max-subtracted softmax) and stored as float; the draw
// recomputes them in double so the stored float p never biases the choice.
//
// Key choices: the random draw takes a uniform double built from the top 53 bits of one
// std::mt19937_64 output ((x >> 11) * 2^-53), so a seed gives the same tokens on every
// standard library; the top-p and min-p cuts allow 1e-6 of float rounding slack so a p that
// exactly equals a cumulative sum (0.5 + 0.3 = 0.8) cuts there, as the maths says.
//
// Sources: CTRL (Keskar et al. 2019) and llama.cpp's penalties sampler for the repetition
// penalty; Holtzman et al. 2019 (nucleus sampling); Nguyen et al. 2024 (min-p); the step
// order of llama.cpp's common sampler.
#include "prism/sampler.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace prism {

namespace {

/// Slack for comparisons against float probabilities that were computed, not given.
constexpr double k_prob_slack = 1e-6;

/// Shortest round-trip text of a float ("0", "0.95", "nan", "inf").
std::string format_float(float v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    if (ec != std::errc{}) return "?";
    return std::string(buf, end);
}

error invalid(std::string message) {
    return error{.code = errc::invalid_argument, .message = std::move(message)};
}

/// Logit descending, then id ascending: a strict weak order once NaN is excluded.
bool candidate_before(const token_candidate& a, const token_candidate& b) {
    if (a.logit != b.logit) return a.logit > b.logit;
    return a.id < b.id;
}

/// The softmax of the candidates' logits in their current order, in double, summing to 1.
/// +inf logits share all the mass equally; -inf logits get 0. Throws if nothing is finite
/// or positive-infinite (every logit -inf) or c is empty.
std::vector<double> softmax_weights(const std::vector<token_candidate>& c) {
    if (c.empty()) throw std::invalid_argument("sampler: no candidates");
    float max_logit = -std::numeric_limits<float>::infinity();
    for (const auto& t : c) {
        if (std::isnan(t.logit)) throw std::invalid_argument("sampler: NaN logit");
        max_logit = std::max(max_logit, t.logit);
    }
    if (max_logit == -std::numeric_limits<float>::infinity())
        throw std::invalid_argument("sampler: every logit is -inf (all tokens masked)");

    std::vector<double> w(c.size());
    double sum = 0.0;
    if (std::isinf(max_logit)) {
        for (size_t i = 0; i < c.size(); ++i) {
            w[i] = c[i].logit == max_logit ? 1.0 : 0.0;
            sum += w[i];
        }
    } else {
        const double m = max_logit;
        for (size_t i = 0; i < c.size(); ++i) {
            w[i] = std::exp(static_cast<double>(c[i].logit) - m);  // exp(-inf) = 0
            sum += w[i];
        }
    }
    for (double& x : w) x /= sum;  // sum >= 1: the max term contributes exp(0)
    return w;
}

/// Uniform double in [0, 1) from the top 53 bits of one generator output.
double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

result<void> sampler_params_validate(const sampler_params& p) {
    // Every test is written so that NaN fails it (comparisons with NaN are false).
    if (!(p.temp >= 0.0f && std::isfinite(p.temp)))
        return std::unexpected(
            invalid("temp must be finite and >= 0, got " + format_float(p.temp)));
    if (p.top_k < 0)
        return std::unexpected(invalid("top_k must be >= 0, got " + std::to_string(p.top_k)));
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
        return std::unexpected(invalid("top_p must be in (0, 1], got " + format_float(p.top_p)));
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f))
        return std::unexpected(invalid("min_p must be in [0, 1], got " + format_float(p.min_p)));
    if (!(p.repeat_penalty > 0.0f && std::isfinite(p.repeat_penalty)))
        return std::unexpected(invalid("repeat_penalty must be finite and > 0, got " +
                                       format_float(p.repeat_penalty)));
    if (p.repeat_last_n < -1)
        return std::unexpected(invalid("repeat_last_n must be >= -1 (-1 = whole history), got " +
                                       std::to_string(p.repeat_last_n)));
    return {};
}

std::vector<token_candidate> sampler_candidates(std::span<const float> logits) {
    if (logits.empty()) throw std::invalid_argument("sampler: empty logits");
    std::vector<token_candidate> c;
    c.reserve(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
        if (std::isnan(logits[i]))
            throw std::invalid_argument("sampler: logit of token " + std::to_string(i) + " is NaN");
        c.push_back({.id = static_cast<int32_t>(i), .logit = logits[i], .p = 0.0f});
    }
    return c;
}

void sampler_softmax(std::vector<token_candidate>& c) {
    if (c.empty()) throw std::invalid_argument("sampler: no candidates");
    for (const auto& t : c)  // NaN would break the sort's ordering
        if (std::isnan(t.logit)) throw std::invalid_argument("sampler: NaN logit");
    std::sort(c.begin(), c.end(), candidate_before);
    const std::vector<double> w = softmax_weights(c);
    for (size_t i = 0; i < c.size(); ++i) c[i].p = static_cast<float>(w[i]);
}

void sampler_repetition_penalty(std::vector<token_candidate>& c, std::span<const int32_t> history,
                                float penalty) {
    if (!(penalty > 0.0f && std::isfinite(penalty)))
        throw std::invalid_argument("repeat_penalty must be finite and > 0, got " +
                                    format_float(penalty));
    if (penalty == 1.0f || history.empty()) return;
    std::vector<int32_t> seen(history.begin(), history.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (auto& t : c) {
        if (!std::binary_search(seen.begin(), seen.end(), t.id)) continue;
        if (t.logit > 0.0f)
            t.logit /= penalty;
        else if (t.logit < 0.0f)
            t.logit *= penalty;
    }
}

void sampler_top_k(std::vector<token_candidate>& c, int32_t k) {
    if (k < 0) throw std::invalid_argument("top_k must be >= 0, got " + std::to_string(k));
    if (k == 0 || static_cast<size_t>(k) >= c.size()) return;
    std::partial_sort(c.begin(), c.begin() + k, c.end(), candidate_before);
    c.resize(static_cast<size_t>(k));
}

void sampler_top_p(std::vector<token_candidate>& c, float p) {
    if (!(p > 0.0f && p <= 1.0f))
        throw std::invalid_argument("top_p must be in (0, 1], got " + format_float(p));
    if (p == 1.0f) return;
    sampler_softmax(c);
    const double target = static_cast<double>(p) - k_prob_slack;
    double cum = 0.0;
    for (size_t i = 0; i < c.size(); ++i) {
        cum += c[i].p;
        if (cum >= target) {
            c.resize(i + 1);
            return;
        }
    }
}

void sampler_min_p(std::vector<token_candidate>& c, float min_p) {
    if (!(min_p >= 0.0f && min_p <= 1.0f))
        throw std::invalid_argument("min_p must be in [0, 1], got " + format_float(min_p));
    if (min_p == 0.0f) return;
    sampler_softmax(c);
    const double threshold =
        static_cast<double>(min_p) * static_cast<double>(c.front().p) * (1.0 - k_prob_slack);
    size_t keep = 1;  // the top token always passes (min_p <= 1)
    while (keep < c.size() && static_cast<double>(c[keep].p) >= threshold) ++keep;
    c.resize(keep);
}

void sampler_temperature(std::vector<token_candidate>& c, float temp) {
    if (!(temp > 0.0f && std::isfinite(temp)))
        throw std::invalid_argument("temperature must be finite and > 0, got " +
                                    format_float(temp));
    for (auto& t : c) t.logit /= temp;
}

int32_t sampler_greedy(const std::vector<token_candidate>& c) {
    if (c.empty()) throw std::invalid_argument("sampler: no candidates");
    const token_candidate* best = &c.front();
    for (const auto& t : c)
        if (candidate_before(t, *best)) best = &t;
    return best->id;
}

int32_t sampler_dist(const std::vector<token_candidate>& c, double u) {
    const std::vector<double> w = softmax_weights(c);
    double cum = 0.0;
    int32_t last_possible = -1;
    for (size_t i = 0; i < c.size(); ++i) {
        if (w[i] <= 0.0) continue;
        cum += w[i];
        last_possible = c[i].id;
        if (u < cum) return c[i].id;
    }
    return last_possible;  // u within rounding of 1: the last token that can be drawn
}

sampler::sampler(const sampler_params& p) : m_params(p), m_rng(p.seed) {
    if (auto ok = sampler_params_validate(p); !ok) throw std::invalid_argument(ok.error().message);
}

std::vector<token_candidate> sampler_top_probs(std::span<const float> logits, size_t k) {
    if (logits.empty()) throw std::invalid_argument("sampler_top_probs: empty logits");
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
    std::vector<token_candidate> c = sampler_candidates(logits);
    k = std::min(k, c.size());
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(),
                      [](const token_candidate& a, const token_candidate& b) {
                          return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
                      });
    c.resize(k);
    for (auto& t : c) t.p = static_cast<float>(std::exp(static_cast<double>(t.logit) - max) / sum);
    return c;
}

int32_t sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
    std::vector<token_candidate> c = sampler_candidates(logits);
    if (std::none_of(c.begin(), c.end(), [](const token_candidate& t) {
            return t.logit > -std::numeric_limits<float>::infinity();
        }))
        throw std::invalid_argument("sampler: every logit is -inf (all tokens masked)");

    if (m_params.repeat_penalty != 1.0f && m_params.repeat_last_n != 0) {
        std::span<const int32_t> window = history;
        if (m_params.repeat_last_n > 0 &&
            history.size() > static_cast<size_t>(m_params.repeat_last_n))
            window = history.last(static_cast<size_t>(m_params.repeat_last_n));
        sampler_repetition_penalty(c, window, m_params.repeat_penalty);
    }
    if (m_params.temp == 0.0f) return sampler_greedy(c);

    sampler_top_k(c, m_params.top_k);
    sampler_top_p(c, m_params.top_p);
    sampler_min_p(c, m_params.min_p);
    sampler_temperature(c, m_params.temp);
    return sampler_dist(c, uniform01(m_rng));
}

}  // namespace prism
