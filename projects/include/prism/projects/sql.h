// A thin RAII layer over the SQLite C API (sqlite3.h): a connection, a prepared statement
// with typed bind/column accessors, and a transaction that rolls back unless committed.
//
// Design: everything here throws prism::projects::sql::sql_error (a prism::engine_error, so
// prism::current_exception_to_error turns it into a prism::error at the public boundary).
// The SQLite result code is kept and mapped onto prism::errc: BUSY/LOCKED and file-system
// failures are errc::io, CORRUPT/NOTADB are errc::format, CONSTRAINT is
// errc::invalid_argument, NOMEM is errc::out_of_memory. Write transactions begin IMMEDIATE
// so a busy database is waited for (busy timeout) when the transaction starts instead of
// failing later on a lock upgrade, which the busy handler cannot wait out.
//
// Connections are opened with extended result codes, a busy timeout, and (read-write) the
// pragmas a project store wants: WAL, synchronous=NORMAL, foreign_keys=ON; see
// connection_params. A connection is used by one thread at a time (callers serialize).
//
// Source: https://sqlite.org/c3ref/intro.html, https://sqlite.org/wal.html,
// https://sqlite.org/lang_transaction.html.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"

namespace prism::projects::sql {

/// What a failed SQLite call throws. code() is the prism category, sqlite_code() the
/// extended SQLite result code (SQLITE_BUSY, SQLITE_CORRUPT, ...).
class sql_error : public prism::engine_error {
public:
    sql_error(prism::errc code, int sqlite_code, const std::string& message)
        : prism::engine_error(code, message), m_sqlite_code(sqlite_code) {}
    int sqlite_code() const noexcept { return m_sqlite_code; }
    /// True for SQLITE_BUSY / SQLITE_LOCKED (any extended variant).
    bool is_busy() const noexcept {
        const int primary = m_sqlite_code & 0xff;
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
    }

private:
    int m_sqlite_code;
};

/// The prism category for a SQLite result code (primary or extended).
prism::errc errc_from_sqlite(int sqlite_code);

enum class open_mode {
    read_write_create,  ///< create the file if missing
    read_write,         ///< the file must exist
    read_only,          ///< the file must exist; writes fail with SQLITE_READONLY
};

struct connection_params {
    open_mode mode = open_mode::read_write;
    int busy_timeout_ms = 5000;  ///< how long a statement waits for another connection's lock
    bool wal = true;             ///< read-write only: PRAGMA journal_mode=WAL
    bool foreign_keys = true;    ///< PRAGMA foreign_keys
};

class statement;

class connection {
public:
    /// Opens `path` and applies params (busy timeout, foreign keys; WAL and
    /// synchronous=NORMAL when read-write). The WAL switch reads the file, so a file that is
    /// not a database fails here with errc::format (SQLITE_NOTADB); a database held
    /// exclusively by another process fails with errc::io (SQLITE_BUSY) after the timeout.
    static connection open(const std::filesystem::path& path, const connection_params& params);

    /// A closed connection (only assignable; every other call needs an open one).
    connection() = default;

    connection(connection&& other) noexcept;
    connection& operator=(connection&& other) noexcept;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Runs one or more ';'-separated statements that return no rows of interest.
    void exec(std::string_view sql);
    /// Compiles one statement (the text must hold exactly one).
    statement prepare(std::string_view sql);

    /// True inside an explicit transaction (BEGIN ... not yet COMMIT/ROLLBACK).
    bool in_transaction() const;
    /// Throws errc::internal naming `who` unless in_transaction(): the check behind every
    /// *_in_transaction helper.
    void require_transaction(std::string_view who) const;

    int64_t last_insert_rowid() const;
    /// Rows changed by the most recent INSERT/UPDATE/DELETE.
    int64_t changes() const;
    bool read_only() const;
    const std::filesystem::path& path() const { return m_path; }
    sqlite3* handle() const { return m_db; }

    /// A single-value query: the first column of the first row as int64 (the statement
    /// must return a row).
    int64_t query_int64(std::string_view sql);

private:
    connection(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}
    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
};

/// A prepared statement. Parameters are 1-based (as in SQLite), columns 0-based. Text and
/// blobs are copied on bind (SQLITE_TRANSIENT), so arguments need not outlive the call.
class statement {
public:
    statement(statement&& other) noexcept;
    statement& operator=(statement&& other) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    statement& bind(int index, int64_t value);
    statement& bind(int index, int32_t value) { return bind(index, static_cast<int64_t>(value)); }
    statement& bind(int index, double value);
    statement& bind(int index, std::string_view text);
    statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, std::nullopt_t);
    template <class T> statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
    statement& bind_blob(int index, std::span<const std::byte> bytes);
    /// Binds args to parameters 1..n in order.
    template <class... Args> statement& bind_all(const Args&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    /// Advances: true when a row is available, false when the statement is done.
    bool step();
    /// Runs a statement that returns no rows (step until done).
    void run();
    /// Makes the statement runnable again (bindings stay).
    void reset();

    bool column_is_null(int col) const;
    int64_t column_int64(int col) const;
    double column_double(int col) const;
    /// NULL reads as "".
    std::string column_text(int col) const;
    std::optional<std::string> column_optional_text(int col) const;
    std::optional<int64_t> column_optional_int64(int col) const;
    std::optional<double> column_optional_double(int col) const;
    std::vector<std::byte> column_blob(int col) const;

private:
    friend class connection;
    statement(sqlite3_stmt* stmt, sqlite3* db) : m_stmt(stmt), m_db(db) {}
    [[noreturn]] void fail(int rc, std::string_view what) const;
    sqlite3_stmt* m_stmt = nullptr;
    sqlite3* m_db = nullptr;
};

enum class transaction_kind {
    deferred,   ///< BEGIN: takes locks on first use (read-only snapshots)
    immediate,  ///< BEGIN IMMEDIATE: takes the write lock now, waiting up to the busy timeout
};

/// RAII transaction: BEGIN in the constructor, ROLLBACK in the destructor unless commit()
/// ran. Not nestable (constructing one inside another throws errc::internal).
class transaction {
public:
    explicit transaction(connection& conn, transaction_kind kind = transaction_kind::immediate);
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction();
    void commit();
    /// Rolls back now (the destructor then does nothing). Never throws.
    void rollback() noexcept;

private:
    connection& m_conn;
    bool m_open = true;
};

}  // namespace prism::projects::sql
