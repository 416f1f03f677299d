// safetensors reader: validates the header of a mapped file and hands out tensor views.
//
// Source: huggingface/safetensors format description. Every number read from the file is
// checked before use: the header length against the file size and max_header_size, each
// shape dimension for sign and each element count for overflow, each byte range against its
// dtype size and the data buffer, and tensors against each other for overlap.
#include "prism/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "formats/json_strict.h"
#include "prism/mapped_file.h"

namespace prism::safetensors {

namespace {

using json = nlohmann::json;
using kernels::ggml_type;

constexpr std::string_view lfs_prefix = "version https://git-lfs.github.com/spec/v1";

struct dtype_desc {
    std::string_view name;
    size_t size;
    std::optional<ggml_type> type;  ///< set for the dtypes this build reads
};

// Every dtype the format defines; only the first three are readable here.
constexpr dtype_desc dtypes[] = {
    {"F32", 4, ggml_type::f32}, {"F16", 2, ggml_type::f16},   {"BF16", 2, ggml_type::bf16},
    {"F64", 8, std::nullopt},   {"I64", 8, std::nullopt},     {"U64", 8, std::nullopt},
    {"I32", 4, std::nullopt},   {"U32", 4, std::nullopt},     {"I16", 2, std::nullopt},
    {"U16", 2, std::nullopt},   {"I8", 1, std::nullopt},      {"U8", 1, std::nullopt},
    {"BOOL", 1, std::nullopt},  {"F8_E4M3", 1, std::nullopt}, {"F8_E5M2", 1, std::nullopt},
};

const dtype_desc* find_dtype(std::string_view name) {
    for (const auto& d : dtypes) {
        if (d.name == name) return &d;
    }
    return nullptr;
}

[[noreturn]] void fail(const std::string& message, int64_t offset = -1) {
    throw engine_error(errc::format, message, offset);
}

uint64_t read_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

uint64_t json_to_u64(const json& v, const std::string& what) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer()) {
        fail(what + " is negative (" + detail::json_brief(v) + ")");
    }
    fail(what + " is not a non-negative integer (" + detail::json_brief(v) + ")");
}

// Validates one header entry and fills `t` (data pointer left for the caller).
tensor read_entry(const std::string& name, const json& entry, uint64_t data_size) {
    const std::string where = "tensor '" + name + "'";
    if (!entry.is_object()) fail(where + ": header entry is not an object");
    const auto dt = entry.find("dtype");
    const auto sh = entry.find("shape");
    const auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) fail(where + ": missing or non-string \"dtype\"");
    if (sh == entry.end() || !sh->is_array()) fail(where + ": missing or non-array \"shape\"");
    if (off == entry.end() || !off->is_array() || off->size() != 2) {
        fail(where + ": \"data_offsets\" must be an array [begin, end]");
    }

    tensor t;
    t.name = name;
    t.dtype = dt->get<std::string>();
    const dtype_desc* desc = find_dtype(t.dtype);
    if (!desc || !desc->type) {
        throw engine_error(errc::unsupported, where + " has dtype " + t.dtype +
                                                  (desc ? "" : " (unknown)") +
                                                  "; only F32, F16 and BF16 are supported");
    }
    t.type = *desc->type;

    uint64_t numel = 1;
    for (size_t i = 0; i < sh->size(); ++i) {
        const json& d = (*sh)[i];
        const uint64_t dim = json_to_u64(d, where + ": shape[" + std::to_string(i) + "]");
        if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
            __builtin_mul_overflow(numel, dim, &numel) ||
            numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            fail(where + ": element count of shape " + detail::json_brief(*sh) + " overflows");
        }
        t.shape.push_back(static_cast<int64_t>(dim));
    }
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, uint64_t{desc->size}, &nbytes)) {
        fail(where + ": byte size of shape " + detail::json_brief(*sh) + " overflows");
    }
    const uint64_t begin = json_to_u64((*off)[0], where + ": data_offsets[0]");
    const uint64_t end = json_to_u64((*off)[1], where + ": data_offsets[1]");
    if (end < begin) {
        fail(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
             "] end before begin");
    }
    if (end - begin != nbytes) {
        fail(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
             "] hold " + std::to_string(end - begin) + " bytes but " + t.dtype + " shape " +
             detail::json_brief(*sh) + " needs " + std::to_string(nbytes));
    }
    if (end > data_size) {
        fail(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
             "] run past the end of the data buffer (" + std::to_string(data_size) + " bytes)");
    }
    t.offset = begin;
    t.nbytes = static_cast<size_t>(nbytes);
    return t;
}

}  // namespace

int64_t tensor::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string_view dtype_name(ggml_type t) {
    switch (t) {
    case ggml_type::f32:
        return "F32";
    case ggml_type::f16:
        return "F16";
    case ggml_type::bf16:
        return "BF16";
    default:
        return {};
    }
}

const tensor* file::find(std::string_view name) const {
    for (const auto& t : m_tensors) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

result<file> file::open(const std::string& path) {
    auto mapped = mapped_file::open(path);
    if (!mapped) return std::unexpected(mapped.error());
    std::shared_ptr<const mapped_file> m = *mapped;
    return parse(m->bytes(), m, path);
}

result<file> file::parse(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                         const std::string& path_for_errors) {
    return catch_to_result(
        [&]() -> file {
            const size_t size = bytes.size();
            if (size >= lfs_prefix.size() &&
                std::memcmp(bytes.data(), lfs_prefix.data(), lfs_prefix.size()) == 0) {
                fail("this is a Git LFS pointer file, not the weights: fetch the real file "
                     "(git lfs pull, or download it again) and retry",
                     0);
            }
            if (size < 8) {
                fail("file too short (" + std::to_string(size) +
                         " bytes) to hold the 8-byte header length",
                     0);
            }
            const uint64_t header_len = read_u64_le(bytes.data());
            if (header_len > max_header_size) {
                fail("header length " + std::to_string(header_len) + " exceeds the limit of " +
                         std::to_string(max_header_size) + " bytes",
                     0);
            }
            if (header_len > size - 8) {
                fail("header length " + std::to_string(header_len) +
                         " runs past the end of the file (" + std::to_string(size) + " bytes)",
                     0);
            }
            const std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8),
                                          static_cast<size_t>(header_len));
            if (header.empty() || header.front() != '{') {
                fail("header does not start with '{'", 8);
            }
            const json root = detail::parse_json_strict(header, "safetensors header");
            if (!root.is_object()) fail("header is not a JSON object", 8);

            file f;
            f.m_path = path_for_errors;
            f.m_data_offset = 8 + header_len;
            const uint64_t data_size = size - f.m_data_offset;
            const uint8_t* data = bytes.data() + f.m_data_offset;

            for (auto it = root.begin(); it != root.end(); ++it) {
                if (it.key() == "__metadata__") {
                    if (!it->is_object()) fail("\"__metadata__\" is not an object", 8);
                    for (auto m = it->begin(); m != it->end(); ++m) {
                        if (!m->is_string()) {
                            fail("\"__metadata__\" entry \"" + m.key() + "\" is not a string", 8);
                        }
                        f.m_meta.emplace_back(m.key(), m->get<std::string>());
                    }
                    continue;
                }
                try {
                    tensor t = read_entry(it.key(), *it, data_size);
                    t.data = data + t.offset;
                    f.m_tensors.push_back(std::move(t));
                } catch (const engine_error& e) {
                    // Offsets in the message are relative to the data buffer; point at the header.
                    throw engine_error(e.code(), e.what(), 8);
                }
            }

            std::sort(f.m_tensors.begin(), f.m_tensors.end(), [](const tensor& a, const tensor& b) {
                return a.offset != b.offset ? a.offset < b.offset : a.nbytes < b.nbytes;
            });
            const tensor* prev = nullptr;
            for (const auto& t : f.m_tensors) {
                if (t.nbytes == 0) continue;
                if (prev && prev->offset + prev->nbytes > t.offset) {
                    fail("tensor '" + t.name + "' (bytes " + std::to_string(t.offset) + ".." +
                             std::to_string(t.offset + t.nbytes) + ") overlaps tensor '" +
                             prev->name + "' (bytes " + std::to_string(prev->offset) + ".." +
                             std::to_string(prev->offset + prev->nbytes) + ")",
                         static_cast<int64_t>(f.m_data_offset + t.offset));
                }
                prev = &t;
            }
            std::sort(f.m_meta.begin(), f.m_meta.end());
            f.m_owner = std::move(owner);
            return f;
        },
        path_for_errors);
}

}  // namespace prism::safetensors
