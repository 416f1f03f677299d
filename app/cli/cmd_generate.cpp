// `prism generate`: streams the detokenized prompt and the generated text to stdout, then
// one newline; logs and timings go to stderr (llama.cpp's conventions: -n counts generated
// tokens).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "commands.h"
#include "prism/generate.h"

namespace prism::cli {

namespace {

struct generate_options {
    std::string model, tokenizer;
    generate_params gen;
    std::optional<uint64_t> seed;
    int threads = 0;
};

uint64_t random_seed() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) | rd();
}

}  // namespace

command_fn add_generate(CLI::App& app) {
    auto o = std::make_shared<generate_options>();
    auto& s = o->gen.sampling;
    app.add_option("--model,-m", o->model,
                   "model file or HF folder (default: bundled stories260K)");
    app.add_option("--tokenizer", o->tokenizer, "tokenizer file (llama2.c .bin, .model, .gguf)");
    app.add_option("--prompt,-p", o->gen.prompt, "prompt text (default: empty, BOS only)");
    app.add_option("-n,--n-predict", o->gen.n_predict, "tokens to generate (-1: until EOS)")
        ->check(CLI::Range(-1, 1 << 30));
    app.add_option("--temp", s.temp, "temperature (0 = greedy)")->capture_default_str();
    app.add_option("--top-k", s.top_k, "top-k (0 = off)")->capture_default_str();
    app.add_option("--top-p", s.top_p, "top-p in (0, 1]")->capture_default_str();
    app.add_option("--min-p", s.min_p, "min-p in [0, 1] (0 = off)")->capture_default_str();
    app.add_option("--repeat-penalty", s.repeat_penalty, "repetition penalty (1 = off)")
        ->capture_default_str();
    app.add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back (-1 = all)")
        ->capture_default_str();
    app.add_option("--seed", o->seed, "64-bit random seed (default: random, printed on stderr)");
    app.add_option("--stop", o->gen.stop, "stop string (repeatable); never printed");
    app.add_option("--threads,-t", o->threads, "CPU threads (default: all cores)")
        ->check(CLI::Range(1, 1024));
    app.add_flag("--ignore-eos", o->gen.ignore_eos, "keep generating after end-of-sequence");

    return [o]() -> int {
        using clock = std::chrono::steady_clock;
        const auto t0 = clock::now();
        if (auto ok = sampler_params_validate(o->gen.sampling); !ok) return report(ok.error());
        const std::string path = o->model.empty() ? default_model_path() : o->model;
        auto model = llama_model::load(path, {.tokenizer_path = o->tokenizer});
        if (!model) return report(model.error());
        auto ctx = llama_context::create(*model, {.n_threads = o->threads});
        if (!ctx) return report(ctx.error());
        const double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        o->gen.sampling.seed = o->seed ? *o->seed : random_seed();
        std::fprintf(stderr, "prism: model %s (%s), %.1f ms to load, seed %llu\n", path.c_str(),
                     (*model)->source().format.c_str(), load_ms,
                     static_cast<unsigned long long>(o->gen.sampling.seed));

        auto res = generate(**ctx, o->gen, [](const generate_event& ev) {
            std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
            std::fflush(stdout);
            return true;
        });
        std::fputc('\n', stdout);
        std::fflush(stdout);
        if (!res) return report(res.error());
        const auto& t = res->timings;
        std::fprintf(stderr,
                     "prism: prompt %zu tokens, %.2f ms (%.1f tokens/s); generated %zu tokens, "
                     "%.1f tokens/s; ttft %.2f ms; stop: %s\n",
                     res->prompt_tokens.size(), t.prompt_ms,
                     t.prompt_tokens_per_s(static_cast<int64_t>(res->prompt_tokens.size())),
                     res->tokens.size(),
                     t.gen_tokens_per_s(static_cast<int64_t>(res->tokens.size())), t.ttft_ms,
                     std::string(stop_reason_name(res->reason)).c_str());
        return 0;
    };
}

}  // namespace prism::cli
