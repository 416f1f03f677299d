// The project database schema and its migrations.
//
// Versioning: PRAGMA user_version holds the schema version (0 = empty file, never had a
// schema); PRAGMA application_id holds k_application_id ("PRSM") so a Prism project database
// is told apart from any other SQLite file. Each version is one migration step (v0->v1,
// v1->v2, ...) that is frozen once released: a later change is a new step, never an edit of
// an old one. Every golden database under tests/data/projects/ must keep opening.
//
// migrate() applies all pending steps in ONE transaction, together with the user_version
// bump, so a failing step (or a crash) leaves the file at its old version with its old
// content. Foreign-key enforcement is switched off around the transaction (it cannot change
// inside one) so a step may rebuild a table the SQLite way (create new, copy, drop, rename;
// https://sqlite.org/lang_altertable.html#otheralter); PRAGMA foreign_key_check must then
// come back empty before the commit.
//
// Growth policy: steps add (tables, columns with defaults, indexes) rather than reshape, so
// an older build opening a newer database read-only can still read the tables it knows.
// Planned: datasets, fine-tune jobs, API request log, recommendations, exports.
//
// Timestamps are INTEGER unix milliseconds, UTC. JSON columns end in _json and hold compact
// UTF-8 JSON. uint64 values (sampling seeds) are stored in INTEGER columns as the int64
// with the same bits (two's complement): 2^64-1 reads back as -1 in the sqlite3 shell.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "prism/projects/sql.h"

namespace prism::projects {

/// The schema version this build writes and fully understands.
inline constexpr int k_schema_version = 1;
/// PRAGMA application_id of a project database: "PRSM" as a big-endian int32.
inline constexpr int32_t k_application_id = 0x5052534D;

/// One step: brings a database at version to_version - 1 up to to_version. `apply` runs
/// inside the migration transaction (it may assume conn.in_transaction()).
struct migration {
    int to_version;
    std::string_view description;
    void (*apply)(sql::connection& conn);
};

/// The released steps, in order: migrations()[i].to_version == i + 1.
std::span<const migration> migrations();

/// PRAGMA user_version of the open database.
int schema_version(sql::connection& conn);

/// Brings the database from its current version up to `target` with `steps` (ordered,
/// contiguous) in one IMMEDIATE transaction; sets application_id too. Throws
/// prism::engine_error: errc::unsupported if the database is newer than `target`,
/// errc::internal if a step is missing, or whatever a step throws (the transaction then
/// rolls back and the version is unchanged). Returns the version it started from.
int migrate(sql::connection& conn, std::span<const migration> steps, int target);
/// migrate(conn, migrations(), k_schema_version).
int migrate(sql::connection& conn);

}  // namespace prism::projects
