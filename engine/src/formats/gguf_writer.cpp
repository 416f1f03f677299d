// GGUF v3 writer: metadata in insertion order, tensor infos, then tensor data with each
// tensor's bytes starting on a multiple of general.alignment (default 32).
//
// Source: the GGUF specification (ggml/docs/gguf.md); the layout matches what llama.cpp's
// gguf writer produces (tensors packed in the order added, each padded to the alignment,
// padding bytes zero). Values are checked when set (the stored alternative must match the
// declared type, integers must fit, array items must have the element type, nesting is at
// most as deep as the reader accepts), so every file written here reads back identically.
// write() streams into a temporary file in the target folder and renames it into place, so
// a reader never sees a half-written file (detail::replacing_file, shared with the other
// format writers). Tensors added with a fill function are generated one at a time during
// write(), so only the largest of them is ever held in memory.
#include <bit>
#include <cstring>
#include <limits>
#include <span>

#include "formats/file_replace.h"
#include "prism/gguf.h"

namespace prism::gguf {

namespace {

constexpr uint32_t gguf_version = 3;
constexpr uint64_t default_alignment = 32;
constexpr int max_array_depth = 8;  // must match the reader's bound

[[noreturn]] void invalid(const std::string& what) {
    throw engine_error(errc::invalid_argument, "gguf writer: " + what);
}

uint64_t align_up(uint64_t x, uint64_t a) {
    return (x + a - 1) / a * a;
}

void check_value(const value& v, const std::string& key, int depth) {
    const auto bad = [&](const std::string& what) {
        invalid("key '" + key + "': " + std::string(value_type_name(v.type)) + " value " + what);
    };
    const auto check_unsigned = [&](uint64_t max) {
        const auto* u = std::get_if<uint64_t>(&v.data);
        if (!u) bad("must hold an unsigned integer");
        if (*u > max) bad(std::to_string(*u) + " is out of range");
    };
    const auto check_signed = [&](int64_t min, int64_t max) {
        const auto* i = std::get_if<int64_t>(&v.data);
        if (!i) bad("must hold a signed integer");
        if (*i < min || *i > max) bad(std::to_string(*i) + " is out of range");
    };
    switch (v.type) {
    case value_type::uint8:
        return check_unsigned(UINT8_MAX);
    case value_type::uint16:
        return check_unsigned(UINT16_MAX);
    case value_type::uint32:
        return check_unsigned(UINT32_MAX);
    case value_type::uint64:
        return check_unsigned(UINT64_MAX);
    case value_type::int8:
        return check_signed(INT8_MIN, INT8_MAX);
    case value_type::int16:
        return check_signed(INT16_MIN, INT16_MAX);
    case value_type::int32:
        return check_signed(INT32_MIN, INT32_MAX);
    case value_type::int64:
        return check_signed(INT64_MIN, INT64_MAX);
    case value_type::float32:
    case value_type::float64:
        if (!std::holds_alternative<double>(v.data)) bad("must hold a double");
        return;
    case value_type::boolean:
        if (!std::holds_alternative<bool>(v.data)) bad("must hold a bool");
        return;
    case value_type::string:
        if (!std::holds_alternative<std::string>(v.data)) bad("must hold a string");
        return;
    case value_type::array: {
        const auto* a = std::get_if<array>(&v.data);
        if (!a) bad("must hold an array");
        if (depth >= max_array_depth)
            bad("nests arrays deeper than " + std::to_string(max_array_depth));
        if (value_type_name(a->elem_type) == "unknown") bad("has an unknown element type");
        for (const auto& item : a->items) {
            if (item.type != a->elem_type)
                bad("item of type " + std::string(value_type_name(item.type)) + " in an array of " +
                    std::string(value_type_name(a->elem_type)));
            check_value(item, key, depth + 1);
        }
        return;
    }
    }
    bad("has an unknown type");
}

/// Little-endian serialization into a byte vector.
class byte_buffer {
public:
    std::vector<uint8_t> bytes;

    template <class T> void put(T v) {
        for (size_t i = 0; i < sizeof(T); ++i)
            bytes.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
    }
    void put_string(const std::string& s) {
        put<uint64_t>(s.size());
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    void pad_to(uint64_t alignment) { bytes.resize(align_up(bytes.size(), alignment), 0); }

    // The item only, without its type tag (arrays carry element type + count + items).
    void put_value(const value& v) {
        switch (v.type) {
        case value_type::uint8:
            return put(static_cast<uint8_t>(std::get<uint64_t>(v.data)));
        case value_type::uint16:
            return put(static_cast<uint16_t>(std::get<uint64_t>(v.data)));
        case value_type::uint32:
            return put(static_cast<uint32_t>(std::get<uint64_t>(v.data)));
        case value_type::uint64:
            return put(std::get<uint64_t>(v.data));
        case value_type::int8:
            return put(static_cast<uint8_t>(static_cast<int8_t>(std::get<int64_t>(v.data))));
        case value_type::int16:
            return put(static_cast<uint16_t>(static_cast<int16_t>(std::get<int64_t>(v.data))));
        case value_type::int32:
            return put(static_cast<uint32_t>(static_cast<int32_t>(std::get<int64_t>(v.data))));
        case value_type::int64:
            return put(static_cast<uint64_t>(std::get<int64_t>(v.data)));
        case value_type::float32:
            return put(std::bit_cast<uint32_t>(static_cast<float>(std::get<double>(v.data))));
        case value_type::float64:
            return put(std::bit_cast<uint64_t>(std::get<double>(v.data)));
        case value_type::boolean:
            return put(static_cast<uint8_t>(std::get<bool>(v.data)));
        case value_type::string:
            return put_string(std::get<std::string>(v.data));
        case value_type::array: {
            const auto& a = std::get<array>(v.data);
            put(static_cast<uint32_t>(a.elem_type));
            put<uint64_t>(a.items.size());
            for (const auto& item : a.items) put_value(item);
            return;
        }
        }
    }
};

uint64_t alignment_of(const std::vector<std::pair<std::string, value>>& kv) {
    for (const auto& [k, v] : kv)
        if (k == "general.alignment") return std::get<uint64_t>(v.data);
    return default_alignment;
}

struct tensor_layout {
    std::vector<uint64_t> offsets;  ///< per tensor, relative to the data section
    uint64_t data_size = 0;         ///< including the padding after the last tensor
};

/// Everything before the tensor data (header, metadata, infos, padding).
template <class Tensors>
std::vector<uint8_t> header_bytes(const std::vector<std::pair<std::string, value>>& kv,
                                  const Tensors& tensors, uint64_t alignment,
                                  tensor_layout& layout) {
    byte_buffer b;
    b.put<uint32_t>(0x46554747u);  // "GGUF"
    b.put<uint32_t>(gguf_version);
    b.put<uint64_t>(tensors.size());
    b.put<uint64_t>(kv.size());
    for (const auto& [k, v] : kv) {
        b.put_string(k);
        b.put(static_cast<uint32_t>(v.type));
        b.put_value(v);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        b.put_string(t.name);
        b.put(static_cast<uint32_t>(t.ne.size()));
        for (const int64_t d : t.ne) b.put(static_cast<uint64_t>(d));
        b.put(static_cast<uint32_t>(t.type));
        b.put<uint64_t>(offset);
        layout.offsets.push_back(offset);
        offset = align_up(offset + t.nbytes, alignment);
    }
    layout.data_size = offset;
    b.pad_to(alignment);
    return std::move(b.bytes);
}

}  // namespace

void writer::set(std::string key, value v) {
    check_value(v, key, 0);
    if (key == "general.alignment") {
        if (v.type != value_type::uint32) invalid("general.alignment must be a uint32");
        const uint64_t a = std::get<uint64_t>(v.data);
        if (!std::has_single_bit(a))
            invalid("general.alignment " + std::to_string(a) + " is not a power of two");
    }
    for (auto& [k, old] : m_kv) {
        if (k == key) {
            old = std::move(v);
            return;
        }
    }
    m_kv.emplace_back(std::move(key), std::move(v));
}

size_t writer::check_tensor(const std::string& name, kernels::ggml_type type,
                            const std::vector<int64_t>& ne) const {
    const std::string what = "tensor '" + name + "': ";
    for (const auto& t : m_tensors)
        if (t.name == name) invalid(what + "added twice");
    if (ne.size() > 4) invalid(what + std::to_string(ne.size()) + " dimensions > 4");
    const auto traits = kernels::type_info(static_cast<uint32_t>(type));
    if (!traits) invalid(what + "unknown type id " + std::to_string(static_cast<uint32_t>(type)));
    int64_t numel = 1;
    for (const int64_t d : ne) {
        if (d < 0) invalid(what + "negative dimension " + std::to_string(d));
        if (__builtin_mul_overflow(numel, d, &numel)) invalid(what + "element count overflows");
    }
    const int64_t ne0 = ne.empty() ? 1 : ne[0];
    if (ne0 % traits->block_size != 0)
        invalid(what + "ne[0] " + std::to_string(ne0) + " is not a multiple of the block size " +
                std::to_string(traits->block_size));
    return static_cast<size_t>(numel / traits->block_size) * traits->type_size;
}

void writer::add_tensor(std::string name, kernels::ggml_type type, std::vector<int64_t> ne,
                        const void* data, size_t nbytes) {
    const size_t expected = check_tensor(name, type, ne);
    if (nbytes != expected)
        invalid("tensor '" + name + "': " + std::to_string(nbytes) +
                " bytes given, shape and type need " + std::to_string(expected));
    if (nbytes > 0 && data == nullptr) invalid("tensor '" + name + "': null data");
    const auto* p = static_cast<const uint8_t*>(data);
    m_tensors.push_back({std::move(name), type, std::move(ne), nbytes,
                         nbytes ? std::vector<uint8_t>(p, p + nbytes) : std::vector<uint8_t>{},
                         nullptr});
}

void writer::add_tensor_fill(std::string name, kernels::ggml_type type, std::vector<int64_t> ne,
                             tensor_fill fill) {
    const size_t nbytes = check_tensor(name, type, ne);
    if (!fill) invalid("tensor '" + name + "': no fill function");
    m_tensors.push_back({std::move(name), type, std::move(ne), nbytes, {}, std::move(fill)});
}

std::vector<uint8_t> writer::to_bytes() const {
    const uint64_t alignment = alignment_of(m_kv);
    tensor_layout layout;
    std::vector<uint8_t> out = header_bytes(m_kv, m_tensors, alignment, layout);
    const size_t data_start = out.size();
    out.resize(data_start + layout.data_size, 0);
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        const auto& t = m_tensors[i];
        const std::span<uint8_t> dst(out.data() + data_start + layout.offsets[i], t.nbytes);
        if (t.fill)
            t.fill(dst);
        else if (!t.data.empty())
            std::memcpy(dst.data(), t.data.data(), t.nbytes);
    }
    return out;
}

result<void> writer::write(const std::string& path) const {
    auto done = write(path, std::stop_token{});
    if (!done) return std::unexpected(done.error());
    return {};
}

result<bool> writer::write(const std::string& path, std::stop_token stop) const {
    return catch_to_result(
        [&] {
            detail::replacing_file f(path);
            const uint64_t alignment = alignment_of(m_kv);
            tensor_layout layout;
            f.write(header_bytes(m_kv, m_tensors, alignment, layout));
            const std::vector<uint8_t> zeros(alignment, 0);
            const auto pad = [&](uint64_t n) {
                f.write(std::span(zeros).first(static_cast<size_t>(n)));
            };
            uint64_t written = 0;
            std::vector<uint8_t> filled;  // one generated tensor at a time
            for (size_t i = 0; i < m_tensors.size(); ++i) {
                if (stop.stop_requested()) return false;  // f's destructor removes the temporary
                const auto& t = m_tensors[i];
                pad(layout.offsets[i] - written);
                if (t.fill) {
                    filled.resize(t.nbytes);
                    t.fill(filled);
                    f.write(filled);
                } else {
                    f.write(t.data);
                }
                written = layout.offsets[i] + t.nbytes;
            }
            if (stop.stop_requested()) return false;
            pad(layout.data_size - written);
            f.commit();
            return true;
        },
        path);
}

}  // namespace prism::gguf
