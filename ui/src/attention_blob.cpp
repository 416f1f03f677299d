// attention_blob.h: a length-prefixed little-endian encoding, read back with bounds checks.
#include "attention_blob.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace prism::ui {

namespace {

constexpr std::string_view k_magic = "PRSMATT1";

struct writer {
    std::vector<std::byte> out;
    void raw(const void* p, size_t n) {
        const auto* b = static_cast<const std::byte*>(p);
        out.insert(out.end(), b, b + n);
    }
    void u64(uint64_t v) { raw(&v, sizeof v); }
    void i32(int32_t v) { raw(&v, sizeof v); }
    void str(const std::string& s) {
        u64(s.size());
        raw(s.data(), s.size());
    }
    void ints(const std::vector<int32_t>& v) {
        u64(v.size());
        raw(v.data(), v.size() * sizeof(int32_t));
    }
};

struct reader {
    std::span<const std::byte> in;
    size_t at = 0;
    void raw(void* p, size_t n) {
        if (n > in.size() - at)
            throw prism::engine_error(prism::errc::format,
                                      "attention snapshot is truncated at byte " +
                                          std::to_string(at));
        std::memcpy(p, in.data() + at, n);
        at += n;
    }
    uint64_t u64() {
        uint64_t v = 0;
        raw(&v, sizeof v);
        return v;
    }
    int32_t i32() {
        int32_t v = 0;
        raw(&v, sizeof v);
        return v;
    }
    size_t count(size_t elem) {
        const uint64_t n = u64();
        if (n > (in.size() - at) / elem)
            throw prism::engine_error(prism::errc::format,
                                      "attention snapshot length out of range at byte " +
                                          std::to_string(at));
        return static_cast<size_t>(n);
    }
    std::string str() {
        std::string s(count(1), '\0');
        raw(s.data(), s.size());
        return s;
    }
    std::vector<int32_t> ints() {
        std::vector<int32_t> v(count(sizeof(int32_t)));
        raw(v.data(), v.size() * sizeof(int32_t));
        return v;
    }
};

}  // namespace

std::vector<std::byte> attentionToBytes(const prism::viz::attention_set& set) {
    writer w;
    w.raw(k_magic.data(), k_magic.size());
    w.str(set.model);
    w.ints(set.tokens);
    w.u64(set.pieces.size());
    for (const auto& p : set.pieces) w.str(p);
    w.i32(set.n_prompt);
    w.i32(set.n_layer_total);
    w.i32(set.n_head_total);
    w.ints(set.layers);
    w.ints(set.heads);
    w.u64(set.mats.size());
    for (const auto& m : set.mats) {
        w.u64(static_cast<uint64_t>(m.n));
        w.raw(m.p.data(), m.p.size() * sizeof(float));
    }
    return std::move(w.out);
}

prism::result<prism::viz::attention_set> attentionFromBytes(std::span<const std::byte> bytes) {
    return prism::catch_to_result([&] {
        reader r{bytes};
        std::string magic(k_magic.size(), '\0');
        r.raw(magic.data(), magic.size());
        if (magic != k_magic)
            throw prism::engine_error(prism::errc::format, "not an attention snapshot");
        prism::viz::attention_set s;
        s.model = r.str();
        s.tokens = r.ints();
        s.pieces.resize(r.count(sizeof(uint64_t)));
        for (auto& p : s.pieces) p = r.str();
        s.n_prompt = r.i32();
        s.n_layer_total = r.i32();
        s.n_head_total = r.i32();
        s.layers = r.ints();
        s.heads = r.ints();
        s.mats.resize(r.count(sizeof(uint64_t)));
        for (auto& m : s.mats) {
            const uint64_t n = r.u64();
            if (n > 1u << 20 || n * n > (bytes.size() - r.at) / sizeof(float))
                throw prism::engine_error(prism::errc::format,
                                          "attention snapshot matrix size out of range");
            m = prism::viz::attn_matrix(static_cast<int64_t>(n));
            r.raw(m.p.data(), m.p.size() * sizeof(float));
        }
        if (s.pieces.size() != s.tokens.size() ||
            s.mats.size() != s.layers.size() * s.heads.size() || s.n_prompt < 0 ||
            s.n_prompt > static_cast<int32_t>(s.tokens.size()))
            throw prism::engine_error(prism::errc::format, "attention snapshot is inconsistent");
        for (const auto& m : s.mats)
            if (m.n != s.n_tokens())
                throw prism::engine_error(prism::errc::format,
                                          "attention snapshot matrix does not match its tokens");
        return s;
    });
}

}  // namespace prism::ui
