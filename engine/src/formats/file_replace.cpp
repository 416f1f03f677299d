// Whole-file replacement through a temporary sibling and rename (see file_replace.h).
#include "formats/file_replace.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "prism/error.h"
#include "prism/mapped_file.h"

namespace prism::detail {

// The file a write to `path` should replace: a symbolic link is followed (its target is
// replaced, the link stays), and an existing target must be a regular file: renaming over
// a device, FIFO or folder would destroy it rather than write to it.
std::string replacement_target(const std::string& path) {
    if (path.empty()) throw engine_error(errc::io, "empty output path");
    std::error_code ec;
    std::filesystem::path target = path;
    // Follow links one level at a time: weakly_canonical alone stops at a dangling link and
    // would have the rename replace the link instead of creating its target.
    for (int depth = 0; std::filesystem::is_symlink(target, ec); ++depth) {
        if (depth == 40) throw engine_error(errc::io, "too many levels of links at '" + path + "'");
        const auto next = std::filesystem::read_symlink(target, ec);
        if (ec) throw engine_error(errc::io, "cannot resolve link '" + path + "': " + ec.message());
        target = next.is_absolute() ? next : target.parent_path() / next;
    }
    target = std::filesystem::weakly_canonical(target, ec);
    if (ec) throw engine_error(errc::io, "cannot resolve '" + path + "': " + ec.message());
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            throw engine_error(errc::io, "'" + path + "' is a folder, not a file");
        if (!S_ISREG(st.st_mode))
            throw engine_error(errc::io, "'" + path +
                                             "' exists and is not a regular file (a device or "
                                             "pipe?); refusing to replace it");
    }
    return target.string();
}

replacing_file::replacing_file(std::string path)
    : m_path(replacement_target(path)), m_tmp(m_path + ".tmp-XXXXXX") {
    m_fd = ::mkstemp(m_tmp.data());
    if (m_fd < 0) {
        throw engine_error(errc::io, "cannot create a temporary file beside '" + m_path +
                                         "': " + std::strerror(errno));
    }
}

replacing_file::~replacing_file() {
    if (m_finished) return;
    if (m_fd >= 0) ::close(m_fd);
    ::unlink(m_tmp.c_str());
}

void replacing_file::fail(const char* what, int err) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    ::unlink(m_tmp.c_str());
    m_finished = true;
    throw engine_error(errc::io,
                       std::string("cannot ") + what + " '" + m_path + "': " + std::strerror(err));
}

void replacing_file::write(std::span<const uint8_t> bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write", errno);
        }
        done += static_cast<size_t>(n);
    }
}

void replacing_file::commit() {
    if (::fchmod(m_fd, 0644) != 0) fail("set permissions of", errno);
    if (::fsync(m_fd) != 0) fail("flush", errno);
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) fail("close", errno);
    if (std::rename(m_tmp.c_str(), m_path.c_str()) != 0) fail("rename into", errno);
    m_finished = true;
}

void write_file_replacing(const std::string& path, std::span<const uint8_t> bytes) {
    replacing_file f(path);
    f.write(bytes);
    f.commit();
}

}  // namespace prism::detail

namespace prism {

result<void> file_check_output(const std::string& path) {
    return catch_to_result([&] {
        const std::filesystem::path target = detail::replacement_target(path);
        const auto folder = target.has_parent_path() ? target.parent_path() : ".";
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec))
            throw engine_error(errc::io, "cannot write '" + path + "': folder '" + folder.string() +
                                             "' does not exist");
        if (::access(folder.c_str(), W_OK) != 0)
            throw engine_error(errc::io, "cannot write '" + path + "': " + std::strerror(errno));
    });
}

result<void> file_write_atomic(const std::string& path, std::string_view bytes) {
    return catch_to_result([&] {
        detail::write_file_replacing(
            path, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    });
}

}  // namespace prism
