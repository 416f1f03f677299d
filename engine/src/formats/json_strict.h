// Strict JSON parsing for the file formats that embed JSON (safetensors headers, Hugging Face
// config.json and index files). nlohmann::json keeps one value of a key that appears twice and
// drops the other without a word; a weight file whose header names a tensor twice is either
// corrupt or hostile, so this parser tracks the keys of every open object and rejects repeats.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace prism::detail {

/// Parses `text` as one JSON document. Throws engine_error(errc::format) for invalid JSON
/// ("<what>: invalid JSON: ...") and for a key repeated within one object
/// ("<what>: duplicate key \"k\"").
nlohmann::json parse_json_strict(std::string_view text, std::string_view what);

/// A short printable form of a JSON value for error messages (long values are cut).
std::string json_brief(const nlohmann::json& v);

}  // namespace prism::detail
