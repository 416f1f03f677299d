// Small helpers shared by tests: reading files, temporary folders, running the CLI.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace prism::test {

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

/// A fresh folder under the system temp dir, removed when the object dies.
class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        m_path = std::filesystem::temp_directory_path() /
                 ("prism-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(m_path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    std::string file(const std::string& name) const { return (m_path / name).string(); }
    /// The folder `name` inside this one, created empty (whatever was there is removed).
    std::string subdir(const std::string& name) const {
        const auto dir = m_path / name;
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        return dir.string();
    }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/// One temp_dir for the whole test process, made on first use and removed when it exits.
inline const temp_dir& process_temp_dir() {
    static const temp_dir dir;
    return dir;
}

struct run_result {
    int status = -1;  ///< exit code, or 128 + signal
    std::string out, err;
};

/// Runs a shell command line, capturing stdout and stderr separately.
inline run_result run_command(const std::string& cmdline) {
    temp_dir dir;
    const std::string err_file = dir.file("stderr");
    run_result r;
    FILE* p = ::popen((cmdline + " 2>'" + err_file + "' </dev/null").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.err = read_file(err_file);
    return r;
}

/// Quotes one argument for the shell.
inline std::string sh_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

}  // namespace prism::test
