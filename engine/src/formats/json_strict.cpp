// Duplicate-key-rejecting JSON parsing over nlohmann's parser callback (see json_strict.h).
#include "formats/json_strict.h"

#include <string>
#include <unordered_set>
#include <vector>

#include "prism/error.h"

namespace prism::detail {

nlohmann::json parse_json_strict(std::string_view text, std::string_view what) {
    using json = nlohmann::json;
    // One set of seen keys per object still open, innermost last.
    std::vector<std::unordered_set<std::string>> open_objects;
    json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
        case json::parse_event_t::object_start:
            open_objects.emplace_back();
            break;
        case json::parse_event_t::object_end:
            if (!open_objects.empty()) open_objects.pop_back();
            break;
        case json::parse_event_t::key:
            if (!open_objects.empty() &&
                !open_objects.back().insert(parsed.get<std::string>()).second) {
                throw engine_error(errc::format, std::string(what) + ": duplicate key \"" +
                                                     parsed.get<std::string>() + "\"");
            }
            break;
        default:
            break;
        }
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), check);
    } catch (const json::exception& e) {
        throw engine_error(errc::format, std::string(what) + ": invalid JSON: " + e.what());
    }
}

std::string json_brief(const nlohmann::json& v) {
    // Containers are summarized, not dumped: dump() recurses, and hostile input may nest
    // deeper than the stack allows.
    if (v.is_array()) return "an array of " + std::to_string(v.size());
    if (v.is_object()) return "an object of " + std::to_string(v.size()) + " keys";
    std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

}  // namespace prism::detail
