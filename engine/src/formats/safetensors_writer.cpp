// safetensors writer: header JSON, padding and a contiguous data buffer.
//
// Source: huggingface/safetensors format description. Like the reference writer, tensors are
// packed without gaps (its reader rejects holes), ordered by element size, widest first, so
// every tensor starts at a multiple of its element size, and the header is padded with spaces
// so the data buffer starts at a multiple of 8 bytes.
#include "prism/safetensors.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include <nlohmann/json.hpp>

#include "formats/file_replace.h"

namespace prism::safetensors {

namespace {

size_t element_size(kernels::ggml_type t) {
    return t == kernels::ggml_type::f32 ? 4 : 2;
}

}  // namespace

result<void> writer::add_tensor(std::string name, kernels::ggml_type type,
                                std::vector<int64_t> shape, const void* data, size_t nbytes) {
    auto bad = [&](const std::string& why) -> result<void> {
        return std::unexpected(
            error{errc::invalid_argument, "safetensors tensor '" + name + "': " + why, {}, -1});
    };
    if (name.empty()) return bad("empty name");
    if (name == "__metadata__") return bad("name is reserved for metadata");
    if (dtype_name(type).empty()) {
        return bad("type " + std::string(kernels::type_name(type)) +
                   " is not writable (f32, f16, bf16)");
    }
    for (const auto& t : m_tensors) {
        if (t.name == name) return bad("added twice");
    }
    uint64_t numel = 1;
    for (int64_t d : shape) {
        if (d < 0) return bad("negative dimension " + std::to_string(d));
        if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel)) {
            return bad("element count overflows");
        }
    }
    uint64_t expected = 0;
    if (__builtin_mul_overflow(numel, uint64_t{element_size(type)}, &expected) ||
        expected != nbytes) {
        return bad("got " + std::to_string(nbytes) + " bytes, shape needs " +
                   std::to_string(numel) + " × " + std::to_string(element_size(type)));
    }
    if (nbytes > 0 && data == nullptr) return bad("null data");
    pending_tensor t{std::move(name), type, std::move(shape), {}};
    const auto* p = static_cast<const uint8_t*>(data);
    t.data.assign(p, p + nbytes);
    m_tensors.push_back(std::move(t));
    return {};
}

void writer::set_metadata(std::string key, std::string value) {
    for (auto& kv : m_meta) {
        if (kv.first == key) {
            kv.second = std::move(value);
            return;
        }
    }
    m_meta.emplace_back(std::move(key), std::move(value));
}

std::vector<uint8_t> writer::to_bytes() const {
    // Widest elements first keeps each tensor aligned to its element size; stable keeps the
    // caller's order otherwise.
    std::vector<size_t> order(m_tensors.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return element_size(m_tensors[a].type) > element_size(m_tensors[b].type);
    });

    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!m_meta.empty()) {
        auto& meta = header["__metadata__"];
        meta = nlohmann::ordered_json::object();
        for (const auto& [k, v] : m_meta) meta[k] = v;
    }
    uint64_t offset = 0;
    for (size_t i : order) {
        const auto& t = m_tensors[i];
        header[t.name] = {{"dtype", std::string(dtype_name(t.type))},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + t.data.size()}}};
        offset += t.data.size();
    }
    std::string text = header.dump();
    text.append((8 - (8 + text.size()) % 8) % 8, ' ');

    std::vector<uint8_t> out;
    out.reserve(8 + text.size() + offset);
    const uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), text.begin(), text.end());
    for (size_t i : order) {
        const auto& d = m_tensors[i].data;
        out.insert(out.end(), d.begin(), d.end());
    }
    return out;
}

result<void> writer::write(const std::string& path) const {
    return catch_to_result([&] { detail::write_file_replacing(path, to_bytes()); }, path);
}

}  // namespace prism::safetensors
