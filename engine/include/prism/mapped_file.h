// A read-only memory mapping of a whole file (POSIX mmap). Model readers hand out views into
// it; whoever holds a view keeps a shared_ptr to the mapping so it outlives the views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "prism/error.h"

namespace prism {

/// errc::io unless `path` names an existing regular file (not a folder, FIFO or device), so
/// readers never block on a pipe or read /dev/zero forever. Empty paths are rejected.
result<void> file_check_regular(const std::string& path);

/// Reads a whole file of at most max_bytes. Regular files, pipes and character devices are
/// read (a pipe blocks until its writer closes); folders and larger inputs are errc::io /
/// errc::invalid_argument errors naming the path and the limit.
result<std::string> file_read_text(const std::string& path, size_t max_bytes);

/// Checks that `path` can be written as an output file before any work is done: its folder
/// exists, and it is absent or a regular file (a symbolic link counts as its target).
/// errc::io naming the problem: a folder, a device or pipe, a missing folder.
result<void> file_check_output(const std::string& path);

/// Writes `bytes` to `path` whole or not at all: a temporary sibling, flushed, then renamed
/// over the target (a link's target is replaced; a device or pipe is refused). errc::io.
result<void> file_write_atomic(const std::string& path, std::string_view bytes);

class mapped_file {
public:
    /// Maps `path` read-only. errc::io if it is not a regular file or cannot be opened or
    /// mapped. An empty file maps to an empty span.
    static result<std::shared_ptr<const mapped_file>> open(const std::string& path);
    ~mapped_file();
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    std::span<const uint8_t> bytes() const { return {m_data, m_size}; }
    const uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }
    const std::string& path() const { return m_path; }

private:
    mapped_file() = default;
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
    std::string m_path;
};

}  // namespace prism
