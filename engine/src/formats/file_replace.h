// Writing a whole file so that readers never see it half-written: the bytes go to a temporary
// file in the same folder, are flushed, and the temporary is renamed over the target (POSIX
// rename is atomic within a file system). Used by every format writer.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace prism::detail {

/// Writes `bytes` to `path` via a temporary sibling and rename. Throws engine_error(errc::io)
/// naming the path and the system's reason; the temporary is removed on failure.
void write_file_replacing(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace prism::detail
