// `prism`: the headless command-line front end of the engine. Parses arguments and wires
// subcommands to engine calls; all logic lives in prism_engine.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "prism/model_source.h"

#include "commands.h"

namespace prism::cli {

int report(const prism::error& e) {
    return report(e.message);
}

int report(const std::string& message) {
    std::cerr << "prism: error: " << prism::printable(message) << "\n";
    return 1;
}

std::string model_path_or_default(const CLI::Option* opt, const std::string& value) {
    if (opt->count() > 0 && value.empty()) throw std::invalid_argument("--model is empty");
    return opt->count() > 0 ? value : default_model_path();
}

quantize_ftype ftype_from_option(const std::string& name) {
    const auto ftype = quantize_ftype_from_name(name);
    if (!ftype)
        throw std::invalid_argument("unknown --type '" + printable(name, 64) + "' (use one of " +
                                    quantize_ftype_names() + ")");
    return *ftype;
}

std::string shape_text(uint32_t n_dims, const std::array<int64_t, 4>& ne) {
    std::string s = "[";
    for (uint32_t i = 0; i < std::max<uint32_t>(n_dims, 1) && i < ne.size(); ++i)
        s += (i ? ", " : "") + std::to_string(ne[i]);
    return s + "]";
}

double mib(size_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

namespace {

// Output that could not be written (a full disk, a closed pipe) is an error, not a success.
int finish(int status) {
    std::cout.flush();
    if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout.good())
        return status != 0 ? status : report("cannot write to standard output");
    return status;
}

}  // namespace

}  // namespace prism::cli

int main(int argc, char** argv) {
    CLI::App app{"prism — Prism Studio's headless engine (generate, tokenize, inspect, quantize, "
                 "synthesize and benchmark models)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("prism ") + PRISM_VERSION);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "prism: error: " + std::string(e.what()) + " (see --help)\n";
    });
    std::vector<std::pair<CLI::App*, prism::cli::command_fn>> commands;
    auto add = [&](const char* name, const char* help, auto fn) {
        CLI::App* sub = app.add_subcommand(name, help);
        commands.emplace_back(sub, fn(*sub));
    };
    add("generate", "generate text from a prompt (streams to stdout)", prism::cli::add_generate);
    add("tokenize", "print the token ids of a text", prism::cli::add_tokenize);
    add("info", "describe a model: hyperparameters, tokenizer, tensors", prism::cli::add_info);
    add("attention", "generate with attention capture; write .npy, CSV, statistics, heatmaps",
        prism::cli::add_attention);
    add("quantize", "rewrite a GGUF model with quantized weights (Q8_0, Q4_K_M, ...)",
        prism::cli::add_quantize);
    add("synth", "write a random-weight Llama GGUF of a named or JSON shape",
        prism::cli::add_synth);
    add("bench", "measure prompt and generation speed against this machine's roofline and peak",
        prism::cli::add_bench);

    const bool known =
        argc > 1 && std::any_of(commands.begin(), commands.end(),
                                [&](const auto& c) { return c.first->get_name() == argv[1]; });
    if (argc > 1 && argv[1][0] != '-' && !known)
        return prism::cli::report(
            "unknown command '" + std::string(argv[1]) +
            "' (commands: generate, tokenize, info, attention, quantize, synth, bench; "
            "see --help)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error exits 1 with one line.
        return app.exit(e) == 0 ? 0 : 1;
    }
    try {
        for (auto& [sub, fn] : commands)
            if (sub->parsed()) return prism::cli::finish(fn());
    } catch (const std::exception& e) {
        return prism::cli::report(e.what());
    }
    return 1;
}
