// Subcommands of the `prism` CLI. Each registers its options on a CLI11 subcommand and
// returns the function that runs it (exit status). Errors print one line on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "prism/error.h"
#include "prism/quantize.h"

namespace prism::cli {

using command_fn = std::function<int()>;

command_fn add_generate(CLI::App& app);
command_fn add_tokenize(CLI::App& app);
command_fn add_info(CLI::App& app);
command_fn add_attention(CLI::App& app);
command_fn add_quantize(CLI::App& app);
command_fn add_synth(CLI::App& app);
command_fn add_bench(CLI::App& app);

/// Prints "prism: error: <message>" on stderr and returns exit status 1.
int report(const prism::error& e);
int report(const std::string& message);

/// The --model value when given (throws std::invalid_argument if it is empty), else the
/// bundled default model.
std::string model_path_or_default(const CLI::Option* opt, const std::string& value);

/// The file type a --type value names (case-insensitive); throws std::invalid_argument
/// ("unknown --type 'X' (use one of ...)") otherwise.
quantize_ftype ftype_from_option(const std::string& name);

/// A tensor shape as "[768, 32000]" (the first max(n_dims, 1) entries of ne).
std::string shape_text(uint32_t n_dims, const std::array<int64_t, 4>& ne);

/// Bytes in MiB.
double mib(size_t bytes);

}  // namespace prism::cli
