// A tiny little-endian byte builder for hand-made (often deliberately broken) GGUF files in
// tests. It writes exactly what it is told: no validation, no implicit padding.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace prism::test {

struct gguf_bytes {
    std::vector<uint8_t> b;

    size_t size() const { return b.size(); }
    std::span<const uint8_t> span() const { return {b.data(), b.size()}; }

    template <class T> gguf_bytes& put(T v) {
        for (size_t i = 0; i < sizeof(T); ++i)
            b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
        return *this;
    }
    gguf_bytes& u8(uint8_t v) { return put(v); }
    gguf_bytes& u32(uint32_t v) { return put(v); }
    gguf_bytes& u64(uint64_t v) { return put(v); }
    gguf_bytes& f32(float v) {
        uint32_t u;
        std::memcpy(&u, &v, 4);
        return put(u);
    }
    gguf_bytes& str(const std::string& s) {
        u64(s.size());
        b.insert(b.end(), s.begin(), s.end());
        return *this;
    }
    gguf_bytes& zeros(size_t n) {
        b.resize(b.size() + n, 0);
        return *this;
    }
    gguf_bytes& pad(size_t alignment) {
        b.resize((b.size() + alignment - 1) / alignment * alignment, 0);
        return *this;
    }

    /// magic "GGUF", version, n_tensors, n_kv.
    gguf_bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        b.insert(b.end(), {'G', 'G', 'U', 'F'});
        return u32(version).u64(n_tensors).u64(n_kv);
    }
    /// key, type uint32 (4), value.
    gguf_bytes& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
    gguf_bytes& kv_str(const std::string& key, const std::string& v) {
        return str(key).u32(8).str(v);
    }
    /// name, n_dims, ne..., type, offset.
    gguf_bytes& tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
                       uint64_t offset) {
        str(name).u32(static_cast<uint32_t>(ne.size()));
        for (const uint64_t d : ne) u64(d);
        return u32(type).u64(offset);
    }
};

}  // namespace prism::test
