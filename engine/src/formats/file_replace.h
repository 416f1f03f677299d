// Writing a whole file so that readers never see it half-written: the bytes go to a temporary
// file in the same folder, are flushed, and the temporary is renamed over the target (POSIX
// rename is atomic within a file system). Used by every format writer.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace prism::detail {

/// The file a write to `path` replaces: a symbolic link is followed (its target is replaced,
/// the link stays); an existing target that is not a regular file (folder, device, FIFO)
/// throws engine_error(errc::io), since renaming over it would destroy it.
std::string replacement_target(const std::string& path);

/// A file being written in pieces under a temporary sibling of `path`, put in its place by
/// commit(). Destroying it uncommitted removes the temporary and leaves `path` untouched.
/// Every failure throws engine_error(errc::io) naming the path and the system's reason.
class replacing_file {
public:
    /// Creates the temporary file beside `path`.
    explicit replacing_file(std::string path);
    ~replacing_file();
    replacing_file(const replacing_file&) = delete;
    replacing_file& operator=(const replacing_file&) = delete;

    /// Appends `bytes` to the temporary file.
    void write(std::span<const uint8_t> bytes);
    /// Sets mode 0644, flushes, closes and renames the temporary over the target.
    void commit();

private:
    [[noreturn]] void fail(const char* what, int err);

    std::string m_path;
    std::string m_tmp;
    int m_fd = -1;
    bool m_finished = false;  ///< the temporary is gone: renamed into place, or removed
};

/// Writes `bytes` to `path` via a temporary sibling and rename. Throws engine_error(errc::io)
/// naming the path and the system's reason; the temporary is removed on failure.
void write_file_replacing(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace prism::detail
