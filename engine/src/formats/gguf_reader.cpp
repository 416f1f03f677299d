// GGUF v2/v3 reader: parses the header, metadata and tensor infos of a file held in memory
// (normally a read-only mapping) and hands out pointers to the tensor data in place.
//
// Source: the GGUF specification (ggml/docs/gguf.md). The input is treated as hostile:
// every count, length, dimension and offset is checked against the bytes that remain
// before it is used or anything is allocated for it, array nesting is bounded, element
// counts and byte sizes are computed with overflow checks, and tensor data ranges must be
// aligned, inside the file and disjoint. Internals throw engine_error with a message that
// names the field and its byte offset ("gguf: tensor 'x': n_dims 5 > 4 at offset 1234");
// file::open / file::parse convert that into prism::result at the boundary.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_set>

#include "prism/gguf.h"

namespace prism::gguf {

namespace {

constexpr uint32_t gguf_magic = 0x46554747u;  // "GGUF" read as a little-endian uint32
constexpr int max_array_depth = 8;            // arrays of arrays deeper than this are rejected
constexpr size_t max_reserve = 4096;          // never reserve more items than this up front
constexpr uint64_t min_kv_bytes = 8 + 4 + 1;  // key length, type, smallest value
constexpr uint64_t min_tensor_info_bytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset

[[noreturn]] void fail(errc code, const std::string& what, uint64_t offset) {
    throw engine_error(code, "gguf: " + what + " at offset " + std::to_string(offset),
                       static_cast<int64_t>(offset));
}

/// Smallest number of bytes one item of a value type occupies (0 for unknown types).
uint64_t min_value_bytes(uint32_t t) {
    switch (static_cast<value_type>(t)) {
    case value_type::uint8:
    case value_type::int8:
    case value_type::boolean:
        return 1;
    case value_type::uint16:
    case value_type::int16:
        return 2;
    case value_type::uint32:
    case value_type::int32:
    case value_type::float32:
        return 4;
    case value_type::uint64:
    case value_type::int64:
    case value_type::float64:
    case value_type::string:
        return 8;  // a string is at least its length field
    case value_type::array:
        return 12;  // element type + count
    }
    return 0;
}

/// A bounds-checked little-endian cursor. `context` ("header", "key 'x'", "tensor 'y'")
/// prefixes every error message.
class cursor {
public:
    explicit cursor(std::span<const uint8_t> bytes) : m_bytes(bytes) {}

    uint64_t pos() const { return m_pos; }
    uint64_t left() const { return m_bytes.size() - m_pos; }
    std::string context = "header";

    [[noreturn]] void error(errc code, const std::string& what, uint64_t offset) const {
        fail(code, context + ": " + what, offset);
    }

    void need(uint64_t n, std::string_view field) const {
        if (n > left())
            error(errc::format,
                  "truncated " + std::string(field) + " (needs " + std::to_string(n) + " bytes, " +
                      std::to_string(left()) + " left)",
                  m_pos);
    }

    template <class T> T read(std::string_view field) {
        need(sizeof(T), field);
        T v = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            v |= static_cast<T>(static_cast<T>(m_bytes[m_pos + i]) << (8 * i));
        m_pos += sizeof(T);
        return v;
    }
    uint8_t u8(std::string_view f) { return read<uint8_t>(f); }
    uint16_t u16(std::string_view f) { return read<uint16_t>(f); }
    uint32_t u32(std::string_view f) { return read<uint32_t>(f); }
    uint64_t u64(std::string_view f) { return read<uint64_t>(f); }

    std::string str(std::string_view field) {
        const uint64_t at = m_pos;
        const uint64_t len = read<uint64_t>(field);
        if (len > left())
            error(errc::format,
                  std::string(field) + " length " + std::to_string(len) + " exceeds the " +
                      std::to_string(left()) + " bytes left",
                  at);
        std::string s(reinterpret_cast<const char*>(m_bytes.data() + m_pos),
                      static_cast<size_t>(len));
        m_pos += len;
        return s;
    }

private:
    std::span<const uint8_t> m_bytes;
    uint64_t m_pos = 0;
};

value read_value(cursor& c, uint32_t raw_type, int depth, uint64_t type_offset) {
    switch (static_cast<value_type>(raw_type)) {
    case value_type::uint8:
        return {value_type::uint8, uint64_t{c.u8("uint8 value")}};
    case value_type::int8:
        return {value_type::int8, int64_t{static_cast<int8_t>(c.u8("int8 value"))}};
    case value_type::uint16:
        return {value_type::uint16, uint64_t{c.u16("uint16 value")}};
    case value_type::int16:
        return {value_type::int16, int64_t{static_cast<int16_t>(c.u16("int16 value"))}};
    case value_type::uint32:
        return {value_type::uint32, uint64_t{c.u32("uint32 value")}};
    case value_type::int32:
        return {value_type::int32, int64_t{static_cast<int32_t>(c.u32("int32 value"))}};
    case value_type::uint64:
        return {value_type::uint64, c.u64("uint64 value")};
    case value_type::int64:
        return {value_type::int64, static_cast<int64_t>(c.u64("int64 value"))};
    case value_type::float32:
        return {value_type::float32, double{std::bit_cast<float>(c.u32("float32 value"))}};
    case value_type::float64:
        return {value_type::float64, std::bit_cast<double>(c.u64("float64 value"))};
    case value_type::boolean:
        return {value_type::boolean, c.u8("bool value") != 0};
    case value_type::string:
        return {value_type::string, c.str("string")};
    case value_type::array: {
        if (depth >= max_array_depth)
            c.error(errc::format, "arrays nested deeper than " + std::to_string(max_array_depth),
                    type_offset);
        const uint64_t elem_at = c.pos();
        const uint32_t elem = c.u32("array element type");
        if (min_value_bytes(elem) == 0)
            c.error(errc::format, "unknown array element type " + std::to_string(elem), elem_at);
        const uint64_t count_at = c.pos();
        const uint64_t count = c.u64("array count");
        if (count > c.left() / min_value_bytes(elem))
            c.error(errc::format,
                    "array count " + std::to_string(count) + " of " +
                        std::string(value_type_name(static_cast<value_type>(elem))) +
                        " exceeds the " + std::to_string(c.left()) + " bytes left",
                    count_at);
        array a{static_cast<value_type>(elem), {}};
        a.items.reserve(static_cast<size_t>(std::min<uint64_t>(count, max_reserve)));
        for (uint64_t i = 0; i < count; ++i)
            a.items.push_back(read_value(c, elem, depth + 1, elem_at));
        return {value_type::array, std::move(a)};
    }
    }
    c.error(errc::format, "unknown value type " + std::to_string(raw_type), type_offset);
}

uint64_t align_up(uint64_t x, uint64_t a) {
    return (x + a - 1) / a * a;
}

}  // namespace

result<file> file::open(const std::string& path) {
    auto mapping = mapped_file::open(path);
    if (!mapping) return std::unexpected(mapping.error());
    const auto bytes = (*mapping)->bytes();
    return parse(bytes, std::shared_ptr<const void>(*mapping), path);
}

result<file> file::parse(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                         const std::string& path_for_errors) {
    return catch_to_result(
        [&]() -> file {
            file f;
            f.m_path = path_for_errors;
            f.m_owner = std::move(owner);
            cursor c(bytes);

            // Header.
            const uint32_t magic = c.u32("magic");
            if (magic != gguf_magic) {
                if (magic == std::byteswap(gguf_magic))
                    fail(errc::unsupported, "big-endian GGUF is not supported", 0);
                fail(errc::format, "bad magic (not a GGUF file)", 0);
            }
            const uint32_t version = c.u32("version");
            const uint32_t swapped = std::byteswap(version);
            if (version > 0xffff && swapped >= 1 && swapped <= 3)
                fail(errc::unsupported,
                     "big-endian GGUF is not supported (version field " + std::to_string(version) +
                         ")",
                     4);
            if (version == 1) fail(errc::unsupported, "GGUF v1 is not supported", 4);
            if (version != 2 && version != 3)
                fail(errc::unsupported, "unsupported GGUF version " + std::to_string(version), 4);
            f.m_version = version;
            const uint64_t n_tensors = c.u64("n_tensors");
            const uint64_t n_kv = c.u64("n_kv");
            if (n_tensors > c.left() / min_tensor_info_bytes)
                fail(errc::format,
                     "header: n_tensors " + std::to_string(n_tensors) + " cannot fit in the " +
                         std::to_string(c.left()) + " bytes left",
                     8);
            if (n_kv > (c.left() - n_tensors * min_tensor_info_bytes) / min_kv_bytes)
                fail(errc::format,
                     "header: n_kv " + std::to_string(n_kv) + " cannot fit in the " +
                         std::to_string(c.left()) + " bytes left",
                     16);

            // Metadata.
            std::unordered_set<std::string> keys;
            f.m_kv.reserve(static_cast<size_t>(std::min<uint64_t>(n_kv, max_reserve)));
            for (uint64_t i = 0; i < n_kv; ++i) {
                const uint64_t key_at = c.pos();
                c.context = "key #" + std::to_string(i);
                std::string key = c.str("key");
                c.context = "key '" + key + "'";
                if (!keys.insert(key).second) c.error(errc::format, "duplicate key", key_at);
                const uint64_t type_at = c.pos();
                const uint32_t type = c.u32("value type");
                value v = read_value(c, type, 0, type_at);
                if (key == "general.alignment") {
                    if (v.type != value_type::uint32)
                        c.error(errc::format,
                                "must be a uint32, not " + std::string(value_type_name(v.type)),
                                type_at);
                    const uint64_t a = std::get<uint64_t>(v.data);
                    if (!std::has_single_bit(a))
                        c.error(errc::format,
                                "alignment " + std::to_string(a) + " is not a nonzero power of two",
                                type_at + 4);
                    f.m_alignment = a;
                }
                f.m_kv.emplace_back(std::move(key), std::move(v));
            }

            // Tensor infos.
            std::unordered_set<std::string> names;
            std::vector<uint64_t> offset_at;  // file offset of each tensor's offset field
            const auto n_reserve = static_cast<size_t>(std::min<uint64_t>(n_tensors, max_reserve));
            f.m_tensors.reserve(n_reserve);
            offset_at.reserve(n_reserve);
            for (uint64_t i = 0; i < n_tensors; ++i) {
                const uint64_t name_at = c.pos();
                c.context = "tensor #" + std::to_string(i);
                tensor_info t;
                t.name = c.str("tensor name");
                c.context = "tensor '" + t.name + "'";
                if (!names.insert(t.name).second)
                    c.error(errc::format, "duplicate tensor name", name_at);

                const uint64_t dims_at = c.pos();
                t.n_dims = c.u32("n_dims");
                if (t.n_dims > 4)
                    c.error(errc::format, "n_dims " + std::to_string(t.n_dims) + " > 4", dims_at);
                int64_t numel = 1;
                for (uint32_t d = 0; d < t.n_dims; ++d) {
                    const uint64_t dim_at = c.pos();
                    const std::string field = "ne[" + std::to_string(d) + "]";
                    const uint64_t raw = c.u64(field);
                    if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                        c.error(errc::format,
                                field + " is negative (" +
                                    std::to_string(static_cast<int64_t>(raw)) + ")",
                                dim_at);
                    t.ne[d] = static_cast<int64_t>(raw);
                    if (__builtin_mul_overflow(numel, t.ne[d], &numel))
                        c.error(errc::format, "element count overflows int64 at " + field, dim_at);
                }

                const uint64_t type_at = c.pos();
                const uint32_t raw_type = c.u32("type");
                const auto traits = kernels::type_info(raw_type);
                if (!traits)
                    c.error(errc::unsupported, "unknown tensor type id " + std::to_string(raw_type),
                            type_at);
                t.type = static_cast<kernels::ggml_type>(raw_type);
                if (t.ne[0] % traits->block_size != 0)
                    c.error(errc::format,
                            "ne[0] " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                                std::string(traits->name) + " block size " +
                                std::to_string(traits->block_size),
                            type_at);
                uint64_t nbytes = static_cast<uint64_t>(t.ne[0] / traits->block_size);
                bool overflow = __builtin_mul_overflow(nbytes, traits->type_size, &nbytes);
                for (int d = 1; d < 4; ++d)
                    overflow |=
                        __builtin_mul_overflow(nbytes, static_cast<uint64_t>(t.ne[d]), &nbytes);
                if (overflow) c.error(errc::format, "byte size overflows uint64", type_at);
                t.nbytes = nbytes;

                offset_at.push_back(c.pos());
                t.offset = c.u64("offset");
                if (t.offset % f.m_alignment != 0)
                    c.error(errc::format,
                            "data offset " + std::to_string(t.offset) + " is not aligned to " +
                                std::to_string(f.m_alignment),
                            offset_at.back());
                f.m_tensors.push_back(std::move(t));
            }

            // Tensor data: inside the file and disjoint.
            f.m_data_offset = align_up(c.pos(), f.m_alignment);
            const uint64_t size = bytes.size();
            const uint64_t data_size = f.m_data_offset <= size ? size - f.m_data_offset : 0;
            for (size_t i = 0; i < f.m_tensors.size(); ++i) {
                auto& t = f.m_tensors[i];
                if (f.m_data_offset > size || t.offset > data_size ||
                    t.nbytes > data_size - t.offset)
                    fail(errc::format,
                         "tensor '" + t.name + "': data [" + std::to_string(t.offset) + ", +" +
                             std::to_string(t.nbytes) + ") runs past the end of the file (" +
                             std::to_string(data_size) + " data bytes)",
                         offset_at[i]);
                t.data = bytes.data() + f.m_data_offset + t.offset;
            }
            std::vector<size_t> order(f.m_tensors.size());
            std::iota(order.begin(), order.end(), size_t{0});
            std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                return f.m_tensors[a].offset < f.m_tensors[b].offset;
            });
            const tensor_info* prev = nullptr;  // the nonempty tensor reaching furthest
            for (const size_t i : order) {
                const auto& t = f.m_tensors[i];
                if (t.nbytes == 0) continue;  // an empty tensor overlaps nothing
                if (prev && t.offset < prev->offset + prev->nbytes)
                    fail(errc::format,
                         "tensor '" + t.name + "': data at " + std::to_string(t.offset) +
                             " overlaps tensor '" + prev->name + "' [" +
                             std::to_string(prev->offset) + ", +" + std::to_string(prev->nbytes) +
                             ")",
                         offset_at[i]);
                if (!prev || t.offset + t.nbytes > prev->offset + prev->nbytes) prev = &t;
            }
            return f;
        },
        path_for_errors);
}

const value* file::find(std::string_view key) const {
    for (const auto& [k, v] : m_kv)
        if (k == key) return &v;
    return nullptr;
}

const tensor_info* file::find_tensor(std::string_view name) const {
    for (const auto& t : m_tensors)
        if (t.name == name) return &t;
    return nullptr;
}

namespace {

// Runs a typed accessor, naming the key in its error message.
template <class F>
auto typed_lookup(const file& f, std::string_view key, F&& get)
    -> std::optional<decltype(get(std::declval<const value&>()))> {
    const value* v = f.find(key);
    if (!v) return std::nullopt;
    try {
        return get(*v);
    } catch (const engine_error& e) {
        throw engine_error(e.code(), "gguf: key '" + std::string(key) + "': " +
                                         (std::string_view(e.what()).starts_with("gguf: ")
                                              ? std::string(e.what() + 6)
                                              : std::string(e.what())));
    }
}

}  // namespace

std::optional<int64_t> file::get_int(std::string_view key) const {
    return typed_lookup(*this, key, [](const value& v) { return v.as_int(); });
}

std::optional<double> file::get_float(std::string_view key) const {
    return typed_lookup(*this, key, [](const value& v) { return v.as_float(); });
}

std::optional<std::string> file::get_string(std::string_view key) const {
    return typed_lookup(*this, key, [](const value& v) { return v.as_string(); });
}

std::optional<bool> file::get_bool(std::string_view key) const {
    return typed_lookup(*this, key, [](const value& v) { return v.as_bool(); });
}

}  // namespace prism::gguf
