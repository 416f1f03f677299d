// Attention snapshots (metadata rows + blob files) and findings.
//
// A snapshot is written blob first, row second: the blob is complete and durable (see
// blob_store.h) before the transaction that references it commits, so a crash in between
// leaves at worst an unreferenced blob, never a row pointing at a missing or partial file.
// The blob format is the caller's (the store hashes and keeps bytes, nothing more).
#include "blob_store.h"
#include "prism/projects/sha256.h"
#include "project_impl.h"
#include "record_json.h"

namespace prism::projects {

namespace {

void require_indices(std::span<const int32_t> values, const char* what) {
    if (values.empty())
        throw_invalid(std::string("an attention snapshot needs at least one ") + what);
    for (const int32_t v : values)
        if (v < 0) throw_invalid(std::string("attention snapshot ") + what + " must be >= 0");
}

constexpr const char* k_snapshot_columns =
    "id, run_id, layers_json, heads_json, blob_path, blob_sha256, bytes, created_at";

attention_snapshot_record snapshot_from_row(const sql::statement& st) {
    const int64_t id = st.column_int64(0);
    const std::string what = "attention snapshot " + std::to_string(id);
    return {.id = id,
            .run_id = st.column_int64(1),
            .layers = json_codec::int_array_from_json(st.column_text(2), what + " layers"),
            .heads = json_codec::int_array_from_json(st.column_text(3), what + " heads"),
            .blob_path = st.column_text(4),
            .blob_sha256 = st.column_text(5),
            .bytes = st.column_int64(6),
            .created_at = st.column_int64(7)};
}

constexpr const char* k_finding_columns =
    "id, run_id, layer, head, token_start, token_end, note, created_at";

finding_record finding_from_row(const sql::statement& st) {
    return {.id = st.column_int64(0),
            .run_id = st.column_int64(1),
            .layer = static_cast<int32_t>(st.column_int64(2)),
            .head = static_cast<int32_t>(st.column_int64(3)),
            .token_start = static_cast<int32_t>(st.column_int64(4)),
            .token_end = static_cast<int32_t>(st.column_int64(5)),
            .note = st.column_text(6),
            .created_at = st.column_int64(7)};
}

}  // namespace

// ---- attention snapshots ------------------------------------------------------------------

prism::result<attention_snapshot_record>
project::add_attention_snapshot(int64_t run_id, std::span<const int32_t> layers,
                                std::span<const int32_t> heads, std::span<const std::byte> data) {
    return m->write([&](sql::connection& conn) {
        require_indices(layers, "layer");
        require_indices(heads, "head");
        if (data.empty()) throw_invalid("an attention snapshot needs data (got 0 bytes)");
        {
            // Fail before writing a blob for a run that does not exist.
            sql::transaction check(conn, sql::transaction_kind::deferred);
            require_row_in_transaction(conn, "runs", run_id, "run");
        }
        attention_snapshot_record r;
        r.run_id = run_id;
        r.layers.assign(layers.begin(), layers.end());
        r.heads.assign(heads.begin(), heads.end());
        r.blob_sha256 = sha256_hex(data);
        r.bytes = static_cast<int64_t>(data.size());
        r.blob_path = blob_store::write_blob(m->dir, data, r.blob_sha256);
        r.created_at = now_ms();

        sql::transaction tx(conn);
        require_row_in_transaction(conn, "runs", run_id, "run");
        conn.prepare("INSERT INTO attention_snapshots (run_id, layers_json, heads_json, blob_path, "
                     "blob_sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind_all(run_id, json_codec::int_array_to_json(r.layers),
                      json_codec::int_array_to_json(r.heads), r.blob_path, r.blob_sha256, r.bytes,
                      r.created_at)
            .run();
        r.id = conn.last_insert_rowid();
        tx.commit();
        return r;
    });
}

prism::result<std::vector<attention_snapshot_record>>
project::list_attention_snapshots(int64_t run_id) {
    return m->read([&](sql::connection& conn) {
        sql::transaction tx(conn, sql::transaction_kind::deferred);
        require_row_in_transaction(conn, "runs", run_id, "run");
        auto st = conn.prepare(std::string("SELECT ") + k_snapshot_columns +
                               " FROM attention_snapshots WHERE run_id = ? ORDER BY id");
        st.bind(1, run_id);
        std::vector<attention_snapshot_record> out;
        while (st.step()) out.push_back(snapshot_from_row(st));
        return out;
    });
}

prism::result<std::vector<std::byte>> project::read_attention_blob(int64_t snapshot_id) {
    return m->read([&](sql::connection& conn) {
        auto st = conn.prepare(std::string("SELECT ") + k_snapshot_columns +
                               " FROM attention_snapshots WHERE id = ?");
        st.bind(1, snapshot_id);
        if (!st.step())
            throw_invalid("attention snapshot " + std::to_string(snapshot_id) + " does not exist");
        const auto r = snapshot_from_row(st);
        st.reset();
        return blob_store::read_blob(m->dir, r.blob_path, r.blob_sha256, r.bytes);
    });
}

// ---- findings -----------------------------------------------------------------------------

prism::result<int64_t> project::add_finding(const new_finding& f) {
    return m->write([&](sql::connection& conn) {
        if (f.layer < 0) throw_invalid("a finding's layer must be >= 0");
        if (f.head < -1) throw_invalid("a finding's head must be >= 0, or -1 for every head");
        if (f.token_start < 0 || f.token_end <= f.token_start)
            throw_invalid("a finding's token span [" + std::to_string(f.token_start) + ", " +
                          std::to_string(f.token_end) +
                          ") must satisfy 0 <= token_start < token_end");
        sql::transaction tx(conn);
        require_row_in_transaction(conn, "runs", f.run_id, "run");
        conn.prepare("INSERT INTO findings (run_id, layer, head, token_start, token_end, note, "
                     "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind_all(f.run_id, f.layer, f.head, f.token_start, f.token_end, f.note, now_ms())
            .run();
        const int64_t id = conn.last_insert_rowid();
        tx.commit();
        return id;
    });
}

prism::result<std::vector<finding_record>> project::list_findings(int64_t run_id) {
    return m->read([&](sql::connection& conn) {
        sql::transaction tx(conn, sql::transaction_kind::deferred);
        require_row_in_transaction(conn, "runs", run_id, "run");
        auto st = conn.prepare(std::string("SELECT ") + k_finding_columns +
                               " FROM findings WHERE run_id = ? "
                               "ORDER BY layer, head, token_start, id");
        st.bind(1, run_id);
        std::vector<finding_record> out;
        while (st.step()) out.push_back(finding_from_row(st));
        return out;
    });
}

prism::result<void> project::delete_finding(int64_t id) {
    return m->write([&](sql::connection& conn) {
        conn.prepare("DELETE FROM findings WHERE id = ?").bind(1, id).run();
        if (conn.changes() == 0) throw_invalid("finding " + std::to_string(id) + " does not exist");
    });
}

}  // namespace prism::projects
