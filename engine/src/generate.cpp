// The generation loop behind generate.h: prompt as one batch (in n_batch chunks), then one
// token per forward. Text flows token → detokenizer_stream (UTF-8 completeness, the
// SentencePiece leading-space rule) → stop_matcher (stop strings) → callback.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "prism/generate.h"

namespace prism {

std::string_view stop_reason_name(stop_reason r) {
    switch (r) {
    case stop_reason::n_predict:
        return "length";
    case stop_reason::eos:
        return "eos";
    case stop_reason::stop_string:
        return "stop";
    case stop_reason::context_full:
        return "context_full";
    case stop_reason::cancelled:
        return "cancelled";
    }
    return "unknown";
}

double generate_timings::prompt_tokens_per_s(int64_t n_prompt) const {
    return prompt_ms > 0 ? n_prompt * 1000.0 / prompt_ms : 0.0;
}

double generate_timings::gen_tokens_per_s(int64_t n_generated) const {
    return n_generated > 1 && gen_ms > 0 ? (n_generated - 1) * 1000.0 / gen_ms : 0.0;
}

namespace {

using clock = std::chrono::steady_clock;
double ms_since(clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

void check(bool ok, const std::string& message) {
    if (!ok) throw engine_error(errc::invalid_argument, message);
}

// Removes the capture tap from the context however generation ends.
struct tap_guard {
    llama_context& ctx;
    bool active;
    tap_guard(llama_context& c, bool on) : ctx(c), active(on) {}
    ~tap_guard() {
        if (active) ctx.set_tap({});
    }
    tap_guard(const tap_guard&) = delete;
    tap_guard& operator=(const tap_guard&) = delete;
};

// The model's probability of `id`: from the top list when it is there, else a softmax.
float probability_of(std::span<const float> logits, int32_t id,
                     const std::vector<token_candidate>& top) {
    for (const auto& t : top)
        if (t.id == id) return t.p;
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
    return static_cast<float>(std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - max) /
                              sum);
}

}  // namespace

result<generate_result> generate(llama_context& ctx, const generate_params& p,
                                 const generate_callback& on_event, std::stop_token stop) {
    if (auto ok = sampler_params_validate(p.sampling); !ok) return std::unexpected(ok.error());
    return catch_to_result([&]() -> generate_result {
        check(p.n_predict >= -1, "n_predict must be >= -1, got " + std::to_string(p.n_predict));
        check(p.n_batch >= 1, "n_batch must be >= 1, got " + std::to_string(p.n_batch));
        check(p.seq_id >= 0 && p.seq_id < ctx.n_seq_max(),
              "seq_id " + std::to_string(p.seq_id) + " out of range");
        const tokenizer& vocab = ctx.model().vocab();
        generate_result r;
        const auto t_start = clock::now();
        r.prompt_tokens =
            vocab.encode(p.prompt, {.add_bos = p.add_bos, .parse_special = p.parse_special});
        check(!r.prompt_tokens.empty(), "the prompt is empty and the vocabulary has no BOS token");
        check(static_cast<int64_t>(r.prompt_tokens.size()) < ctx.n_ctx(),
              "the prompt has " + std::to_string(r.prompt_tokens.size()) +
                  " tokens, which does not fit the context of " + std::to_string(ctx.n_ctx()));

        auto emit = [&](generate_event ev) { return !on_event || on_event(ev); };
        bool cancelled = false;
        detokenizer_stream detok(vocab,
                                 !r.prompt_tokens.empty() && r.prompt_tokens[0] == vocab.bos_id());
        for (int32_t id : r.prompt_tokens) r.prompt_text += detok.push(id);
        if (!r.prompt_text.empty())
            cancelled = !emit({r.prompt_tokens.back(), r.prompt_text, true});

        const auto n_prompt = static_cast<int32_t>(r.prompt_tokens.size());
        int32_t n_batch = p.n_batch;
        tap_guard tap(ctx, p.capture != nullptr);
        if (p.capture) {
            const int64_t budget_tokens = p.n_predict >= 0 ? n_prompt + p.n_predict : ctx.n_ctx();
            const int64_t t_max = std::min<int64_t>(budget_tokens, ctx.n_ctx());
            if (auto ok = p.capture->reserve(t_max); !ok)
                throw engine_error(ok.error().code, ok.error().message);
            ctx.set_tap(p.capture->tap());
            // The unfused path holds [n_batch, n_head, T] probabilities: keep it near 64 MiB.
            const int64_t per_token = int64_t{ctx.model().hparams().n_head} * t_max * 4;
            n_batch = static_cast<int32_t>(std::clamp<int64_t>(
                (int64_t{64} << 20) / std::max<int64_t>(per_token, 1), 1, n_batch));
        }

        // Prompt processing: logits only for the last prompt token.
        ctx.kv_cache_seq_remove(p.seq_id, 0);
        llama_batch batch;
        for (int32_t i0 = 0; i0 < n_prompt && !cancelled; i0 += n_batch) {
            batch.clear();
            const int32_t i1 = std::min(n_prompt, i0 + n_batch);
            for (int32_t i = i0; i < i1; ++i)
                batch.add(r.prompt_tokens[i], i, p.seq_id, i == n_prompt - 1);
            if (auto ok = ctx.decode(batch); !ok)
                throw engine_error(ok.error().code, ok.error().message);
        }
        r.timings.prompt_ms = ms_since(t_start);

        sampler smpl(p.sampling);
        stop_matcher stops(p.stop);
        std::vector<int32_t> history = r.prompt_tokens;
        clock::time_point t_first{};
        bool last_pending = false;  // the newest token has not been through a forward yet
        auto decode_last = [&] {
            batch.clear();
            batch.add(history.back(), static_cast<int32_t>(history.size()) - 1, p.seq_id, true);
            if (auto ok = ctx.decode(batch); !ok)
                throw engine_error(ok.error().code, ok.error().message);
            last_pending = false;
        };
        r.reason = stop_reason::n_predict;
        int32_t n_done = 0;
        while (!cancelled) {
            if (p.n_predict >= 0 && n_done >= p.n_predict) break;
            if (stop.stop_requested()) {
                cancelled = true;
                break;
            }
            if (static_cast<int32_t>(history.size()) >= ctx.n_ctx()) {
                r.reason = stop_reason::context_full;
                break;
            }
            const auto logits = ctx.logits(ctx.n_outputs() - 1);
            const int32_t id = smpl.sample(logits, history);
            if (n_done == 0) {
                r.timings.ttft_ms = ms_since(t_start);
                t_first = clock::now();
            }
            ++n_done;
            if (id == vocab.eos_id() && !p.ignore_eos) {
                r.reason = stop_reason::eos;
                break;
            }
            r.tokens.push_back(id);
            history.push_back(id);
            last_pending = true;
            generate_event ev{id, stops.push(detok.push(id)), false};
            const auto top = sampler_top_probs(logits, static_cast<size_t>(std::max(p.n_top, 1)));
            ev.p = probability_of(logits, id, top);
            if (p.n_top > 0) {
                ev.top = top;
                r.top.push_back(top);
            }
            r.token_p.push_back(ev.p);
            r.text += ev.text;
            if (!emit(std::move(ev))) cancelled = true;
            if (stops.stopped()) {
                r.reason = stop_reason::stop_string;
                break;
            }
            if (cancelled || (p.n_predict >= 0 && n_done >= p.n_predict)) break;
            decode_last();
        }
        // Capture wants the last generated token's attention row: one more forward.
        if (p.capture && last_pending && !cancelled &&
            static_cast<int32_t>(history.size()) <= ctx.n_ctx())
            decode_last();
        if (cancelled) {
            r.reason = stop_reason::cancelled;
        } else if (r.reason != stop_reason::stop_string) {
            std::string tail = stops.push(detok.flush());
            if (!stops.stopped())
                tail += stops.flush();
            else
                r.reason = stop_reason::stop_string;
            if (!tail.empty()) {
                r.text += tail;
                emit({-1, std::move(tail), false});
            }
        }
        if (n_done > 0) r.timings.gen_ms = ms_since(t_first);
        return r;
    });
}

}  // namespace prism
