// The benchmark harness of bench.h: weight accounting, one pp/tg test on a context, and the
// roofline and FMA-peak ratios.
//
// Source: llama.cpp's llama-bench (tools/llama-bench): the pp/tg test definitions (a prompt
// as one batch; generation as single-token decodes, both from an empty cache), one warm-up
// run, random token ids after BOS, tokens/s per run.
#include "prism/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>

#include "prism/kernels/sample_stats.h"
#include "prism/quantize.h"

namespace prism {

namespace {

bool is_layer_matrix(const std::string& name) {
    static const char* const suffixes[] = {
        ".attn_q.weight",   ".attn_k.weight", ".attn_v.weight",   ".attn_output.weight",
        ".ffn_gate.weight", ".ffn_up.weight", ".ffn_down.weight",
    };
    if (!name.starts_with("blk.")) return false;
    return std::any_of(std::begin(suffixes), std::end(suffixes),
                       [&](const char* s) { return name.ends_with(s); });
}

}  // namespace

bench_weights bench_weights_of(const model_source& m) {
    bench_weights w;
    const tensor_view* embd = m.find("token_embd.weight");
    const tensor_view* output = m.find("output.weight");
    const tensor_view* classifier = output ? output : embd;
    for (const auto& [name, t] : m.tensors) {
        w.n_params += t.numel();
        w.model_bytes += t.nbytes;
        if (is_layer_matrix(name)) w.n_params_layers += t.numel();
        if (&t == classifier) w.n_params_output += t.numel();
    }
    w.bytes_per_token = w.model_bytes;
    if (embd && classifier != embd && embd->ne[1] > 0)  // one row of an untied embedding
        w.bytes_per_token -= embd->nbytes - embd->nbytes / static_cast<size_t>(embd->ne[1]);
    return w;
}

std::string bench_model_type(const model_source& m) {
    for (const auto& [key, value] : m.metadata) {
        if (key != "general.file_type") continue;
        char* end = nullptr;
        const long long v = std::strtoll(value.c_str(), &end, 10);
        if (end && *end == '\0' && !value.empty())
            if (auto ftype = quantize_ftype_from_value(v))
                return std::string(quantize_ftype_name(*ftype));
    }
    std::map<kernels::ggml_type, size_t> bytes;
    for (const auto& [name, t] : m.tensors)
        if (t.n_dims >= 2) bytes[t.type] += t.nbytes;
    if (bytes.empty()) return "?";
    const auto most =
        std::max_element(bytes.begin(), bytes.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    const auto name = kernels::type_name(most->first);
    const auto as_ftype = quantize_ftype_from_name(name);  // "q8_0" -> Q8_0, in capitals
    return as_ftype ? std::string(quantize_ftype_name(*as_ftype)) : std::string(name);
}

result<bench_test_result> bench_run_test(llama_context& ctx, const bench_test_params& p) {
    return catch_to_result([&]() -> bench_test_result {
        if (p.n_tokens < 1 || p.n_tokens > ctx.n_ctx())
            throw engine_error(errc::invalid_argument, "bench: " + std::to_string(p.n_tokens) +
                                                           " tokens do not fit the context of " +
                                                           std::to_string(ctx.n_ctx()) +
                                                           " (use 1 or more, at most n_ctx)");
        if (p.repetitions < 1)
            throw engine_error(errc::invalid_argument, "bench: repetitions must be >= 1, got " +
                                                           std::to_string(p.repetitions));
        const llama_model& model = ctx.model();
        const int32_t n_vocab = model.hparams().n_vocab;
        std::mt19937_64 rng(p.seed);
        std::uniform_int_distribution<int32_t> any_token(0, n_vocab - 1);
        std::vector<int32_t> tokens(static_cast<size_t>(p.n_tokens));
        for (auto& t : tokens) t = any_token(rng);
        const int32_t bos = model.source().vocab ? model.vocab().bos_id() : -1;
        if (bos >= 0 && bos < n_vocab) tokens[0] = bos;

        const auto check = [](result<void> r) {
            if (!r) throw engine_error(r.error().code, r.error().message);
        };
        llama_batch batch;
        const auto run_once = [&] {
            ctx.kv_cache_seq_remove(0);
            const auto t0 = std::chrono::steady_clock::now();
            if (p.prompt) {
                batch.clear();
                for (int32_t i = 0; i < p.n_tokens; ++i)
                    batch.add(tokens[static_cast<size_t>(i)], i, 0, i == p.n_tokens - 1);
                check(ctx.decode(batch));
            } else {
                for (int32_t i = 0; i < p.n_tokens; ++i) {
                    batch.clear();
                    batch.add(tokens[static_cast<size_t>(i)], i, 0, true);
                    check(ctx.decode(batch));
                }
            }
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        };

        bench_test_result r;
        r.name = (p.prompt ? "pp" : "tg") + std::to_string(p.n_tokens);
        r.params = p;
        run_once();  // warm-up: page in the weights, size the scratch buffers
        std::vector<double> rates;
        for (int32_t i = 0; i < p.repetitions; ++i) {
            r.seconds.push_back(run_once());
            rates.push_back(p.n_tokens / r.seconds.back());
        }
        const auto st = kernels::sample_stats_of(rates);
        r.tokens_per_s_median = st.median;
        r.tokens_per_s_min = st.min;
        r.tokens_per_s_max = st.max;
        r.spread = st.median > 0 ? (st.max - st.min) / st.median : 0.0;
        return r;
    });
}

bench_bounds bench_bounds_of(const bench_weights& w, const bench_test_result& t,
                             double read_bytes_per_s, double fma_flops_per_s) {
    bench_bounds b;
    const double n = t.params.n_tokens, n_logits = t.params.prompt ? 1 : n;
    const double flops = 2.0 * (static_cast<double>(w.n_params_layers) * n +
                                static_cast<double>(w.n_params_output) * n_logits);
    b.flops_per_s = flops * t.tokens_per_s_median / n;  // flops per run / median seconds
    if (fma_flops_per_s > 0) b.fma_peak_fraction = b.flops_per_s / fma_flops_per_s;
    if (w.bytes_per_token > 0)
        b.roofline_tokens_per_s = read_bytes_per_s / static_cast<double>(w.bytes_per_token);
    if (b.roofline_tokens_per_s > 0)
        b.roofline_ratio = t.tokens_per_s_median / b.roofline_tokens_per_s;
    return b;
}

}  // namespace prism
