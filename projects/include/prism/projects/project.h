// A Prism project: a folder holding project.prism.db (SQLite) and blobs/ (large artifacts
// referenced from the database by relative path and sha256).
//
// Design: every public call returns prism::result (value or prism::error); internals throw
// and are caught at this boundary. Each write that matters runs in one IMMEDIATE
// transaction, so a crash loses only what was not committed. A project object owns one
// SQLite connection and serializes its calls with a mutex, so it may be shared between
// threads; for concurrency open one project object per thread instead (WAL: readers never
// wait for the writer; writers queue behind each other up to the busy timeout).
//
// Errors at open (all name the folder or file):
//   errc::io           not a project folder (missing folder or project.prism.db), or the
//                      database is locked by another process beyond the busy timeout
//   errc::format       project.prism.db is not a SQLite database, is corrupt, or is another
//                      application's database
//   errc::unsupported  the database was written by a newer Prism Studio (schema version
//                      above k_schema_version): refused read-write; with
//                      project_params::read_only it opens read-only (best effort: tables this
//                      build knows are read as v1 knew them)
// Record calls: errc::invalid_argument for bad input (blank name, unknown id, duplicate
// preset name or model hash, a finding for a missing run); errc::unsupported for a write to
// a read-only project; errc::format for stored data this build cannot read (damaged JSON,
// a blob whose sha256 no longer matches).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"
#include "prism/projects/records.h"

namespace prism::projects {

/// File and folder names inside a project folder.
inline constexpr std::string_view k_database_file = "project.prism.db";
inline constexpr std::string_view k_blob_dir = "blobs";

struct project_params {
    int busy_timeout_ms = 5000;  ///< how long a call waits for another writer's lock
    bool read_only = false;      ///< open(): no writes, no migration; allows newer schemas
};

class project {
public:
    /// Makes `dir` (and parents) with an empty blobs/ and a database at k_schema_version.
    /// `dir` may exist if empty. errc::invalid_argument if it already holds files (a project
    /// or anything else); errc::io if it cannot be made. On failure nothing is left behind
    /// that this call made.
    static prism::result<project> create(const std::filesystem::path& dir,
                                         const project_params& params = {});
    /// Opens an existing project and migrates an older schema (in one transaction). See the
    /// file comment for the errors. A missing blobs/ folder is recreated (read-write).
    static prism::result<project> open(const std::filesystem::path& dir,
                                       const project_params& params = {});

    project(project&&) noexcept;
    project& operator=(project&&) noexcept;
    ~project();

    const std::filesystem::path& dir() const;
    std::filesystem::path database_path() const;
    /// The schema version of the file (above k_schema_version only when opened read-only).
    int schema_version() const;
    bool read_only() const;

    /// PRAGMA integrity_check and foreign_key_check; errc::format listing the first problems.
    prism::result<void> integrity_check();

    // ---- settings (key non-empty) ----
    prism::result<std::optional<std::string>> get_setting(std::string_view key);
    prism::result<void> set_setting(std::string_view key, std::string_view value);
    prism::result<void> remove_setting(std::string_view key);

    // ---- models ----
    /// The new model's id. errc::invalid_argument for a malformed sha256, an empty
    /// format/name, metadata that is not a JSON object, or a sha256 already in the project.
    prism::result<int64_t> add_model(const new_model& model);
    prism::result<std::optional<model_record>> find_model_by_sha256(std::string_view sha256);
    prism::result<model_record> get_model(int64_t id);
    /// All models, oldest first.
    prism::result<std::vector<model_record>> list_models();

    // ---- presets (names unique, non-blank; params validated) ----
    prism::result<int64_t> create_preset(std::string_view name, const generation_params& params);
    prism::result<preset_record> get_preset(int64_t id);
    prism::result<std::optional<preset_record>> find_preset_by_name(std::string_view name);
    /// All presets ordered by name.
    prism::result<std::vector<preset_record>> list_presets();
    prism::result<void> update_preset(int64_t id, std::string_view name,
                                      const generation_params& params);
    prism::result<void> delete_preset(int64_t id);

    // ---- runs ----
    /// Records a run in status running (created_at = now); its id.
    prism::result<int64_t> add_run(const new_run& run);
    /// Appends streamed output to a running run (errc::invalid_argument once it finished,
    /// or when delta.top_alternatives is neither empty nor one list per token id).
    prism::result<void> append_run_output(int64_t run_id, const run_output_delta& delta);
    /// Ends a running run: status, timings, error, finished_at = now.
    prism::result<void> finish_run(int64_t run_id, const run_outcome& outcome);
    /// Newest first, paged by id (see run_page).
    prism::result<std::vector<run_summary>> list_runs(const run_page& page = {});
    prism::result<run_record> get_run(int64_t id);

    // ---- attention snapshots ----
    /// Writes `data` to blobs/<sha256>.bin atomically (temp file, fsync, rename, fsync of
    /// the folder; identical content is stored once), then records it for `run_id`.
    prism::result<attention_snapshot_record>
    add_attention_snapshot(int64_t run_id, std::span<const int32_t> layers,
                           std::span<const int32_t> heads, std::span<const std::byte> data);
    /// Snapshots of a run, oldest first.
    prism::result<std::vector<attention_snapshot_record>> list_attention_snapshots(int64_t run_id);
    /// The snapshot's blob; errc::format if its size or sha256 differs from the record,
    /// errc::io if the file is missing.
    prism::result<std::vector<std::byte>> read_attention_blob(int64_t snapshot_id);

    // ---- findings ----
    prism::result<int64_t> add_finding(const new_finding& finding);
    /// Findings of a run ordered by layer, head, token_start.
    prism::result<std::vector<finding_record>> list_findings(int64_t run_id);
    prism::result<void> delete_finding(int64_t id);

    struct impl;

private:
    explicit project(std::unique_ptr<impl> p);
    std::unique_ptr<impl> m;
};

}  // namespace prism::projects
