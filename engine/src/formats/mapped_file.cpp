// POSIX implementation of mapped_file: open, fstat, mmap(PROT_READ, MAP_PRIVATE).
#include "prism/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace prism {

result<std::shared_ptr<const mapped_file>> mapped_file::open(const std::string& path) {
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
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return std::unexpected(error{errc::io, "'" + path + "' is a directory", path, -1});
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
