// NumPy .npy reading and writing (see npy.h).
//
// Source: numpy/lib/format.py. The header is a Python literal; rather than evaluate it, a
// small parser accepts exactly the dict NumPy writes (three keys, string / bool / tuple of
// ints, optional trailing commas, Python 2 'L' suffixes) and rejects anything else, naming
// the offending character offset.
#include "prism/npy.h"

#include <bit>
#include <cstring>
#include <limits>
#include <optional>

#include "formats/file_replace.h"
#include "prism/mapped_file.h"

namespace prism::npy {

namespace {

static_assert(std::endian::native == std::endian::little,
              "npy data is read and written as little-endian in place");

constexpr char magic[] = "\x93NUMPY";
constexpr size_t magic_len = 6;

size_t descr_size(std::string_view d) {
    if (d == "<f4" || d == "<i4") return 4;
    if (d == "<f8" || d == "<i8") return 8;
    return 0;
}

[[noreturn]] void fail(const std::string& message, int64_t offset = -1) {
    throw engine_error(errc::format, message, offset);
}

// Recursive-descent reader of the header dict. `base` is the header's offset in the file,
// for error offsets.
class header_parser {
public:
    header_parser(std::string_view text, size_t base) : m_s(text), m_base(base) {}

    void parse(array& out, bool& fortran_order) {
        bool have_descr = false, have_order = false, have_shape = false;
        skip_ws();
        expect('{');
        while (true) {
            skip_ws();
            if (peek() == '}') break;
            const size_t key_at = m_i;
            const std::string key = read_string();
            skip_ws();
            expect(':');
            skip_ws();
            if (key == "descr") {
                if (have_descr) fail_at(key_at, "duplicate key 'descr'");
                out.descr = read_string();
                have_descr = true;
            } else if (key == "fortran_order") {
                if (have_order) fail_at(key_at, "duplicate key 'fortran_order'");
                fortran_order = read_bool();
                have_order = true;
            } else if (key == "shape") {
                if (have_shape) fail_at(key_at, "duplicate key 'shape'");
                out.shape = read_shape();
                have_shape = true;
            } else {
                fail_at(key_at, "unexpected key '" + key + "'");
            }
            skip_ws();
            if (peek() == ',') {
                ++m_i;
                continue;
            }
            if (peek() != '}') fail_at(m_i, "expected ',' or '}'");
        }
        expect('}');
        skip_ws();
        if (m_i != m_s.size()) fail_at(m_i, "unexpected text after the header dict");
        if (!have_descr) fail("npy header lacks 'descr'", static_cast<int64_t>(m_base));
        if (!have_order) fail("npy header lacks 'fortran_order'", static_cast<int64_t>(m_base));
        if (!have_shape) fail("npy header lacks 'shape'", static_cast<int64_t>(m_base));
    }

private:
    [[noreturn]] void fail_at(size_t at, const std::string& what) const {
        fail("npy header at byte " + std::to_string(m_base + at) + ": " + what,
             static_cast<int64_t>(m_base + at));
    }
    char peek() const { return m_i < m_s.size() ? m_s[m_i] : '\0'; }
    void skip_ws() {
        while (m_i < m_s.size() &&
               (m_s[m_i] == ' ' || m_s[m_i] == '\n' || m_s[m_i] == '\t' || m_s[m_i] == '\r')) {
            ++m_i;
        }
    }
    void expect(char c) {
        if (peek() != c) fail_at(m_i, std::string("expected '") + c + "'");
        ++m_i;
    }
    std::string read_string() {
        const char q = peek();
        if (q != '\'' && q != '"') fail_at(m_i, "expected a quoted string");
        const size_t start = ++m_i;
        while (m_i < m_s.size() && m_s[m_i] != q) {
            if (m_s[m_i] == '\\') fail_at(m_i, "escapes are not supported in header strings");
            ++m_i;
        }
        if (m_i >= m_s.size()) fail_at(start - 1, "unterminated string");
        return std::string(m_s.substr(start, m_i++ - start));
    }
    bool read_bool() {
        if (m_s.substr(m_i, 4) == "True") {
            m_i += 4;
            return true;
        }
        if (m_s.substr(m_i, 5) == "False") {
            m_i += 5;
            return false;
        }
        fail_at(m_i, "expected True or False");
    }
    int64_t read_int() {
        const size_t start = m_i;
        uint64_t v = 0;
        while (m_i < m_s.size() && m_s[m_i] >= '0' && m_s[m_i] <= '9') {
            const auto digit = static_cast<uint64_t>(m_s[m_i] - '0');
            constexpr auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
            if (v > (max - digit) / 10) fail_at(start, "dimension too large");
            v = v * 10 + digit;
            ++m_i;
        }
        if (m_i == start) fail_at(start, "expected a non-negative integer dimension");
        if (peek() == 'L') ++m_i;  // Python 2 long suffix
        return static_cast<int64_t>(v);
    }
    std::vector<int64_t> read_shape() {
        std::vector<int64_t> shape;
        expect('(');
        skip_ws();
        while (peek() != ')') {
            shape.push_back(read_int());
            skip_ws();
            if (peek() == ',') {
                ++m_i;
                skip_ws();
            } else if (peek() != ')') {
                fail_at(m_i, "expected ',' or ')' in shape");
            }
        }
        ++m_i;
        return shape;
    }

    std::string_view m_s;
    size_t m_base;
    size_t m_i = 0;
};

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

// numel × item size, or nullopt on a negative dimension or overflow.
std::optional<uint64_t> byte_count(const std::vector<int64_t>& shape, size_t item) {
    uint64_t n = item;
    for (int64_t d : shape) {
        if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return std::nullopt;
    }
    return n;
}

}  // namespace

int64_t array::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

size_t array::item_size() const {
    return descr_size(descr);
}

result<array> parse(std::span<const uint8_t> bytes, const std::string& path_for_errors) {
    return catch_to_result(
        [&]() -> array {
            const size_t size = bytes.size();
            if (size < 10 || std::memcmp(bytes.data(), magic, magic_len) != 0) {
                fail("not a .npy file (missing the \\x93NUMPY magic)", 0);
            }
            const uint8_t major = bytes[6], minor = bytes[7];
            size_t header_len = 0, header_at = 0;
            if (major == 1 && minor == 0) {
                header_len = size_t{bytes[8]} | size_t{bytes[9]} << 8;
                header_at = 10;
            } else if ((major == 2 || major == 3) && minor == 0) {
                if (size < 12) fail("file too short for a version 2.0 header length", 8);
                header_len = size_t{bytes[8]} | size_t{bytes[9]} << 8 | size_t{bytes[10]} << 16 |
                             size_t{bytes[11]} << 24;
                header_at = 12;
            } else {
                throw engine_error(errc::unsupported,
                                   "npy version " + std::to_string(major) + "." +
                                       std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)",
                                   6);
            }
            if (header_len > size - header_at) {
                fail("npy header length " + std::to_string(header_len) +
                         " runs past the end of the file (" + std::to_string(size) + " bytes)",
                     8);
            }
            const std::string_view header(reinterpret_cast<const char*>(bytes.data() + header_at),
                                          header_len);
            array a;
            bool fortran_order = false;
            header_parser(header, header_at).parse(a, fortran_order);

            const size_t item = descr_size(a.descr);
            if (item == 0) {
                throw engine_error(errc::unsupported,
                                   "npy dtype '" + a.descr +
                                       "' (supported: '<f4', '<f8', '<i4', '<i8')",
                                   static_cast<int64_t>(header_at));
            }
            if (fortran_order) {
                throw engine_error(errc::unsupported, "npy array in Fortran order",
                                   static_cast<int64_t>(header_at));
            }
            const size_t data_at = header_at + header_len;
            const auto need = byte_count(a.shape, item);
            if (!need)
                fail("npy shape " + shape_text(a.shape) + " overflows",
                     static_cast<int64_t>(header_at));
            if (*need != size - data_at) {
                fail("npy shape " + shape_text(a.shape) + " of '" + a.descr + "' needs " +
                         std::to_string(*need) + " data bytes but the file holds " +
                         std::to_string(size - data_at),
                     static_cast<int64_t>(data_at));
            }
            a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_at), bytes.end());
            return a;
        },
        path_for_errors);
}

result<array> load(const std::string& path) {
    auto m = mapped_file::open(path);
    if (!m) return std::unexpected(m.error());
    return parse((*m)->bytes(), path);
}

result<std::vector<uint8_t>> to_bytes(const array& a) {
    const size_t item = descr_size(a.descr);
    if (item == 0) {
        return std::unexpected(
            error{errc::invalid_argument, "npy: unsupported descr '" + a.descr + "'", {}, -1});
    }
    const auto need = byte_count(a.shape, item);
    if (!need || *need != a.data.size()) {
        return std::unexpected(error{errc::invalid_argument,
                                     "npy: " + std::to_string(a.data.size()) +
                                         " data bytes do not match shape " + shape_text(a.shape),
                                     {},
                                     -1});
    }
    std::string header = "{'descr': '" + a.descr +
                         "', 'fortran_order': False, 'shape': " + shape_text(a.shape) + ", }";
    // Version 1.0 has a 16-bit header length; switch to 2.0 when the padded header is longer.
    size_t preamble = 10;
    auto padded = [&] { return (preamble + header.size() + 1 + 63) / 64 * 64 - preamble; };
    if (padded() > 0xffff) preamble = 12;
    const size_t header_len = padded();
    header.append(header_len - header.size() - 1, ' ');
    header.push_back('\n');

    std::vector<uint8_t> out(magic, magic + magic_len);
    out.push_back(preamble == 10 ? 1 : 2);
    out.push_back(0);
    for (size_t i = 0; i < preamble - 8; ++i) {
        out.push_back(static_cast<uint8_t>(header_len >> (8 * i)));
    }
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), a.data.begin(), a.data.end());
    return out;
}

result<void> save(const std::string& path, const array& a) {
    auto bytes = to_bytes(a);
    if (!bytes) return std::unexpected(bytes.error());
    return catch_to_result([&] { detail::write_file_replacing(path, *bytes); }, path);
}

namespace {

template <class T>
result<void> save_typed(const std::string& path, std::string descr, std::span<const int64_t> shape,
                        const T* data) {
    array a;
    a.descr = std::move(descr);
    a.shape.assign(shape.begin(), shape.end());
    const auto need = byte_count(a.shape, sizeof(T));
    if (!need) {
        return std::unexpected(
            error{errc::invalid_argument, "npy: invalid shape " + shape_text(a.shape), path, -1});
    }
    if (*need > 0 && data == nullptr) {
        return std::unexpected(error{errc::invalid_argument, "npy: null data", path, -1});
    }
    const auto* p = reinterpret_cast<const uint8_t*>(data);
    a.data.assign(p, p + *need);
    return save(path, a);
}

}  // namespace

result<void> save_f32(const std::string& path, std::span<const int64_t> shape, const float* data) {
    return save_typed(path, "<f4", shape, data);
}

result<void> save_i32(const std::string& path, std::span<const int64_t> shape,
                      const int32_t* data) {
    return save_typed(path, "<i4", shape, data);
}

std::vector<float> to_f32(const array& a) {
    const size_t item = a.item_size();
    const size_t n = item ? a.data.size() / item : 0;
    std::vector<float> out(n);
    const uint8_t* p = a.data.data();
    for (size_t i = 0; i < n; ++i, p += item) {
        if (a.descr == "<f4") {
            std::memcpy(&out[i], p, 4);
        } else if (a.descr == "<f8") {
            double v;
            std::memcpy(&v, p, 8);
            out[i] = static_cast<float>(v);
        } else if (a.descr == "<i4") {
            int32_t v;
            std::memcpy(&v, p, 4);
            out[i] = static_cast<float>(v);
        } else {
            int64_t v;
            std::memcpy(&v, p, 8);
            out[i] = static_cast<float>(v);
        }
    }
    return out;
}

result<std::vector<int32_t>> to_i32(const array& a) {
    if (a.descr != "<i4" && a.descr != "<i8") {
        return std::unexpected(
            error{errc::unsupported, "npy: '" + a.descr + "' is not an integer array", {}, -1});
    }
    const size_t item = a.item_size();
    std::vector<int32_t> out(a.data.size() / item);
    for (size_t i = 0; i < out.size(); ++i) {
        if (item == 4) {
            std::memcpy(&out[i], a.data.data() + 4 * i, 4);
            continue;
        }
        int64_t v;
        std::memcpy(&v, a.data.data() + 8 * i, 8);
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
            return std::unexpected(error{errc::format,
                                         "npy: element " + std::to_string(i) + " (" +
                                             std::to_string(v) + ") does not fit in int32",
                                         {},
                                         -1});
        }
        out[i] = static_cast<int32_t>(v);
    }
    return out;
}

}  // namespace prism::npy
