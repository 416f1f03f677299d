// Atomic blob files (see blob_store.h). POSIX calls (open/write/fsync/rename) because the
// standard library offers no fsync; the project targets Linux.
#include "blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "prism/error.h"
#include "prism/projects/project.h"
#include "prism/projects/sha256.h"

namespace prism::projects::blob_store {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_io(const std::string& what, int err) {
    throw prism::engine_error(prism::errc::io, what + ": " + std::strerror(err));
}

// Closes a file descriptor when it goes out of scope.
struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

void write_all(int fd, std::span<const std::byte> data, const fs::path& path) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_io("cannot write " + path.string(), errno);
        }
        done += static_cast<size_t>(n);
    }
}

void fsync_dir(const fs::path& dir) {
    fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0) throw_io("cannot open folder " + dir.string() + " to sync it", errno);
    if (::fsync(d.fd) != 0) throw_io("cannot sync folder " + dir.string(), errno);
}

std::vector<std::byte> read_whole(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_io("blob " + path.string() + " cannot be opened", errno ? errno : ENOENT);
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    std::vector<std::byte> out(static_cast<size_t>(size < 0 ? 0 : size));
    if (!out.empty() && !in.read(reinterpret_cast<char*>(out.data()), size))
        throw_io("cannot read blob " + path.string(), errno ? errno : EIO);
    return out;
}

bool existing_blob_matches(const fs::path& path, size_t size, const std::string& sha) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) != size || ec) return false;
    try {
        return sha256_hex(read_whole(path)) == sha;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

std::string write_blob(const fs::path& project_dir, std::span<const std::byte> data,
                       const std::string& sha) {
    const fs::path dir = project_dir / k_blob_dir;
    const std::string name = sha + ".bin";
    const std::string relative = std::string(k_blob_dir) + "/" + name;
    const fs::path final_path = dir / name;
    if (existing_blob_matches(final_path, data.size(), sha)) return relative;

    std::error_code ec;
    fs::create_directories(dir, ec);
    static std::atomic<uint64_t> counter{0};
    const fs::path temp = dir / (".tmp-" + sha.substr(0, 16) + "-" + std::to_string(::getpid()) +
                                 "-" + std::to_string(++counter) + ".part");
    try {
        fd_guard f{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
        if (f.fd < 0) throw_io("cannot create " + temp.string(), errno);
        write_all(f.fd, data, temp);
        if (::fsync(f.fd) != 0) throw_io("cannot sync " + temp.string(), errno);
        if (::close(std::exchange(f.fd, -1)) != 0) throw_io("cannot close " + temp.string(), errno);
        if (::rename(temp.c_str(), final_path.c_str()) != 0)
            throw_io("cannot rename " + temp.string() + " to " + final_path.string(), errno);
    } catch (...) {
        fs::remove(temp, ec);
        throw;
    }
    fsync_dir(dir);
    return relative;
}

std::vector<std::byte> read_blob(const fs::path& project_dir, std::string_view relative_path,
                                 std::string_view expected_sha, int64_t bytes) {
    const fs::path rel = fs::path(relative_path).lexically_normal();
    const auto first = rel.begin();
    bool inside = !rel.empty() && rel.is_relative() && first != rel.end() &&
                  *first == fs::path(k_blob_dir) && std::next(first) != rel.end();
    for (const auto& part : rel)
        if (part == "..") inside = false;
    if (!inside)
        throw prism::engine_error(prism::errc::format,
                                  "blob path '" + std::string(relative_path) +
                                      "' does not lie inside the project's blobs folder");
    const fs::path path = project_dir / rel;
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw prism::engine_error(prism::errc::io, "blob " + path.string() + " is missing");
    auto data = read_whole(path);
    if (static_cast<int64_t>(data.size()) != bytes)
        throw prism::engine_error(prism::errc::format,
                                  "blob " + path.string() + " is damaged: it has " +
                                      std::to_string(data.size()) + " bytes, the record says " +
                                      std::to_string(bytes));
    const std::string actual = sha256_hex(data);
    if (actual != expected_sha)
        throw prism::engine_error(prism::errc::format,
                                  "blob " + path.string() + " is damaged: sha256 " + actual +
                                      ", the record says " + std::string(expected_sha));
    return data;
}

}  // namespace prism::projects::blob_store
