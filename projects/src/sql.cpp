// The SQLite RAII wrapper (see prism/projects/sql.h): error mapping, connection set-up,
// statements and transactions. Every failure carries the SQLite message, the extended
// result code and the head of the SQL that failed.
#include "prism/projects/sql.h"

#include <utility>

namespace prism::projects::sql {

namespace {

std::string sql_head(std::string_view sql) {
    constexpr size_t max = 120;
    std::string s(sql.substr(0, max));
    for (char& c : s)
        if (c == '\n' || c == '\t') c = ' ';
    if (sql.size() > max) s += "...";
    return s;
}

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        msg = "database is locked by another connection (" + msg + ")";
    } else if (primary == SQLITE_NOTADB) {
        msg = "not a SQLite database, or its header is damaged (" + msg + ")";
    } else if (primary == SQLITE_CORRUPT) {
        msg = "database is corrupt (" + msg + ")";
    }
    msg += " [SQLite code " + std::to_string(rc) + "]";
    if (!context.empty()) msg += " in: " + std::string(context);
    throw sql_error(errc_from_sqlite(rc), rc, msg);
}

}  // namespace

prism::errc errc_from_sqlite(int sqlite_code) {
    switch (sqlite_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_AUTH:
        return prism::errc::io;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
        return prism::errc::format;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return prism::errc::invalid_argument;
    case SQLITE_NOMEM:
        return prism::errc::out_of_memory;
    default:
        return prism::errc::internal;
    }
}

// ---- connection ---------------------------------------------------------------------------

connection connection::open(const std::filesystem::path& path, const connection_params& params) {
    int flags = SQLITE_OPEN_EXRESCODE;
    switch (params.mode) {
    case open_mode::read_write_create:
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        break;
    case open_mode::read_write:
        flags |= SQLITE_OPEN_READWRITE;
        break;
    case open_mode::read_only:
        flags |= SQLITE_OPEN_READONLY;
        break;
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        throw sql_error(errc_from_sqlite(rc), rc,
                        "cannot open database " + path.string() + ": " + msg + " [SQLite code " +
                            std::to_string(rc) + "]");
    }
    connection conn(db, path);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, params.busy_timeout_ms);
    conn.exec(params.foreign_keys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
    // Reading the schema forces SQLite to read the file header: a file that is not a
    // database fails here (SQLITE_NOTADB), not on some later query.
    conn.query_int64("SELECT count(*) FROM sqlite_master");
    if (params.mode != open_mode::read_only && params.wal) {
        auto st = conn.prepare("PRAGMA journal_mode=WAL");
        std::string mode = st.step() ? st.column_text(0) : std::string();
        if (mode != "wal")
            throw sql_error(prism::errc::io, SQLITE_ERROR,
                            "cannot switch " + path.string() +
                                " to write-ahead logging (journal_mode is '" + mode + "')");
        conn.exec("PRAGMA synchronous=NORMAL");
    }
    return conn;
}

connection::connection(connection&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)) {}

connection& connection::operator=(connection&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

connection::~connection() {
    // close_v2 defers the close until every statement is finalized, so a statement that
    // outlives its connection by mistake cannot crash.
    sqlite3_close_v2(m_db);
}

void connection::exec(std::string_view sql) {
    std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        sqlite3_free(err);
        throw_sqlite(m_db, rc, sql_head(sql));
    }
}

statement connection::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc =
        sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()), 0, &stmt, &tail);
    if (rc != SQLITE_OK) throw_sqlite(m_db, rc, sql_head(sql));
    statement st(stmt, m_db);
    if (stmt == nullptr)
        throw sql_error(prism::errc::internal, SQLITE_MISUSE,
                        "empty SQL statement: " + sql_head(sql));
    for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p)
        if (*p != ' ' && *p != '\n' && *p != '\t' && *p != ';' && *p != '\r')
            throw sql_error(prism::errc::internal, SQLITE_MISUSE,
                            "prepare() takes one statement: " + sql_head(sql));
    return st;
}

bool connection::in_transaction() const {
    return sqlite3_get_autocommit(m_db) == 0;
}

void connection::require_transaction(std::string_view who) const {
    if (!in_transaction())
        throw sql_error(prism::errc::internal, SQLITE_MISUSE,
                        std::string(who) + " must run inside the caller's transaction");
}

int64_t connection::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(m_db);
}

int64_t connection::changes() const {
    return sqlite3_changes64(m_db);
}

bool connection::read_only() const {
    return sqlite3_db_readonly(m_db, "main") == 1;
}

int64_t connection::query_int64(std::string_view sql) {
    auto st = prepare(sql);
    if (!st.step())
        throw sql_error(prism::errc::internal, SQLITE_MISUSE,
                        "query returned no row: " + sql_head(sql));
    return st.column_int64(0);
}

// ---- statement ----------------------------------------------------------------------------

statement::statement(statement&& other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr)), m_db(other.m_db) {}

statement& statement::operator=(statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
        m_db = other.m_db;
    }
    return *this;
}

statement::~statement() {
    sqlite3_finalize(m_stmt);
}

void statement::fail(int rc, std::string_view what) const {
    const char* sql = m_stmt ? sqlite3_sql(m_stmt) : nullptr;
    std::string context(what);
    if (sql) context += (context.empty() ? "" : " of ") + sql_head(sql);
    throw_sqlite(m_db, rc, context);
}

statement& statement::bind(int index, int64_t value) {
    const int rc = sqlite3_bind_int64(m_stmt, index, value);
    if (rc != SQLITE_OK) fail(rc, "bind #" + std::to_string(index));
    return *this;
}

statement& statement::bind(int index, double value) {
    const int rc = sqlite3_bind_double(m_stmt, index, value);
    if (rc != SQLITE_OK) fail(rc, "bind #" + std::to_string(index));
    return *this;
}

statement& statement::bind(int index, std::string_view text) {
    const int rc =
        sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) fail(rc, "bind #" + std::to_string(index));
    return *this;
}

statement& statement::bind(int index, std::nullopt_t) {
    const int rc = sqlite3_bind_null(m_stmt, index);
    if (rc != SQLITE_OK) fail(rc, "bind #" + std::to_string(index));
    return *this;
}

statement& statement::bind_blob(int index, std::span<const std::byte> bytes) {
    // A zero-length blob with a null pointer would bind NULL; point at something.
    static const std::byte empty{};
    const void* data = bytes.empty() ? &empty : bytes.data();
    const int rc = sqlite3_bind_blob64(m_stmt, index, data, bytes.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) fail(rc, "bind #" + std::to_string(index));
    return *this;
}

bool statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset so the statement does not keep a read transaction open after the failure.
    sqlite3_reset(m_stmt);
    fail(rc, "");
}

void statement::run() {
    while (step()) {
    }
}

void statement::reset() {
    sqlite3_reset(m_stmt);
}

bool statement::column_is_null(int col) const {
    return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

int64_t statement::column_int64(int col) const {
    return sqlite3_column_int64(m_stmt, col);
}

double statement::column_double(int col) const {
    return sqlite3_column_double(m_stmt, col);
}

std::string statement::column_text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    const int n = sqlite3_column_bytes(m_stmt, col);
    return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::optional<std::string> statement::column_optional_text(int col) const {
    if (column_is_null(col)) return std::nullopt;
    return column_text(col);
}

std::optional<int64_t> statement::column_optional_int64(int col) const {
    if (column_is_null(col)) return std::nullopt;
    return column_int64(col);
}

std::optional<double> statement::column_optional_double(int col) const {
    if (column_is_null(col)) return std::nullopt;
    return column_double(col);
}

std::vector<std::byte> statement::column_blob(int col) const {
    const auto* p = static_cast<const std::byte*>(sqlite3_column_blob(m_stmt, col));
    const int n = sqlite3_column_bytes(m_stmt, col);
    return p ? std::vector<std::byte>(p, p + n) : std::vector<std::byte>();
}

// ---- transaction --------------------------------------------------------------------------

transaction::transaction(connection& conn, transaction_kind kind) : m_conn(conn) {
    if (conn.in_transaction())
        throw sql_error(prism::errc::internal, SQLITE_MISUSE,
                        "transactions do not nest: one is already open on " + conn.path().string());
    conn.exec(kind == transaction_kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

transaction::~transaction() {
    if (m_open) rollback();
}

void transaction::commit() {
    if (!m_open)
        throw sql_error(prism::errc::internal, SQLITE_MISUSE, "commit of a closed transaction");
    m_conn.exec("COMMIT");
    m_open = false;
}

void transaction::rollback() noexcept {
    m_open = false;
    // Some errors (SQLITE_FULL, IOERR, NOMEM) end the transaction by themselves; a ROLLBACK
    // then would fail with "no transaction is active".
    if (m_conn.in_transaction())
        sqlite3_exec(m_conn.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace prism::projects::sql
