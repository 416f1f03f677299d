// attention_set <-> "PRATT" blob (attention_io.h). The writer emits fields byte by byte in
// little-endian order, so the format does not depend on the host. The reader is a bounds-
// checked cursor that throws engine_error(errc::format, ..., offset) on the first field
// that does not fit the bytes left or breaks an invariant; attention_set_from_bytes turns
// that into an error value. Counts are always checked against the remaining bytes (with
// overflow-checked arithmetic) before a vector or string is sized from them.
//
// float16 conversion follows IEEE 754-2008 binary16 (1 sign, 5 exponent, 10 mantissa
// bits), round to nearest even; written here rather than taken from the kernels layer,
// which viz must not include.
#include "prism/viz/attention_io.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace prism::viz {

namespace {

constexpr std::array<char, 5> magic = {'P', 'R', 'A', 'T', 'T'};
constexpr uint16_t f16_one = 0x3c00;  // binary16 1.0: the largest value a blob may hold

/// binary16 of a float in [0, 1] (the writer clamps first), round to nearest even.
uint16_t f16_from_unit(float v) {
    const uint32_t bits = std::bit_cast<uint32_t>(v);
    if (bits < 0x38800000u) {
        // Below 2^-14: binary16 subnormal m · 2^-24. Scaling by 2^24 is exact, and
        // nearbyint rounds to nearest even in the default mode; 1024 is 2^-14 (normal).
        return static_cast<uint16_t>(std::nearbyint(v * 16777216.0f));
    }
    const uint32_t exponent = (bits >> 23) - 127 + 15;
    const uint32_t mantissa = bits & 0x7fffffu;
    uint32_t h = (exponent << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves the exponent
    return static_cast<uint16_t>(h);
}

/// Decoding table for the binary16 values 0 ..= 1.0 (0x0000 ..= 0x3c00).
const std::array<float, f16_one + 1>& unit_f16_table() {
    static const std::array<float, f16_one + 1> table = [] {
        std::array<float, f16_one + 1> t{};
        for (uint32_t h = 0; h <= f16_one; ++h) {
            const uint32_t exponent = h >> 10;
            const uint32_t mantissa = h & 0x3ffu;
            if (exponent == 0) {
                t[h] = std::ldexp(static_cast<float>(mantissa), -24);
            } else {
                t[h] = std::bit_cast<float>(((exponent - 15 + 127) << 23) | (mantissa << 13));
            }
        }
        return t;
    }();
    return table;
}

// ---- writing --------------------------------------------------------------------------

class byte_writer {
public:
    explicit byte_writer(size_t reserve) { m_out.reserve(reserve); }
    void raw(const void* data, size_t n) {
        const auto* p = static_cast<const std::byte*>(data);
        m_out.insert(m_out.end(), p, p + n);
    }
    void u16(uint16_t v) {
        m_out.push_back(static_cast<std::byte>(v & 0xffu));
        m_out.push_back(static_cast<std::byte>(v >> 8));
    }
    void u32(uint32_t v) {
        for (int shift = 0; shift < 32; shift += 8)
            m_out.push_back(static_cast<std::byte>((v >> shift) & 0xffu));
    }
    void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
    void text(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        raw(s.data(), s.size());
    }
    std::vector<std::byte> take() { return std::move(m_out); }

private:
    std::vector<std::byte> m_out;
};

uint32_t checked_u32(size_t n, const char* what) {
    if (n > UINT32_MAX)
        throw std::invalid_argument(std::string("attention_set_to_bytes: too many ") + what);
    return static_cast<uint32_t>(n);
}

void check_selection(const std::vector<int32_t>& ids, int32_t total, const char* what) {
    for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || ids[i] >= total || (i > 0 && ids[i] <= ids[i - 1]))
            throw std::invalid_argument(
                std::string("attention_set_to_bytes: ") + what + " " + std::to_string(ids[i]) +
                " is out of range or not strictly ascending (total " + std::to_string(total) + ")");
    }
}

// ---- reading --------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& message, size_t offset) {
    throw engine_error(errc::format, "attention blob: " + message, static_cast<int64_t>(offset));
}

uint64_t mul_or_fail(uint64_t a, uint64_t b, const char* what, size_t offset) {
    uint64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) fail(std::string(what) + " overflows", offset);
    return r;
}

class byte_reader {
public:
    explicit byte_reader(std::span<const std::byte> bytes) : m_bytes(bytes) {}

    size_t offset() const { return m_pos; }
    size_t left() const { return m_bytes.size() - m_pos; }
    /// Fails unless `n` more bytes are there for `what`.
    void need(uint64_t n, const std::string& what) const {
        if (n > left())
            fail("truncated: " + what + " needs " + std::to_string(n) + " bytes, " +
                     std::to_string(left()) + " left",
                 m_pos);
    }
    const std::byte* take(size_t n, const std::string& what) {
        need(n, what);
        const std::byte* p = m_bytes.data() + m_pos;
        m_pos += n;
        return p;
    }
    uint32_t u32(const char* what) {
        const std::byte* p = take(4, what);
        uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<uint32_t>(p[i]);
        return v;
    }
    int32_t i32(const char* what) { return static_cast<int32_t>(u32(what)); }
    std::string text(const std::string& what) {
        const uint32_t n = u32(what.c_str());
        const std::byte* p = take(n, what);
        return std::string(reinterpret_cast<const char*>(p), n);
    }

private:
    std::span<const std::byte> m_bytes;
    size_t m_pos = 0;
};

std::vector<int32_t> read_selection(byte_reader& in, int32_t total, const char* what) {
    const size_t at = in.offset();
    const uint32_t count = in.u32(what);
    in.need(mul_or_fail(count, 4, what, at), std::string(what) + " list");
    std::vector<int32_t> ids(count);
    for (uint32_t i = 0; i < count; ++i) {
        const size_t id_at = in.offset();
        ids[i] = in.i32(what);
        if (ids[i] < 0 || ids[i] >= total)
            fail(std::string(what) + " " + std::to_string(ids[i]) + " is outside [0, " +
                     std::to_string(total) + ")",
                 id_at);
        if (i > 0 && ids[i] <= ids[i - 1])
            fail(std::string(what) + "s are not strictly ascending", id_at);
    }
    return ids;
}

attention_set read_set(std::span<const std::byte> bytes) {
    byte_reader in(bytes);
    const std::byte* m = in.take(magic.size(), "magic");
    if (std::memcmp(m, magic.data(), magic.size()) != 0) fail("not a PRATT blob (bad magic)", 0);
    const size_t version_at = in.offset();
    const uint32_t version = in.u32("version");
    if (version == 0) fail("version 0 is not valid", version_at);
    if (version > attention_format_version)
        throw engine_error(errc::unsupported,
                           "attention blob: version " + std::to_string(version) +
                               " is newer than this build reads (" +
                               std::to_string(attention_format_version) + ")",
                           static_cast<int64_t>(version_at));

    attention_set s;
    s.model = in.text("model name");
    const size_t t_at = in.offset();
    const uint32_t n_tokens = in.u32("token count");
    // Each token needs at least its id and a piece length: 8 bytes.
    in.need(mul_or_fail(n_tokens, 8, "token count", t_at), "token ids and pieces");
    const size_t prompt_at = in.offset();
    s.n_prompt = in.i32("n_prompt");
    if (s.n_prompt < 0 || static_cast<uint32_t>(s.n_prompt) > n_tokens)
        fail("n_prompt " + std::to_string(s.n_prompt) + " is outside [0, " +
                 std::to_string(n_tokens) + "]",
             prompt_at);
    const size_t totals_at = in.offset();
    s.n_layer_total = in.i32("n_layer_total");
    s.n_head_total = in.i32("n_head_total");
    if (s.n_layer_total < 0 || s.n_head_total < 0) fail("negative layer or head total", totals_at);
    s.layers = read_selection(in, s.n_layer_total, "layer");
    s.heads = read_selection(in, s.n_head_total, "head");
    const uint64_t n_mats = static_cast<uint64_t>(s.layers.size()) * s.heads.size();
    if (n_tokens == 0 && n_mats > 0) fail("matrices over zero tokens", t_at);

    in.need(uint64_t{n_tokens} * 4, "token ids");
    s.tokens.resize(n_tokens);
    for (auto& id : s.tokens) id = in.i32("token id");
    s.pieces.reserve(n_tokens);
    for (uint32_t i = 0; i < n_tokens; ++i) s.pieces.push_back(in.text("piece"));

    const uint64_t tri = uint64_t{n_tokens} * (uint64_t{n_tokens} + 1) / 2;
    const size_t mats_at = in.offset();
    const uint64_t mat_bytes =
        mul_or_fail(mul_or_fail(n_mats, tri, "matrix size", mats_at), 2, "matrix size", mats_at);
    in.need(mat_bytes, "matrices");
    if (in.left() != mat_bytes)
        fail(std::to_string(in.left() - mat_bytes) + " trailing bytes after the matrices",
             mats_at + mat_bytes);

    const auto& table = unit_f16_table();
    const int64_t n = n_tokens;
    s.mats.reserve(static_cast<size_t>(n_mats));
    for (uint64_t mi = 0; mi < n_mats; ++mi) {
        attn_matrix mat(n);
        const size_t at = in.offset();
        const std::byte* p = in.take(static_cast<size_t>(tri * 2), "matrix");
        for (int64_t q = 0; q < n; ++q) {
            float* row = mat.p.data() + q * n;
            for (int64_t k = 0; k <= q; ++k, p += 2) {
                const uint32_t h =
                    std::to_integer<uint32_t>(p[0]) | (std::to_integer<uint32_t>(p[1]) << 8);
                if (h > f16_one)
                    fail("matrix " + std::to_string(mi) + " value at (" + std::to_string(q) + ", " +
                             std::to_string(k) + ") is not in [0, 1]",
                         at + static_cast<size_t>(q * (q + 1) / 2 + k) * 2);
                row[k] = table[h];
            }
        }
        s.mats.push_back(std::move(mat));
    }
    return s;
}

}  // namespace

std::vector<std::byte> attention_set_to_bytes(const attention_set& set) {
    const size_t n = set.tokens.size();
    const uint32_t n_tokens = checked_u32(n, "tokens");
    if (set.mats.size() != set.layers.size() * set.heads.size())
        throw std::invalid_argument("attention_set_to_bytes: " + std::to_string(set.mats.size()) +
                                    " matrices for " + std::to_string(set.layers.size()) +
                                    " layers × " + std::to_string(set.heads.size()) + " heads");
    if (set.pieces.size() > n)
        throw std::invalid_argument("attention_set_to_bytes: more pieces than tokens");
    if (set.n_prompt < 0 || static_cast<size_t>(set.n_prompt) > n)
        throw std::invalid_argument("attention_set_to_bytes: n_prompt out of range");
    if (n == 0 && !set.mats.empty())
        throw std::invalid_argument("attention_set_to_bytes: matrices over zero tokens");
    check_selection(set.layers, set.n_layer_total, "layer");
    check_selection(set.heads, set.n_head_total, "head");
    for (const attn_matrix& mat : set.mats) {
        if (mat.n != static_cast<int64_t>(n) || mat.p.size() != n * n)
            throw std::invalid_argument("attention_set_to_bytes: a matrix is " +
                                        std::to_string(mat.n) + " wide for " + std::to_string(n) +
                                        " tokens");
    }
    checked_u32(set.model.size(), "model name bytes");
    for (const auto& piece : set.pieces) checked_u32(piece.size(), "piece bytes");

    const size_t tri = n * (n + 1) / 2;
    size_t size = magic.size() + 4 * 8 + set.model.size() +
                  4 * (set.layers.size() + set.heads.size()) + 8 * n + 2 * tri * set.mats.size();
    for (const auto& piece : set.pieces) size += piece.size();

    byte_writer out(size);
    out.raw(magic.data(), magic.size());
    out.u32(attention_format_version);
    out.text(set.model);
    out.u32(n_tokens);
    out.i32(set.n_prompt);
    out.i32(set.n_layer_total);
    out.i32(set.n_head_total);
    out.u32(static_cast<uint32_t>(set.layers.size()));
    for (const int32_t layer : set.layers) out.i32(layer);
    out.u32(static_cast<uint32_t>(set.heads.size()));
    for (const int32_t head : set.heads) out.i32(head);
    for (const int32_t id : set.tokens) out.i32(id);
    for (size_t i = 0; i < n; ++i) out.text(i < set.pieces.size() ? set.pieces[i] : std::string());
    for (const attn_matrix& mat : set.mats) {
        for (size_t q = 0; q < n; ++q) {
            const float* row = mat.p.data() + q * n;
            for (size_t k = 0; k <= q; ++k) {
                float v = row[k];
                if (!(v > 0.0f)) v = 0.0f;  // negatives, -0 and NaN
                if (v > 1.0f) v = 1.0f;
                out.u16(f16_from_unit(v));
            }
        }
    }
    return out.take();
}

prism::result<attention_set> attention_set_from_bytes(std::span<const std::byte> bytes) {
    return catch_to_result([&] { return read_set(bytes); });
}

}  // namespace prism::viz
