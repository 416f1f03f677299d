// Whole-file replacement through a temporary sibling and rename (see file_replace.h).
#include "formats/file_replace.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "prism/error.h"

namespace prism::detail {

replacing_file::replacing_file(std::string path)
    : m_path(std::move(path)), m_tmp(m_path + ".tmp-XXXXXX") {
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
