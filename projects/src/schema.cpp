// Schema steps and the migration driver (see prism/projects/schema.h for the policy).
//
// v1 tables (timestamps: unix ms UTC; *_json: compact JSON text):
//   settings             key/value pairs of the project (UI state, defaults)
//   models               model files used in the project, found again by sha256
//   presets              named sampling parameter sets (params_json, see record_json.h)
//   runs                 one generation each: prompt, params, streamed output, token ids,
//                        per-token top-k alternatives, timings, status
//   attention_snapshots  captured attention of a run, stored as a blob file under blobs/
//   findings             notes a user pins on a (run, layer, head, token span)
// runs.id is AUTOINCREMENT so an id is never reused after a delete: blobs, exports and
// findings may name runs by id.
#include "prism/projects/schema.h"

#include <string>

namespace prism::projects {

namespace {

void apply_v1(sql::connection& conn) {
    conn.exec(R"sql(
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL CHECK (length(key) > 0),
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE models (
    id            INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    format        TEXT NOT NULL CHECK (length(format) > 0),
    name          TEXT NOT NULL CHECK (length(trim(name)) > 0),
    metadata_json TEXT NOT NULL DEFAULT '{}',
    added_at      INTEGER NOT NULL
);

CREATE TABLE presets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    params_json TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE runs (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at            INTEGER NOT NULL,
    finished_at           INTEGER,
    model_id              INTEGER NOT NULL REFERENCES models(id),
    prompt                TEXT NOT NULL,
    system_prompt         TEXT,
    params_json           TEXT NOT NULL,
    seed                  INTEGER NOT NULL,
    output_text           TEXT NOT NULL DEFAULT '',
    n_tokens              INTEGER NOT NULL DEFAULT 0,
    token_ids_json        TEXT NOT NULL DEFAULT '[]',
    top_alternatives_json TEXT NOT NULL DEFAULT '[]',
    ttft_ms               REAL,
    tokens_per_s          REAL,
    status                TEXT NOT NULL DEFAULT 'running'
                          CHECK (status IN ('running', 'finished', 'stopped', 'failed')),
    error                 TEXT
);
CREATE INDEX runs_model_id ON runs(model_id);

CREATE TABLE attention_snapshots (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    layers_json TEXT NOT NULL,
    heads_json  TEXT NOT NULL,
    blob_path   TEXT NOT NULL,
    blob_sha256 TEXT NOT NULL CHECK (length(blob_sha256) = 64),
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    created_at  INTEGER NOT NULL
);
CREATE INDEX attention_snapshots_run_id ON attention_snapshots(run_id);

CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    layer       INTEGER NOT NULL CHECK (layer >= 0),
    head        INTEGER NOT NULL CHECK (head >= -1),
    token_start INTEGER NOT NULL CHECK (token_start >= 0),
    token_end   INTEGER NOT NULL CHECK (token_end > token_start),
    note        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX findings_run_id ON findings(run_id);
)sql");
}

constexpr migration k_migrations[] = {
    {1, "settings, models, presets, runs, attention snapshots, findings", &apply_v1},
};

// The step list must be v1, v2, ... without gaps, or migrate() would skip a step.
consteval bool steps_contiguous() {
    int expected = 1;
    for (const auto& m : k_migrations)
        if (m.to_version != expected++) return false;
    return expected - 1 == k_schema_version;
}
static_assert(steps_contiguous(), "k_migrations must be v1..k_schema_version in order");

}  // namespace

std::span<const migration> migrations() {
    return k_migrations;
}

int schema_version(sql::connection& conn) {
    return static_cast<int>(conn.query_int64("PRAGMA user_version"));
}

int migrate(sql::connection& conn, std::span<const migration> steps, int target) {
    const bool foreign_keys = conn.query_int64("PRAGMA foreign_keys") != 0;
    if (foreign_keys) conn.exec("PRAGMA foreign_keys=OFF");
    int from = 0;
    try {
        sql::transaction tx(conn);
        // Read inside the write transaction: another process may have migrated meanwhile.
        from = schema_version(conn);
        if (from > target)
            throw prism::engine_error(prism::errc::unsupported,
                                      "database schema v" + std::to_string(from) +
                                          " is newer than v" + std::to_string(target));
        for (int v = from + 1; v <= target; ++v) {
            const migration* step = nullptr;
            for (const auto& m : steps)
                if (m.to_version == v) step = &m;
            if (step == nullptr)
                throw prism::engine_error(prism::errc::internal,
                                          "no migration step to schema v" + std::to_string(v));
            try {
                step->apply(conn);
            } catch (const prism::engine_error& e) {
                throw prism::engine_error(e.code(), "migration to schema v" + std::to_string(v) +
                                                        " (" + std::string(step->description) +
                                                        ") failed: " + e.what());
            } catch (const std::exception& e) {
                throw prism::engine_error(prism::errc::internal, "migration to schema v" +
                                                                     std::to_string(v) +
                                                                     " failed: " + e.what());
            }
        }
        if (from != target) {
            auto check = conn.prepare("PRAGMA foreign_key_check");
            if (check.step())
                throw prism::engine_error(prism::errc::internal,
                                          "migration to schema v" + std::to_string(target) +
                                              " left a dangling reference in table " +
                                              check.column_text(0));
            conn.exec("PRAGMA application_id=" + std::to_string(k_application_id));
            conn.exec("PRAGMA user_version=" + std::to_string(target));
        }
        tx.commit();
    } catch (...) {
        if (foreign_keys) conn.exec("PRAGMA foreign_keys=ON");
        throw;
    }
    if (foreign_keys) conn.exec("PRAGMA foreign_keys=ON");
    return from;
}

int migrate(sql::connection& conn) {
    return migrate(conn, migrations(), k_schema_version);
}

}  // namespace prism::projects
