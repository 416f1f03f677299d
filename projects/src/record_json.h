// JSON encodings of the project's *_json columns (nlohmann::json, compact UTF-8).
//
//   generation_params   {"temp":0.8,"top_k":40,"top_p":0.95,"min_p":0.05,
//                        "repeat_penalty":1.0,"repeat_last_n":64,"seed":"42",
//                        "n_predict":-1,"system_prompt":"..."}   (system_prompt optional)
//     Floats are written as the shortest decimal that reads back as the same float; the
//     seed is a decimal string (uint64 would lose bits in JSON readers using doubles).
//     Decoding fills missing fields with defaults and ignores unknown ones (forward
//     compatible); a field of the wrong type is errc::format.
//   token ids            [12,5,873]
//   top alternatives     [[{"id":12,"piece":" the","p":0.61},...],...]  one list per token
//
// Decoders throw prism::engine_error(errc::format) naming `what` (e.g. "run 7 params").
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prism/projects/records.h"

namespace prism::projects::json_codec {

std::string params_to_json(const generation_params& p);
generation_params params_from_json(std::string_view json, std::string_view what);
/// Throws errc::invalid_argument naming the bad parameter.
void validate_params(const generation_params& p);

std::string int_array_to_json(std::span<const int32_t> values);
std::vector<int32_t> int_array_from_json(std::string_view json, std::string_view what);

std::string alternatives_to_json(std::span<const std::vector<token_alternative>> lists);
std::vector<std::vector<token_alternative>> alternatives_from_json(std::string_view json,
                                                                   std::string_view what);

/// Throws errc::invalid_argument unless `json` parses as a JSON object.
void require_json_object(std::string_view json, std::string_view what);

}  // namespace prism::projects::json_codec
