// Shared flags and steps of the generating commands (see generation_options.h).
#include "generation_options.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>

#include "commands.h"

namespace prism::cli {

namespace {

// "" or "-1": a random seed; otherwise a decimal uint64 with nothing after it.
std::optional<uint64_t> parse_seed(const std::string& text) {
    if (text.empty() || text == "-1") {
        std::random_device rd;
        return (static_cast<uint64_t>(rd()) << 32) | rd();
    }
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace

void add_generation_options(CLI::App& app, generation_options& o) {
    auto& s = o.gen.sampling;
    o.model_opt = app.add_option("--model,-m", o.model,
                                 "model file or HF folder (default: bundled stories260K)");
    app.add_option("--tokenizer", o.tokenizer, "tokenizer file (llama2.c .bin, .model, .gguf)");
    app.add_option("--prompt,-p", o.gen.prompt, "prompt text (default: empty, BOS only)");
    app.add_option("-n,--n-predict", o.gen.n_predict, "tokens to generate (-1: until EOS)")
        ->check(CLI::Range(-1, 1 << 30));
    app.add_option("--temp", s.temp, "temperature (0 = greedy)")->capture_default_str();
    app.add_option("--top-k", s.top_k, "top-k (0 = off)")->capture_default_str();
    app.add_option("--top-p", s.top_p, "top-p in (0, 1]")->capture_default_str();
    app.add_option("--min-p", s.min_p, "min-p in [0, 1] (0 = off)")->capture_default_str();
    app.add_option("--repeat-penalty", s.repeat_penalty, "repetition penalty (1 = off)")
        ->capture_default_str();
    app.add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back (-1 = all)")
        ->capture_default_str();
    app.add_option(
        "--seed", o.seed,
        "64-bit seed, 0 .. 18446744073709551615 (default or -1: random, printed on stderr)");
    app.add_option("--stop", o.gen.stop, "stop string (repeatable); never printed");
    app.add_option("--threads,-t", o.threads, "CPU threads (default: all cores)")
        ->check(CLI::Range(1, 1024));
    app.add_flag("--ignore-eos", o.gen.ignore_eos, "keep generating after end-of-sequence");
}

result<generation_session> open_generation(generation_options& o) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    if (auto ok = sampler_params_validate(o.gen.sampling); !ok) return std::unexpected(ok.error());
    const auto seed = parse_seed(o.seed);
    if (!seed)
        return std::unexpected(error{
            errc::invalid_argument,
            "--seed must be -1 or an integer in [0, 18446744073709551615], got '" + o.seed + "'"});
    o.gen.sampling.seed = *seed;
    generation_session s;
    s.path = model_path_or_default(o.model_opt, o.model);
    auto model = llama_model::load(s.path, {.tokenizer_path = o.tokenizer});
    if (!model) return std::unexpected(model.error());
    s.model = *model;
    auto ctx = llama_context::create(s.model, {.n_threads = o.threads});
    if (!ctx) return std::unexpected(ctx.error());
    s.ctx = std::move(*ctx);
    const double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    std::fprintf(stderr, "prism: model %s (%s), %.1f ms to load, seed %llu\n", s.path.c_str(),
                 s.model->source().format.c_str(), load_ms,
                 static_cast<unsigned long long>(o.gen.sampling.seed));
    return s;
}

result<generate_result> generate_to_stdout(generation_session& s, const generate_params& p) {
    bool printed = false;
    auto res = generate(*s.ctx, p, [&](const generate_event& ev) {
        std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
        printed = printed || !ev.text.empty();
        return std::fflush(stdout) == 0;  // a closed or full stdout stops generation
    });
    if (res || printed) std::fputc('\n', stdout);
    if (!res) return res;
    const auto& t = res->timings;
    std::fprintf(stderr,
                 "prism: prompt %zu tokens, %.2f ms (%.1f tokens/s); generated %zu tokens, "
                 "%.1f tokens/s; ttft %.2f ms; stop: %s\n",
                 res->prompt_tokens.size(), t.prompt_ms,
                 t.prompt_tokens_per_s(static_cast<int64_t>(res->prompt_tokens.size())),
                 res->tokens.size(), t.gen_tokens_per_s(static_cast<int64_t>(res->tokens.size())),
                 t.ttft_ms, std::string(stop_reason_name(res->reason)).c_str());
    return res;
}

}  // namespace prism::cli
