// The state behind prism::projects::project and the boundary helpers every record file
// uses: lock the project's mutex, refuse writes to a read-only project, and turn whatever
// the body throws into a prism::error naming the database file.
#pragma once

#include <mutex>
#include <string>
#include <utility>

#include "prism/projects/project.h"
#include "prism/projects/sql.h"

namespace prism::projects {

struct project::impl {
    std::filesystem::path dir;
    sql::connection conn;
    int version = 0;
    bool read_only = false;
    std::mutex mutex;

    std::filesystem::path db_path() const { return dir / k_database_file; }

    /// Runs f(conn) under the mutex; exceptions become the error value.
    template <class F> auto read(F&& f) -> prism::result<decltype(f(conn))> {
        std::lock_guard lock(mutex);
        return prism::catch_to_result([&] { return f(conn); }, db_path().string());
    }

    /// As read(), but errc::unsupported on a read-only project.
    template <class F> auto write(F&& f) -> prism::result<decltype(f(conn))> {
        if (read_only)
            return std::unexpected(
                prism::error{prism::errc::unsupported,
                             "project " + dir.string() + " is open read-only; it cannot be changed",
                             db_path().string(), -1});
        return read(std::forward<F>(f));
    }
};

/// A prism::engine_error with errc::invalid_argument.
[[noreturn]] inline void throw_invalid(const std::string& message) {
    throw prism::engine_error(prism::errc::invalid_argument, message);
}

/// Throws errc::invalid_argument "<what> <id> does not exist" unless `table` has row `id`.
/// Runs inside the caller's transaction so the row cannot vanish before the caller's write.
void require_row_in_transaction(sql::connection& conn, std::string_view table, int64_t id,
                                std::string_view what);

}  // namespace prism::projects
