// SHA-256 (FIPS 180-4), streaming, for the hashes the project store records: model files
// (found again by hash) and blobs (named and verified by hash). Hex output is lowercase.
//
// Design: a thin wrapper over QtCore's QCryptographicHash (the layer may use QtCore; a
// well-kept implementation beats our own), checked against the FIPS 180-4 / NIST CAVP
// example vectors. Hashing a multi-GB model file takes seconds, so callers do that on a
// worker thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "prism/error.h"

namespace prism::projects {

class sha256 {
public:
    sha256();
    void update(std::span<const std::byte> bytes);
    void update(std::string_view text) { update(std::as_bytes(std::span(text))); }
    /// The 32-byte digest; the object is spent afterwards (call reset() to reuse it).
    std::array<uint8_t, 32> finish();
    /// finish() as 64 lowercase hex digits.
    std::string finish_hex();
    void reset();

    ~sha256();
    sha256(const sha256&) = delete;
    sha256& operator=(const sha256&) = delete;

private:
    struct impl;
    std::unique_ptr<impl> m;
};

/// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::span<const std::byte> bytes);
std::string sha256_hex(std::string_view text);

/// Lowercase hex SHA-256 of a file's content, read in chunks. errc::io if it cannot be read.
prism::result<std::string> sha256_file(const std::filesystem::path& path);

/// True when `s` is 64 lowercase hex digits (the form this store records).
bool is_sha256_hex(std::string_view s);

}  // namespace prism::projects
