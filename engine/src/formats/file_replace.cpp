// Whole-file replacement through a temporary sibling and rename (see file_replace.h).
#include "formats/file_replace.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prism/error.h"

namespace prism::detail {

void write_file_replacing(const std::string& path, std::span<const uint8_t> bytes) {
    std::string tmp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
        throw engine_error(errc::io, "cannot create a temporary file beside '" + path +
                                         "': " + std::strerror(errno));
    }
    auto fail = [&](const char* what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw engine_error(errc::io, std::string("cannot ") + what + " '" + path +
                                         "': " + std::strerror(err));
    };
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0) fail("set permissions of");
    if (::fsync(fd) != 0) fail("flush");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw engine_error(errc::io, "cannot close '" + path + "': " + std::strerror(err));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw engine_error(errc::io, "cannot rename into '" + path + "': " + std::strerror(err));
    }
}

}  // namespace prism::detail
