// POSIX implementation of mapped_file: open, fstat, mmap(PROT_READ, MAP_PRIVATE).
#include "prism/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace prism {

result<void> file_check_regular(const std::string& path) {
    if (path.empty()) return std::unexpected(error{errc::io, "empty file path", path, -1});
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return std::unexpected(
            error{errc::io, "cannot open '" + path + "': " + std::strerror(errno), path, -1});
    if (S_ISDIR(st.st_mode))
        return std::unexpected(error{errc::io, "'" + path + "' is a folder, not a file", path, -1});
    if (!S_ISREG(st.st_mode))
        return std::unexpected(
            error{errc::io, "'" + path + "' is not a regular file (a pipe or device?)", path, -1});
    return {};
}

result<std::string> file_read_text(const std::string& path, size_t max_bytes) {
    if (path.empty()) return std::unexpected(error{errc::io, "empty file path", path, -1});
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(
            error{errc::io, "cannot open '" + path + "': " + std::strerror(errno), path, -1});
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return std::unexpected(error{errc::io, "'" + path + "' is a folder, not a file", path, -1});
    }
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            return std::unexpected(
                error{errc::io, "cannot read '" + path + "': " + std::strerror(err), path, -1});
        }
        if (text.size() + static_cast<size_t>(n) > max_bytes) {
            ::close(fd);
            return std::unexpected(error{errc::invalid_argument,
                                         "'" + path + "' is larger than the limit of " +
                                             std::to_string(max_bytes) + " bytes",
                                         path, -1});
        }
        text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return text;
}

result<std::shared_ptr<const mapped_file>> mapped_file::open(const std::string& path) {
    if (auto ok = file_check_regular(path); !ok) return std::unexpected(ok.error());
    auto fail = [&](const char* what) {
        return std::unexpected(error{
            errc::io, "cannot " + std::string(what) + " '" + path + "': " + std::strerror(errno),
            path, -1});
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return fail("stat");
    }
    std::shared_ptr<mapped_file> f(new mapped_file());
    f->m_path = path;
    f->m_size = static_cast<size_t>(st.st_size);
    if (f->m_size > 0) {
        void* p = ::mmap(nullptr, f->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            ::close(fd);
            f->m_size = 0;
            return fail("map");
        }
        f->m_data = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    return f;
}

mapped_file::~mapped_file() {
    if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

}  // namespace prism
