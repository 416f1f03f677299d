// Blob files of a project: content-addressed files under <project>/blobs/, referenced from
// the database by relative path and sha256.
//
// Writes are atomic and durable: the bytes go to a uniquely named temp file in blobs/,
// which is fsync'ed, renamed over blobs/<sha256>.bin, and then the folder is fsync'ed, so
// after a crash the final name holds either nothing or the complete content. Identical
// content is stored once. Reads check the recorded size and sha256, and refuse paths that
// would leave the project folder (a hostile database must not read arbitrary files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prism::projects::blob_store {

/// Stores `data` (whose lowercase hex sha256 is `sha`) and returns its path relative to
/// project_dir ("blobs/<sha256>.bin"). Throws prism::engine_error(errc::io) on failure,
/// leaving no temp file behind.
std::string write_blob(const std::filesystem::path& project_dir, std::span<const std::byte> data,
                       const std::string& sha);

/// Reads project_dir/relative_path and checks it: errc::format if the path is not inside
/// blobs/ or the size / sha256 differ from the record, errc::io if it cannot be read.
std::vector<std::byte> read_blob(const std::filesystem::path& project_dir,
                                 std::string_view relative_path, std::string_view expected_sha,
                                 int64_t bytes);

}  // namespace prism::projects::blob_store
