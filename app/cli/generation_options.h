// Options and steps shared by the commands that generate (`generate`, `attention`): the
// model and sampling flags, loading, and streaming the text to stdout with timings on
// stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "prism/generate.h"

namespace prism::cli {

struct generation_options {
    std::string model, tokenizer, seed;
    generate_params gen;
    int threads = 0;
    CLI::Option* model_opt = nullptr;
};

/// Registers --model, --tokenizer, --prompt, -n, the sampling flags, --seed, --stop,
/// --threads and --ignore-eos on `app`, bound to `o` (which must outlive parsing).
void add_generation_options(CLI::App& app, generation_options& o);

struct generation_session {
    std::string path;
    std::shared_ptr<const llama_model> model;
    std::unique_ptr<llama_context> ctx;
};

/// Validates the sampling flags, fixes the seed, loads the model and a context, and logs
/// the model, load time and seed on stderr.
result<generation_session> open_generation(generation_options& o);

/// Runs generation streaming the text to stdout (then one newline) and the timings to
/// stderr; a closed or full stdout stops it.
result<generate_result> generate_to_stdout(generation_session& s, const generate_params& p);

}  // namespace prism::cli
