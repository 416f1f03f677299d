// GGUF metadata values: type names, typed accessors and the short printable form used by
// `prism info` and the studio's model panel.
//
// Source: the GGUF specification (ggml/docs/gguf.md), section "gguf_metadata_value_type".
// Design: a value keeps one of six storage alternatives (uint64 for every unsigned type,
// int64 for every signed type, double for both float types, bool, string, array); `type`
// says which GGUF type it was read as, so a file round-trips through the writer unchanged.
#include <charconv>
#include <string>

#include "prism/gguf.h"

namespace prism::gguf {

namespace {

constexpr size_t max_display_items = 8;    // arrays longer than this print as "[n × type]"
constexpr size_t max_display_chars = 120;  // longer strings are cut with "…"

[[noreturn]] void type_mismatch(const value& v, std::string_view expected) {
    throw engine_error(errc::format, "gguf: expected " + std::string(expected) + ", got " +
                                         std::string(value_type_name(v.type)));
}

bool is_unsigned(value_type t) {
    return t == value_type::uint8 || t == value_type::uint16 || t == value_type::uint32 ||
           t == value_type::uint64;
}

bool is_signed(value_type t) {
    return t == value_type::int8 || t == value_type::int16 || t == value_type::int32 ||
           t == value_type::int64;
}

std::string format_double(double d, bool single) {
    char buf[64];
    const auto res = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d))
                            : std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, res.ptr);
}

// Printable string: control characters escaped, long text cut.
std::string escape_for_display(const std::string& s, bool quoted) {
    std::string out;
    if (quoted) out += '"';
    size_t n = 0;
    for (const char c : s) {
        if (n >= max_display_chars) {
            // Do not cut inside a UTF-8 sequence: drop trailing continuation bytes.
            if ((static_cast<unsigned char>(c) & 0xc0u) == 0x80u) continue;
            out += "…";
            break;
        }
        ++n;
        switch (c) {
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '"':
            out += quoted ? "\\\"" : "\"";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\x";
                out += hex[(c >> 4) & 0xf];
                out += hex[c & 0xf];
            } else {
                out += c;
            }
        }
    }
    if (quoted) out += '"';
    return out;
}

std::string display(const value& v, bool nested) {
    switch (v.type) {
    case value_type::uint8:
    case value_type::uint16:
    case value_type::uint32:
    case value_type::uint64:
        return std::to_string(std::get<uint64_t>(v.data));
    case value_type::int8:
    case value_type::int16:
    case value_type::int32:
    case value_type::int64:
        return std::to_string(std::get<int64_t>(v.data));
    case value_type::float32:
    case value_type::float64:
        return format_double(std::get<double>(v.data), v.type == value_type::float32);
    case value_type::boolean:
        return std::get<bool>(v.data) ? "true" : "false";
    case value_type::string:
        return escape_for_display(std::get<std::string>(v.data), nested);
    case value_type::array: {
        const auto& a = std::get<array>(v.data);
        if (a.items.size() > max_display_items)
            return "[" + std::to_string(a.items.size()) + " × " +
                   std::string(value_type_name(a.elem_type)) + "]";
        std::string out = "[";
        for (size_t i = 0; i < a.items.size(); ++i) {
            if (i) out += ", ";
            out += display(a.items[i], true);
        }
        return out + "]";
    }
    }
    return "?";
}

}  // namespace

std::string_view value_type_name(value_type t) {
    switch (t) {
    case value_type::uint8:
        return "uint8";
    case value_type::int8:
        return "int8";
    case value_type::uint16:
        return "uint16";
    case value_type::int16:
        return "int16";
    case value_type::uint32:
        return "uint32";
    case value_type::int32:
        return "int32";
    case value_type::float32:
        return "float32";
    case value_type::boolean:
        return "bool";
    case value_type::string:
        return "string";
    case value_type::array:
        return "array";
    case value_type::uint64:
        return "uint64";
    case value_type::int64:
        return "int64";
    case value_type::float64:
        return "float64";
    }
    return "unknown";
}

int64_t value::as_int() const {
    if (is_signed(type)) return std::get<int64_t>(data);
    if (is_unsigned(type)) {
        const uint64_t u = std::get<uint64_t>(data);
        if (u > static_cast<uint64_t>(INT64_MAX))
            throw engine_error(errc::format,
                               "gguf: uint64 value " + std::to_string(u) + " exceeds int64");
        return static_cast<int64_t>(u);
    }
    type_mismatch(*this, "an integer");
}

double value::as_float() const {
    if (type == value_type::float32 || type == value_type::float64) return std::get<double>(data);
    if (is_signed(type)) return static_cast<double>(std::get<int64_t>(data));
    if (is_unsigned(type)) return static_cast<double>(std::get<uint64_t>(data));
    type_mismatch(*this, "a number");
}

bool value::as_bool() const {
    if (type != value_type::boolean) type_mismatch(*this, "a bool");
    return std::get<bool>(data);
}

const std::string& value::as_string() const {
    if (type != value_type::string) type_mismatch(*this, "a string");
    return std::get<std::string>(data);
}

const array& value::as_array() const {
    if (type != value_type::array) type_mismatch(*this, "an array");
    return std::get<array>(data);
}

std::string value::to_display() const {
    return display(*this, false);
}

}  // namespace prism::gguf
