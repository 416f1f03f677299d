// Creating and opening a project folder, settings, and the integrity check.
//
// open() reads the database header before touching anything: a file that is not SQLite,
// another application's database (PRAGMA application_id), or a schema newer than this
// build is reported without writing a byte. Only then does it migrate (one transaction,
// see schema.h). SQLITE_BUSY anywhere during open means another process holds the
// database beyond the busy timeout and is reported as "locked".
#include <chrono>
#include <cstdio>
#include <system_error>

#include "prism/projects/schema.h"
#include "project_impl.h"

namespace prism::projects {

namespace fs = std::filesystem;

timestamp_ms now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string_view run_status_name(run_status s) {
    switch (s) {
    case run_status::running:
        return "running";
    case run_status::finished:
        return "finished";
    case run_status::stopped:
        return "stopped";
    case run_status::failed:
        return "failed";
    }
    return "running";
}

void require_row_in_transaction(sql::connection& conn, std::string_view table, int64_t id,
                                std::string_view what) {
    conn.require_transaction("require_row_in_transaction");
    auto st = conn.prepare("SELECT 1 FROM " + std::string(table) + " WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) throw_invalid(std::string(what) + " " + std::to_string(id) + " does not exist");
}

namespace {

[[noreturn]] void throw_error(prism::errc code, const std::string& message) {
    throw prism::engine_error(code, message);
}

std::string hex32(int64_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v & 0xffffffff));
    return buf;
}

// Rethrows a SQLite failure seen while opening `db` with the wording open() promises.
[[noreturn]] void rethrow_open_failure(const sql::sql_error& e, const fs::path& db,
                                       int busy_timeout_ms) {
    if (e.is_busy())
        throw_error(prism::errc::io, db.string() +
                                         " is locked by another process (still busy after " +
                                         std::to_string(busy_timeout_ms) + " ms): " + e.what());
    if (e.code() == prism::errc::format)
        throw_error(prism::errc::format,
                    db.string() +
                        " is not a Prism project database: it is not a SQLite database "
                        "or the file is damaged (" +
                        e.what() + ")");
    throw_error(e.code(), "cannot open " + db.string() + ": " + e.what());
}

// Checks the header of an open database and migrates it; returns the schema version.
int check_and_migrate(sql::connection& conn, const fs::path& db, bool read_only) {
    const int64_t app_id = conn.query_int64("PRAGMA application_id");
    const int version = schema_version(conn);
    if (app_id != 0 && app_id != k_application_id)
        throw_error(prism::errc::format, db.string() +
                                             " is not a Prism project database: it belongs to "
                                             "another application (application_id " +
                                             hex32(app_id) + ")");
    if (version == 0) {
        if (conn.query_int64("SELECT count(*) FROM sqlite_master") > 0)
            throw_error(prism::errc::format, db.string() +
                                                 " is a SQLite database but not a Prism project "
                                                 "(it has tables but no Prism schema version)");
        if (read_only)
            throw_error(prism::errc::unsupported,
                        db.string() + " is an empty project database; open it read-write "
                                      "once to initialize it");
    } else if (app_id == 0) {
        throw_error(prism::errc::format,
                    db.string() + " is not a Prism project database (schema version " +
                        std::to_string(version) + " but no Prism application_id)");
    }
    if (version > k_schema_version) {
        if (!read_only)
            throw_error(prism::errc::unsupported,
                        db.string() + " was written by a newer Prism Studio (schema v" +
                            std::to_string(version) + "; this build knows up to v" +
                            std::to_string(k_schema_version) +
                            "). Update Prism Studio, or open the project read-only.");
        return version;
    }
    if (version < k_schema_version) {
        if (read_only)
            throw_error(prism::errc::unsupported,
                        db.string() + " has schema v" + std::to_string(version) +
                            " and needs an upgrade to v" + std::to_string(k_schema_version) +
                            "; open it read-write once to upgrade it");
        migrate(conn);
        return schema_version(conn);
    }
    return version;
}

std::unique_ptr<project::impl> open_impl(const fs::path& dir, const project_params& params) {
    const fs::path db = dir / k_database_file;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw_error(prism::errc::io,
                    "not a Prism project folder: " + dir.string() +
                        (fs::exists(dir, ec) ? " is not a folder" : " does not exist"));
    if (!fs::exists(db, ec))
        throw_error(prism::errc::io, "not a Prism project folder: " + dir.string() + " has no " +
                                         std::string(k_database_file));
    if (!fs::is_regular_file(db, ec))
        throw_error(prism::errc::format, db.string() + " is not a regular file");
    auto p = std::make_unique<project::impl>();
    p->dir = dir;
    p->read_only = params.read_only;
    try {
        p->conn = sql::connection::open(
            db, {.mode = params.read_only ? sql::open_mode::read_only : sql::open_mode::read_write,
                 .busy_timeout_ms = params.busy_timeout_ms});
        p->version = check_and_migrate(p->conn, db, params.read_only);
        if (params.read_only) p->conn.exec("PRAGMA query_only=ON");
    } catch (const sql::sql_error& e) {
        rethrow_open_failure(e, db, params.busy_timeout_ms);
    }
    if (!params.read_only) {
        fs::create_directories(dir / k_blob_dir, ec);
        if (ec)
            throw_error(prism::errc::io,
                        "cannot create " + (dir / k_blob_dir).string() + ": " + ec.message());
    }
    return p;
}

std::unique_ptr<project::impl> create_impl(const fs::path& dir, const project_params& params) {
    std::error_code ec;
    bool made_dir = false;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec))
            throw_invalid("cannot create a project at " + dir.string() +
                          ": it exists and is not a folder");
        if (fs::exists(dir / k_database_file, ec))
            throw_invalid("cannot create a project at " + dir.string() +
                          ": it already holds a Prism project");
        if (!fs::is_empty(dir, ec))
            throw_invalid("cannot create a project at " + dir.string() +
                          ": the folder is not empty");
    } else {
        fs::create_directories(dir, ec);
        if (ec)
            throw_error(prism::errc::io,
                        "cannot create project folder " + dir.string() + ": " + ec.message());
        made_dir = true;
    }
    const fs::path db = dir / k_database_file;
    try {
        fs::create_directory(dir / k_blob_dir, ec);
        if (ec)
            throw_error(prism::errc::io,
                        "cannot create " + (dir / k_blob_dir).string() + ": " + ec.message());
        auto p = std::make_unique<project::impl>();
        p->dir = dir;
        try {
            p->conn = sql::connection::open(db, {.mode = sql::open_mode::read_write_create,
                                                 .busy_timeout_ms = params.busy_timeout_ms});
            migrate(p->conn);
            p->version = schema_version(p->conn);
        } catch (const sql::sql_error& e) {
            rethrow_open_failure(e, db, params.busy_timeout_ms);
        }
        return p;
    } catch (...) {
        // Undo what this call made; the connection is already closed (stack unwound).
        if (made_dir) {
            fs::remove_all(dir, ec);
        } else {
            for (const char* suffix : {"", "-wal", "-shm", "-journal"})
                fs::remove(fs::path(db.string() + suffix), ec);
            fs::remove_all(dir / k_blob_dir, ec);
        }
        throw;
    }
}

}  // namespace

project::project(std::unique_ptr<impl> p) : m(std::move(p)) {}
project::project(project&&) noexcept = default;
project& project::operator=(project&&) noexcept = default;
project::~project() = default;

prism::result<project> project::create(const fs::path& dir, const project_params& params) {
    return prism::catch_to_result([&] { return project(create_impl(dir, params)); },
                                  (dir / k_database_file).string());
}

prism::result<project> project::open(const fs::path& dir, const project_params& params) {
    return prism::catch_to_result([&] { return project(open_impl(dir, params)); },
                                  (dir / k_database_file).string());
}

const fs::path& project::dir() const {
    return m->dir;
}

fs::path project::database_path() const {
    return m->db_path();
}

int project::schema_version() const {
    return m->version;
}

bool project::read_only() const {
    return m->read_only;
}

prism::result<void> project::integrity_check() {
    return m->read([&](sql::connection& conn) {
        std::vector<std::string> problems;
        {
            auto st = conn.prepare("PRAGMA integrity_check(10)");
            while (st.step())
                if (const auto row = st.column_text(0); row != "ok") problems.push_back(row);
        }
        {
            auto st = conn.prepare("PRAGMA foreign_key_check");
            while (st.step() && problems.size() < 20)
                problems.push_back("dangling reference in " + st.column_text(0) + " row " +
                                   std::to_string(st.column_int64(1)) + " to " + st.column_text(2));
        }
        if (!problems.empty()) {
            std::string msg = "integrity check of " + m->db_path().string() + " failed:";
            for (const auto& s : problems) msg += " " + s + ";";
            throw_error(prism::errc::format, msg);
        }
    });
}

// ---- settings -----------------------------------------------------------------------------

namespace {

void require_key(std::string_view key) {
    if (key.empty()) throw_invalid("a setting key must not be empty");
}

}  // namespace

prism::result<std::optional<std::string>> project::get_setting(std::string_view key) {
    return m->read([&](sql::connection& conn) -> std::optional<std::string> {
        require_key(key);
        auto st = conn.prepare("SELECT value FROM settings WHERE key = ?");
        st.bind(1, key);
        if (!st.step()) return std::nullopt;
        return st.column_text(0);
    });
}

prism::result<void> project::set_setting(std::string_view key, std::string_view value) {
    return m->write([&](sql::connection& conn) {
        require_key(key);
        auto st = conn.prepare("INSERT INTO settings (key, value) VALUES (?, ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        st.bind_all(key, value).run();
    });
}

prism::result<void> project::remove_setting(std::string_view key) {
    return m->write([&](sql::connection& conn) {
        require_key(key);
        conn.prepare("DELETE FROM settings WHERE key = ?").bind(1, key).run();
    });
}

}  // namespace prism::projects
