// The records a project stores, as plain values: what callers pass in (new_*) and what they
// get back (*_record). Field meanings and units are documented here once; the SQL side is
// in src/schema.cpp.
//
// Conventions: ids are the SQLite rowids (int64, > 0). Timestamps are unix milliseconds,
// UTC (timestamp_ms). Strings are UTF-8; prompts and outputs are stored byte for byte.
// Token pieces inside JSON columns are display text: invalid UTF-8 in a piece becomes
// U+FFFD (the token id is the exact record).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prism/sampler.h"

namespace prism::projects {

/// Unix time in milliseconds, UTC.
using timestamp_ms = int64_t;

/// The current time as timestamp_ms.
timestamp_ms now_ms();

// ---- models -------------------------------------------------------------------------------

struct new_model {
    std::string path;                  ///< where the file was found (absolute or as given)
    std::string sha256;                ///< 64 lowercase hex digits; unique in a project
    std::string format;                ///< "gguf", "safetensors", "llama2c", ... (non-empty)
    std::string name;                  ///< display name (non-blank)
    std::string metadata_json = "{}";  ///< a JSON object summarizing the model (n_layer, ...)
};

struct model_record {
    int64_t id = 0;
    std::string path;
    std::string sha256;
    std::string format;
    std::string name;
    std::string metadata_json;
    timestamp_ms added_at = 0;
};

// ---- presets and generation parameters ----------------------------------------------------

/// The sampling and length parameters of a run or preset. Defaults match
/// prism::sampler_params; validated with prism::sampler_params_validate plus
/// n_predict >= -1. Stored as JSON (seed as a decimal string, so no JSON reader rounds it).
struct generation_params {
    float temp = 0.8f;            ///< >= 0; 0 = greedy
    int32_t top_k = 40;           ///< >= 0; 0 = off
    float top_p = 0.95f;          ///< (0, 1]; 1 = off
    float min_p = 0.05f;          ///< [0, 1]; 0 = off
    float repeat_penalty = 1.0f;  ///< > 0; 1 = off
    int32_t repeat_last_n = 64;   ///< >= -1; 0 = off, -1 = whole history
    uint64_t seed = 0;            ///< any value (no "random" sentinel)
    int32_t n_predict = -1;       ///< tokens to generate, -1 = until EOS / context full
    std::optional<std::string> system_prompt;

    bool operator==(const generation_params&) const = default;
    /// The engine's sampler settings these parameters stand for.
    prism::sampler_params sampling() const {
        return {.temp = temp,
                .top_k = top_k,
                .top_p = top_p,
                .min_p = min_p,
                .repeat_penalty = repeat_penalty,
                .repeat_last_n = repeat_last_n,
                .seed = seed};
    }
};

struct preset_record {
    int64_t id = 0;
    std::string name;
    generation_params params;
    timestamp_ms created_at = 0;
    timestamp_ms updated_at = 0;
};

// ---- runs ---------------------------------------------------------------------------------

enum class run_status { running, finished, stopped, failed };
/// "running", "finished", "stopped", "failed" (the stored spelling).
std::string_view run_status_name(run_status s);

/// One of the most likely tokens at a generated position.
struct token_alternative {
    int32_t id = 0;
    std::string piece;  ///< display text of the token
    float p = 0.0f;     ///< probability after the sampler chain's softmax, in [0, 1]

    bool operator==(const token_alternative&) const = default;
};

struct new_run {
    int64_t model_id = 0;  ///< must name a model of the project
    std::string prompt;
    generation_params params;  ///< params.seed is the seed actually used
};

/// Output streamed since the last append: text, the token ids, and for each token its top
/// alternatives (either empty = none recorded, or one list per token id).
struct run_output_delta {
    std::string text;
    std::vector<int32_t> token_ids;
    std::vector<std::vector<token_alternative>> top_alternatives;
};

/// How a run ended. status must not be running; error is kept for failed runs.
struct run_outcome {
    run_status status = run_status::finished;
    std::optional<double> ttft_ms;       ///< time to first token, milliseconds
    std::optional<double> tokens_per_s;  ///< generation throughput
    std::string error;                   ///< what went wrong (failed runs)
};

/// A run without its bulky columns, for lists.
struct run_summary {
    int64_t id = 0;
    timestamp_ms created_at = 0;
    std::optional<timestamp_ms> finished_at;
    int64_t model_id = 0;
    std::string prompt;
    run_status status = run_status::running;
    int64_t n_tokens = 0;
    std::optional<double> ttft_ms;
    std::optional<double> tokens_per_s;
};

struct run_record {
    int64_t id = 0;
    timestamp_ms created_at = 0;
    std::optional<timestamp_ms> finished_at;
    int64_t model_id = 0;
    std::string prompt;
    generation_params params;  ///< params.system_prompt and params.seed included
    std::string output_text;
    std::vector<int32_t> token_ids;
    /// One list per token id (empty lists where none were recorded).
    std::vector<std::vector<token_alternative>> top_alternatives;
    std::optional<double> ttft_ms;
    std::optional<double> tokens_per_s;
    run_status status = run_status::running;
    std::string error;
};

/// Keyset paging, newest first: the runs with id < before_id (0 = from the newest).
struct run_page {
    int32_t limit = 50;  ///< 1..1000
    int64_t before_id = 0;
    std::optional<int64_t> model_id;  ///< only runs of this model
};

// ---- attention snapshots and findings -----------------------------------------------------

struct attention_snapshot_record {
    int64_t id = 0;
    int64_t run_id = 0;
    std::vector<int32_t> layers;  ///< captured layers, as given
    std::vector<int32_t> heads;   ///< captured heads, as given
    std::string blob_path;        ///< relative to the project folder: "blobs/<sha256>.bin"
    std::string blob_sha256;
    int64_t bytes = 0;
    timestamp_ms created_at = 0;
};

/// A note about a span of tokens [token_start, token_end) in one layer and head of a run.
struct new_finding {
    int64_t run_id = 0;
    int32_t layer = 0;  ///< >= 0
    int32_t head = 0;   ///< >= 0, or -1 = every head of the layer
    int32_t token_start = 0;
    int32_t token_end = 1;  ///< exclusive; > token_start
    std::string note;
};

struct finding_record {
    int64_t id = 0;
    int64_t run_id = 0;
    int32_t layer = 0;
    int32_t head = 0;
    int32_t token_start = 0;
    int32_t token_end = 0;
    std::string note;
    timestamp_ms created_at = 0;
};

}  // namespace prism::projects
