// SHA-256 through QtCore's QCryptographicHash (see sha256.h), plus file hashing in chunks.
#include "prism/projects/sha256.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QCryptographicHash>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

namespace prism::projects {

struct sha256::impl {
    QCryptographicHash hash{QCryptographicHash::Sha256};
};

sha256::sha256() : m(std::make_unique<impl>()) {}
sha256::~sha256() = default;

void sha256::update(std::span<const std::byte> bytes) {
    // QByteArrayView takes a qsizetype length: feed very large spans in pieces.
    constexpr size_t piece = size_t{1} << 30;
    for (size_t off = 0; off < bytes.size(); off += piece) {
        const size_t n = std::min(piece, bytes.size() - off);
        m->hash.addData(QByteArrayView(reinterpret_cast<const char*>(bytes.data() + off),
                                       static_cast<qsizetype>(n)));
    }
}

void sha256::reset() {
    m->hash.reset();
}

std::array<uint8_t, 32> sha256::finish() {
    const QByteArray digest = m->hash.result();
    std::array<uint8_t, 32> out{};
    std::memcpy(out.data(), digest.constData(), out.size());
    return out;
}

std::string sha256::finish_hex() {
    static const char* hex = "0123456789abcdef";
    const auto digest = finish();
    std::string s;
    s.reserve(64);
    for (const uint8_t b : digest) {
        s += hex[b >> 4];
        s += hex[b & 15];
    }
    return s;
}

std::string sha256_hex(std::span<const std::byte> bytes) {
    sha256 h;
    h.update(bytes);
    return h.finish_hex();
}

std::string sha256_hex(std::string_view text) {
    return sha256_hex(std::as_bytes(std::span(text)));
}

prism::result<std::string> sha256_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::unexpected(prism::error{
            prism::errc::io, "cannot open " + path.string() + " to hash it", path.string(), -1});
    sha256 h;
    std::vector<char> chunk(1 << 20);
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto got = in.gcount();
        if (got > 0) h.update(std::as_bytes(std::span(chunk.data(), static_cast<size_t>(got))));
    }
    if (in.bad())
        return std::unexpected(prism::error{
            prism::errc::io, "read error while hashing " + path.string(), path.string(), -1});
    return h.finish_hex();
}

bool is_sha256_hex(std::string_view s) {
    if (s.size() != 64) return false;
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace prism::projects
