// `prism bench [--model PATH | --shape S --type T] [-p 512] [-n 128] [-r 5] [--threads 2]
// [--json]`: llama-bench-style prompt (pp) and generation (tg) speed through prism::bench_*
// (bench.h), with this machine's read bandwidth and FMA peak measured right before each test,
// so every speed comes with the roofline and peak it should be judged against. A markdown
// table when all tests are done (or one JSON object per test and line as each ends) goes to
// stdout, progress to stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "prism/bench.h"
#include "prism/kernels/cpu_features.h"
#include "prism/kernels/fma_peak.h"
#include "prism/kernels/membw.h"
#include "prism/synth.h"

namespace prism::cli {

namespace {

constexpr int32_t max_tokens = 16384;

struct bench_options {
    std::string model, shape, type, vocab;
    std::vector<int32_t> n_prompt{512}, n_gen{128};
    int32_t repetitions = 5;
    int threads = 2;
    bool json = false;
};

struct machine {
    kernels::membw_result membw;
    kernels::fma_peak_result fma;
};

const char* spread_note = "t/s: median of the timed runs after one warm-up run; "
                          "± spread = (max − min) / median of the runs' t/s";
const char* bounds_note =
    "weights/token = weight bytes one decode step reads (all but token_embd, of which one "
    "row); roofline t/s = the read bandwidth measured before the test / weights per token; "
    "GFLOP/s = 2 × (layer matrix params × tokens + output params × tokens with logits: 1 for "
    "pp, all for tg) / time, against the FP32 FMA peak (int8 dot products of quantized "
    "weights can exceed it)";

void check_counts(const std::vector<int32_t>& v, const char* option) {
    if (v.empty()) throw std::invalid_argument(std::string(option) + " needs at least one value");
    for (int32_t n : v)
        if (n < 0 || n > max_tokens)
            throw std::invalid_argument(std::string(option) + " values must be in [0, " +
                                        std::to_string(max_tokens) + "] (0 skips), got " +
                                        std::to_string(n));
}

std::string bytes_text(double bytes) {
    char buf[32];
    if (bytes >= 1024.0 * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / (1024.0 * 1024));
    return buf;
}

std::string params_text(int64_t n) {
    char buf[32];
    if (n >= 1'000'000'000)
        std::snprintf(buf, sizeof buf, "%.2f B", static_cast<double>(n) / 1e9);
    else
        std::snprintf(buf, sizeof buf, "%.2f M", static_cast<double>(n) / 1e6);
    return buf;
}

std::string fixed(double v, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// The model under test: loaded from a file, or synthesized in memory.
std::shared_ptr<const llama_model> open_model(const bench_options& o,
                                              const CLI::Option* model_opt) {
    if (!o.shape.empty()) {
        const quantize_ftype ftype = ftype_from_option(o.type.empty() ? "F32" : o.type);
        auto hp = synth_shape(o.shape);
        if (!hp) throw engine_error(hp.error().code, hp.error().message);
        const auto t0 = std::chrono::steady_clock::now();
        const auto& names = synth_shape_list();
        const bool named = std::find(names.begin(), names.end(), o.shape) != names.end();
        // Said once the vocabulary and shape have passed their checks (first tensor made).
        auto progress = [&](const synth_tensor_report&, int64_t done, int64_t) {
            if (done == 1)
                std::fprintf(stderr, "prism: synthesizing a random %s %s model in memory...\n",
                             printable(o.shape, 64).c_str(),
                             std::string(quantize_ftype_name(ftype)).c_str());
        };
        auto src = model_synth(
            *hp,
            {.ftype = ftype, .vocab_path = o.vocab, .name = named ? "synthetic " + o.shape : ""},
            progress);
        if (!src) throw engine_error(src.error().code, src.error().message);
        std::fprintf(stderr, "prism: synthesized in %.1f s\n",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        auto m = llama_model::from_source(std::move(*src));
        if (!m) throw engine_error(m.error().code, m.error().message);
        return *m;
    }
    auto m = llama_model::load(model_path_or_default(model_opt, o.model));
    if (!m) throw engine_error(m.error().code, m.error().message);
    return *m;
}

nlohmann::ordered_json json_line(const model_source& src, const bench_weights& w, const machine& mc,
                                 int n_threads, const bench_test_result& t) {
    const bench_bounds b = bench_bounds_of(w, t, mc.membw.bytes_per_s, mc.fma.flops_per_s);
    nlohmann::ordered_json j;
    j["model"] = src.name;
    j["model_type"] = bench_model_type(src);
    j["model_bytes"] = w.model_bytes;
    j["n_params"] = w.n_params;
    j["n_params_layers"] = w.n_params_layers;
    j["n_params_output"] = w.n_params_output;
    j["backend"] = "CPU";
    j["cpu_features"] = kernels::cpu_caps_name();
    j["n_threads"] = n_threads;
    j["test"] = t.name;
    j["n_prompt"] = t.params.prompt ? t.params.n_tokens : 0;
    j["n_gen"] = t.params.prompt ? 0 : t.params.n_tokens;
    j["repetitions"] = t.params.repetitions;
    j["tokens_per_s_median"] = t.tokens_per_s_median;
    j["tokens_per_s_min"] = t.tokens_per_s_min;
    j["tokens_per_s_max"] = t.tokens_per_s_max;
    j["spread"] = t.spread;
    j["seconds"] = t.seconds;
    j["weight_bytes_per_token"] = w.bytes_per_token;
    j["read_bandwidth_bytes_per_s"] = mc.membw.bytes_per_s;
    j["roofline_tokens_per_s"] = b.roofline_tokens_per_s;
    if (!t.params.prompt) j["roofline_ratio"] = b.roofline_ratio;
    j["flops_per_s"] = b.flops_per_s;
    j["fma_peak_flops_per_s"] = mc.fma.flops_per_s;
    j["fma_peak_fraction"] = b.fma_peak_fraction;
    return j;
}

std::string table_row(const model_source& src, const bench_weights& w, const machine& mc,
                      int n_threads, const bench_test_result& t) {
    const bench_bounds b = bench_bounds_of(w, t, mc.membw.bytes_per_s, mc.fma.flops_per_s);
    const bool tg = !t.params.prompt;
    return "| " + printable(src.name, 48) + " | " + bench_model_type(src) + " | " +
           bytes_text(static_cast<double>(w.model_bytes)) + " | " + params_text(w.n_params) +
           " | CPU | " + std::to_string(n_threads) + " | " + t.name + " | " +
           fixed(t.tokens_per_s_median, 2) + " ± " + fixed(100 * t.spread, 1) + "% | " +
           bytes_text(static_cast<double>(w.bytes_per_token)) + " | " +
           (tg ? fixed(b.roofline_tokens_per_s, 2) : "-") + " | " +
           (tg ? fixed(b.roofline_ratio, 2) : "-") + " | " + fixed(b.flops_per_s / 1e9, 1) + " | " +
           fixed(100 * b.fma_peak_fraction, 1) + "% |\n";
}

int run(const bench_options& o, const CLI::Option* model_opt) {
    check_counts(o.n_prompt, "-p/--n-prompt");
    check_counts(o.n_gen, "-n/--n-gen");
    if (o.repetitions < 1 || o.repetitions > 1000)
        return report("-r/--repetitions must be in [1, 1000], got " +
                      std::to_string(o.repetitions));
    if (o.threads < 1 || o.threads > 1024)
        return report("--threads must be in [1, 1024], got " + std::to_string(o.threads));
    if (!o.shape.empty() && model_opt->count() > 0)
        return report("use either --model or --shape, not both");
    if (o.shape.empty() && !o.type.empty())
        return report(
            "--type goes with --shape (to change a model file's types, use prism quantize)");
    if (o.shape.empty() && !o.vocab.empty()) return report("--vocab goes with --shape");
    std::vector<bench_test_params> tests;
    for (int32_t n : o.n_prompt)
        if (n > 0) tests.push_back({.prompt = true, .n_tokens = n, .repetitions = o.repetitions});
    for (int32_t n : o.n_gen)
        if (n > 0) tests.push_back({.prompt = false, .n_tokens = n, .repetitions = o.repetitions});
    if (tests.empty()) return report("nothing to run: every -p and -n value is 0");

    const auto model = open_model(o, model_opt);
    int32_t n_ctx = 1;
    for (const auto& t : tests) n_ctx = std::max(n_ctx, t.n_tokens);
    auto ctx = llama_context::create(model, {.n_ctx = n_ctx, .n_threads = o.threads});
    if (!ctx) return report(ctx.error());

    const model_source& src = model->source();
    const bench_weights w = bench_weights_of(src);
    // The machine is measured right before each test: on a shared machine the neighbours'
    // load changes over a run, and a roofline from another moment can be off by 2×.
    std::vector<machine> machines;
    std::string rows;
    for (const auto& t : tests) {
        const std::string name = (t.prompt ? "pp" : "tg") + std::to_string(t.n_tokens);
        std::fprintf(stderr, "prism: %s: read bandwidth and FMA peak, 1 warm-up + %d runs...\n",
                     name.c_str(), t.repetitions);
        machines.push_back(
            {kernels::membw_read({.n_threads = o.threads}), kernels::fma_peak(o.threads)});
        auto r = bench_run_test(**ctx, t);
        if (!r) return report(r.error());
        if (o.json) {
            std::printf("%s\n", json_line(src, w, machines.back(), o.threads, *r).dump().c_str());
            std::fflush(stdout);
        } else {
            rows += table_row(src, w, machines.back(), o.threads, *r);
        }
    }
    if (o.json) return 0;
    std::string bandwidths, peaks;
    for (size_t i = 0; i < tests.size(); ++i) {
        const std::string before = " before " + std::string(tests[i].prompt ? "pp" : "tg") +
                                   std::to_string(tests[i].n_tokens);
        bandwidths +=
            (i ? ", " : "") + fixed(machines[i].membw.bytes_per_s / 1e9, 1) + " GB/s" + before;
        peaks +=
            (i ? ", " : "") + fixed(machines[i].fma.flops_per_s / 1e9, 1) + " GFLOP/s" + before;
    }
    const machine& m0 = machines.front();
    std::printf("cpu: %s, %d threads\n", kernels::cpu_caps_name().c_str(), o.threads);
    std::printf("read bandwidth: %s (each the median of %d passes over %s)\n", bandwidths.c_str(),
                m0.membw.passes, bytes_text(static_cast<double>(m0.membw.bytes)).c_str());
    std::printf("FP32 FMA peak: %s (%s, each the median of %d passes)\n", peaks.c_str(),
                m0.fma.isa.c_str(), m0.fma.passes);
    std::printf("%s\n%s\n\n", spread_note, bounds_note);
    std::printf("| model | type | size | params | backend | threads | test | t/s | "
                "weights/token | roofline t/s | of roofline | GFLOP/s | of FMA peak |\n"
                "| --- | --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | "
                "---: | ---: |\n%s",
                rows.c_str());
    return 0;
}

}  // namespace

command_fn add_bench(CLI::App& app) {
    auto o = std::make_shared<bench_options>();
    auto* model_opt =
        app.add_option("--model,-m", o->model, "model file or HF folder (default: bundled model)");
    app.add_option("--shape,-s", o->shape,
                   "benchmark a random-weight model of this shape instead, built in memory (" +
                       synth_shape_names() + ", a JSON file or object; see prism synth)");
    app.add_option("--type,-t", o->type,
                   "with --shape: weight types (" + quantize_ftype_names() + "; default F32)");
    app.add_option("--vocab", o->vocab,
                   "with --shape: GGUF file whose tokenizer to use (default: the bundled Llama 2 "
                   "vocabulary)");
    app.add_option("-p,--n-prompt", o->n_prompt,
                   "prompt lengths, comma-separated: a pp<N> test each (0 skips)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("-n,--n-gen", o->n_gen,
                   "generation lengths, comma-separated: a tg<N> test each (0 skips)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("-r,--repetitions", o->repetitions, "timed runs per test, after one warm-up")
        ->capture_default_str();
    app.add_option("--threads", o->threads,
                   "threads for the model and for the bandwidth and FMA measurements")
        ->capture_default_str();
    app.add_flag("--json", o->json,
                 "one JSON object per test and line (tokens_per_s_median, spread, model_bytes, "
                 "roofline_tokens_per_s, ...) instead of the table");
    app.footer(std::string(spread_note) + ".\n" + bounds_note + ".");
    return [o, model_opt]() -> int { return run(*o, model_opt); };
}

}  // namespace prism::cli
