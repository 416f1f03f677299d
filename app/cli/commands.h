// Subcommands of the `prism` CLI. Each registers its options on a CLI11 subcommand and
// returns the function that runs it (exit status). Errors print one line on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "prism/error.h"

namespace prism::cli {

using command_fn = std::function<int()>;

command_fn add_generate(CLI::App& app);
command_fn add_tokenize(CLI::App& app);
command_fn add_info(CLI::App& app);
command_fn add_attention(CLI::App& app);
command_fn add_quantize(CLI::App& app);

/// Prints "prism: error: <message>" on stderr and returns exit status 1.
int report(const prism::error& e);
int report(const std::string& message);

/// The --model value when given (throws std::invalid_argument if it is empty), else the
/// bundled default model.
std::string model_path_or_default(const CLI::Option* opt, const std::string& value);

}  // namespace prism::cli
