// JSON codecs for the *_json columns (see record_json.h).
#include "record_json.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "prism/error.h"
#include "prism/sampler.h"

namespace prism::projects::json_codec {

namespace {

using json = nlohmann::json;

// The double whose shortest decimal form equals the float's: 0.8f is stored as 0.8, not
// 0.800000011920929, and still reads back as exactly 0.8f.
double float_for_json(float f) {
    if (!std::isfinite(f)) return static_cast<double>(f);
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
    double d = static_cast<double>(f);
    if (ec == std::errc()) std::from_chars(buf, end, d);
    return d;
}

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json parse(std::string_view text, std::string_view what) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded())
        throw prism::engine_error(prism::errc::format,
                                  std::string(what) + ": stored JSON does not parse");
    return j;
}

[[noreturn]] void bad_field(std::string_view what, std::string_view field, std::string_view want) {
    throw prism::engine_error(prism::errc::format, std::string(what) + ": field '" +
                                                       std::string(field) + "' is not " +
                                                       std::string(want));
}

float get_float(const json& j, const char* key, float fallback, std::string_view what) {
    const auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (!it->is_number()) bad_field(what, key, "a number");
    return static_cast<float>(it->get<double>());
}

int32_t get_int32(const json& j, const char* key, int32_t fallback, std::string_view what) {
    const auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (!it->is_number_integer()) bad_field(what, key, "an integer");
    if (it->is_number_unsigned()
            ? it->get<uint64_t>() > uint64_t{std::numeric_limits<int32_t>::max()}
            : (it->get<int64_t>() < std::numeric_limits<int32_t>::min() ||
               it->get<int64_t>() > std::numeric_limits<int32_t>::max()))
        bad_field(what, key, "a 32-bit integer");
    return static_cast<int32_t>(it->get<int64_t>());
}

uint64_t get_seed(const json& j, std::string_view what) {
    const auto it = j.find("seed");
    if (it == j.end()) return 0;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (!it->is_string()) bad_field(what, "seed", "a decimal string");
    const auto& s = it->get_ref<const std::string&>();
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        bad_field(what, "seed", "a decimal uint64");
    return v;
}

}  // namespace

std::string params_to_json(const generation_params& p) {
    json j = {
        {"temp", float_for_json(p.temp)},
        {"top_k", p.top_k},
        {"top_p", float_for_json(p.top_p)},
        {"min_p", float_for_json(p.min_p)},
        {"repeat_penalty", float_for_json(p.repeat_penalty)},
        {"repeat_last_n", p.repeat_last_n},
        {"seed", std::to_string(p.seed)},
        {"n_predict", p.n_predict},
    };
    if (p.system_prompt) j["system_prompt"] = *p.system_prompt;
    return dump(j);
}

generation_params params_from_json(std::string_view text, std::string_view what) {
    const json j = parse(text, what);
    if (!j.is_object())
        throw prism::engine_error(prism::errc::format, std::string(what) + ": not a JSON object");
    const generation_params d;
    generation_params p;
    p.temp = get_float(j, "temp", d.temp, what);
    p.top_k = get_int32(j, "top_k", d.top_k, what);
    p.top_p = get_float(j, "top_p", d.top_p, what);
    p.min_p = get_float(j, "min_p", d.min_p, what);
    p.repeat_penalty = get_float(j, "repeat_penalty", d.repeat_penalty, what);
    p.repeat_last_n = get_int32(j, "repeat_last_n", d.repeat_last_n, what);
    p.seed = get_seed(j, what);
    p.n_predict = get_int32(j, "n_predict", d.n_predict, what);
    if (const auto it = j.find("system_prompt"); it != j.end() && !it->is_null()) {
        if (!it->is_string()) bad_field(what, "system_prompt", "a string");
        p.system_prompt = it->get<std::string>();
    }
    return p;
}

void validate_params(const generation_params& p) {
    if (auto ok = prism::sampler_params_validate(p.sampling()); !ok)
        throw prism::engine_error(prism::errc::invalid_argument, ok.error().message);
    if (p.n_predict < -1)
        throw prism::engine_error(prism::errc::invalid_argument,
                                  "n_predict must be >= -1 (-1 = until end of text), got " +
                                      std::to_string(p.n_predict));
}

std::string int_array_to_json(std::span<const int32_t> values) {
    std::string s = "[";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(values[i]);
    }
    return s + "]";
}

std::vector<int32_t> int_array_from_json(std::string_view text, std::string_view what) {
    const json j = parse(text, what);
    if (!j.is_array())
        throw prism::engine_error(prism::errc::format, std::string(what) + ": not a JSON array");
    std::vector<int32_t> out;
    out.reserve(j.size());
    for (const auto& v : j) {
        const bool fits = v.is_number_integer() &&
                          (v.is_number_unsigned()
                               ? v.get<uint64_t>() <= uint64_t{std::numeric_limits<int32_t>::max()}
                               : (v.get<int64_t>() >= std::numeric_limits<int32_t>::min() &&
                                  v.get<int64_t>() <= std::numeric_limits<int32_t>::max()));
        if (!fits)
            throw prism::engine_error(prism::errc::format,
                                      std::string(what) + ": element is not a 32-bit integer");
        out.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    return out;
}

std::string alternatives_to_json(std::span<const std::vector<token_alternative>> lists) {
    json outer = json::array();
    for (const auto& list : lists) {
        json inner = json::array();
        for (const auto& a : list)
            inner.push_back({{"id", a.id}, {"piece", a.piece}, {"p", float_for_json(a.p)}});
        outer.push_back(std::move(inner));
    }
    return dump(outer);
}

std::vector<std::vector<token_alternative>> alternatives_from_json(std::string_view text,
                                                                   std::string_view what) {
    const json j = parse(text, what);
    if (!j.is_array())
        throw prism::engine_error(prism::errc::format, std::string(what) + ": not a JSON array");
    std::vector<std::vector<token_alternative>> out;
    out.reserve(j.size());
    for (const auto& list : j) {
        if (!list.is_array())
            throw prism::engine_error(prism::errc::format,
                                      std::string(what) + ": element is not a list");
        auto& dst = out.emplace_back();
        for (const auto& a : list) {
            if (!a.is_object()) bad_field(what, "alternative", "an object");
            token_alternative t;
            t.id = get_int32(a, "id", 0, what);
            t.p = get_float(a, "p", 0.0f, what);
            if (const auto it = a.find("piece"); it != a.end()) {
                if (!it->is_string()) bad_field(what, "piece", "a string");
                t.piece = it->get<std::string>();
            }
            dst.push_back(std::move(t));
        }
    }
    return out;
}

void require_json_object(std::string_view text, std::string_view what) {
    const json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw prism::engine_error(prism::errc::invalid_argument,
                                  std::string(what) + " must be a JSON object");
}

}  // namespace prism::projects::json_codec
