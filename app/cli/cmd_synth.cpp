// `prism synth --shape tinyllama-1.1b --type Q4_K_M OUT.gguf`: writes a random-weight Llama
// GGUF of a named or JSON shape through prism::model_synth_write (synth.h). A line per tensor
// and a summary with the time taken go to stderr; stdout stays empty.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "prism/synth.h"

namespace prism::cli {

namespace {

struct synth_options {
    std::string shape, type = "F32", output, vocab;
    uint64_t seed = 0;
    int threads = 0;
    bool quiet = false;
};

}  // namespace

command_fn add_synth(CLI::App& app) {
    auto o = std::make_shared<synth_options>();
    app.add_option("output", o->output, "GGUF file to write (replaced atomically)")->required();
    app.add_option("--shape,-s", o->shape,
                   synth_shape_names() +
                       ", a JSON file, or an inline JSON object with Hugging Face config.json "
                       "names (hidden_size, num_hidden_layers, num_attention_heads, "
                       "num_key_value_heads, intermediate_size, vocab_size, ...)")
        ->required();
    app.add_option("--type,-t", o->type,
                   "weight types, as prism quantize: " + quantize_ftype_names())
        ->capture_default_str();
    app.add_option("--seed", o->seed, "random seed (the bytes depend on it alone)")
        ->capture_default_str()
        ->check([](const std::string& s) {
            // CLI11 would saturate out-of-range values and wrap "-1"; refuse them instead.
            uint64_t v = 0;
            const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            return ec == std::errc{} && !s.empty() && end == s.data() + s.size()
                       ? std::string()
                       : "must be an integer in [0, 18446744073709551615], got '" +
                             printable(s, 40) + "'";
        });
    app.add_option("--vocab", o->vocab,
                   "GGUF file whose tokenizer to use (default: the bundled Llama 2 vocabulary, "
                   "32000 tokens)");
    app.add_option("--threads", o->threads, "threads (default: all cores)");
    app.add_flag("--quiet,-q", o->quiet, "print only the summary");

    return [o]() -> int {
        const quantize_ftype ftype = ftype_from_option(o->type);
        if (o->threads < 0 || o->threads > 1024)
            return report("--threads must be in [0, 1024], got " + std::to_string(o->threads));
        auto hp = synth_shape(o->shape);
        if (!hp) return report(hp.error());
        const auto& names = synth_shape_list();
        const bool named = std::find(names.begin(), names.end(), o->shape) != names.end();
        const bool quiet = o->quiet;
        auto on_tensor = [quiet](const synth_tensor_report& t, int64_t done, int64_t total) {
            if (quiet) return true;
            std::fprintf(stderr, "[%4lld/%4lld] %-28s %-14s %-5s %11zu bytes\n",
                         static_cast<long long>(done), static_cast<long long>(total),
                         t.name.c_str(), shape_text(t.n_dims, t.ne).c_str(),
                         std::string(kernels::type_name(t.type)).c_str(), t.nbytes);
            return true;
        };
        const auto t0 = std::chrono::steady_clock::now();
        auto stats = model_synth_write(*hp, o->output,
                                       {.ftype = ftype,
                                        .seed = o->seed,
                                        .n_threads = o->threads,
                                        .vocab_path = o->vocab,
                                        .name = named ? "synthetic " + o->shape : ""},
                                       on_tensor);
        if (!stats) return report(stats.error());
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr,
                     "prism: wrote %s (%s): %lld tensors, %.1f M parameters, %.2f MiB of "
                     "weights in %.1f s\n",
                     printable(o->output, 200).c_str(),
                     std::string(quantize_ftype_name(ftype)).c_str(),
                     static_cast<long long>(stats->n_tensors), stats->n_params / 1e6,
                     mib(stats->n_bytes), seconds);
        return 0;
    };
}

}  // namespace prism::cli
