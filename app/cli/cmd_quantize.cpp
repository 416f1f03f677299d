// `prism quantize IN.gguf OUT.gguf --type Q4_K_M`: rewrites a GGUF model with quantized (or
// half-precision) weights through prism::model_quantize. A line per tensor (type in → type
// out, bytes, fallbacks) and a summary go to stderr; stdout stays empty.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "prism/quantize.h"

namespace prism::cli {

namespace {

struct quantize_options {
    std::string input, output, type;
    bool pure = false, quiet = false;
    int threads = 0;
};

}  // namespace

command_fn add_quantize(CLI::App& app) {
    auto o = std::make_shared<quantize_options>();
    app.add_option("input", o->input, "GGUF model to read")->required();
    app.add_option("output", o->output, "GGUF file to write (replaced atomically)")->required();
    app.add_option("--type,-t", o->type, "target: " + quantize_ftype_names())->required();
    app.add_flag("--pure", o->pure, "every weight matrix in the base type (no Q6_K output/mix)");
    app.add_option("--threads", o->threads, "threads (default: all cores)");
    app.add_flag("--quiet,-q", o->quiet, "print only the summary");

    return [o]() -> int {
        const quantize_ftype ftype = ftype_from_option(o->type);
        if (o->input.empty() || o->output.empty()) return report("input and output must be named");
        const bool quiet = o->quiet;
        auto on_tensor = [quiet](const quantize_tensor_report& t, int64_t done, int64_t total) {
            if (quiet) return true;
            const auto in = std::string(kernels::type_name(t.type_in));
            const auto out = std::string(kernels::type_name(t.type_out));
            const std::string note = t.fallback.empty()
                                         ? ""
                                         : "  (not " + std::string(kernels::type_name(t.wanted)) +
                                               ": " + printable(t.fallback, 200) + ")";
            std::fprintf(stderr, "[%4lld/%4lld] %-32s %-14s %-5s -> %-5s %11zu -> %11zu bytes%s\n",
                         static_cast<long long>(done), static_cast<long long>(total),
                         printable(t.name, 64).c_str(), shape_text(t.n_dims, t.ne).c_str(),
                         in.c_str(), out.c_str(), t.bytes_in, t.bytes_out, note.c_str());
            return true;
        };
        auto stats =
            model_quantize(o->input, o->output,
                           {.ftype = ftype, .pure = o->pure, .n_threads = o->threads}, on_tensor);
        if (!stats) return report(stats.error());
        const double ratio = stats->bytes_in ? static_cast<double>(stats->bytes_out) /
                                                   static_cast<double>(stats->bytes_in)
                                             : 0.0;
        std::fprintf(stderr,
                     "prism: wrote %s (%s): %zu tensors, %lld converted, %lld fallbacks; "
                     "%.2f MiB -> %.2f MiB of weights (%.1f%%)\n",
                     printable(o->output, 200).c_str(),
                     std::string(quantize_ftype_name(ftype)).c_str(), stats->tensors.size(),
                     static_cast<long long>(stats->n_converted),
                     static_cast<long long>(stats->n_fallbacks), mib(stats->bytes_in),
                     mib(stats->bytes_out), 100.0 * ratio);
        return 0;
    };
}

}  // namespace prism::cli
