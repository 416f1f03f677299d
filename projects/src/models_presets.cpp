// Model and preset records. Inputs are validated before any SQL runs (clear messages for
// blank names, malformed hashes, bad parameters); uniqueness is checked inside the write
// transaction so two writers cannot both pass the check, and the UNIQUE constraints in the
// schema stay as the last line of defence.
#include <algorithm>
#include <cctype>

#include "prism/projects/sha256.h"
#include "project_impl.h"
#include "record_json.h"

namespace prism::projects {

namespace {

std::string trimmed(std::string_view s) {
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

std::string normalized_sha256(std::string_view sha) {
    std::string s(sha);
    std::transform(s.begin(), s.end(), s.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (!is_sha256_hex(s))
        throw_invalid("a sha256 must be 64 hex digits, got '" + std::string(sha.substr(0, 80)) +
                      "'");
    return s;
}

constexpr const char* k_model_columns = "id, path, sha256, format, name, metadata_json, added_at";

model_record model_from_row(const sql::statement& st) {
    return {.id = st.column_int64(0),
            .path = st.column_text(1),
            .sha256 = st.column_text(2),
            .format = st.column_text(3),
            .name = st.column_text(4),
            .metadata_json = st.column_text(5),
            .added_at = st.column_int64(6)};
}

constexpr const char* k_preset_columns = "id, name, params_json, created_at, updated_at";

preset_record preset_from_row(const sql::statement& st) {
    const int64_t id = st.column_int64(0);
    return {.id = id,
            .name = st.column_text(1),
            .params = json_codec::params_from_json(st.column_text(2),
                                                   "preset " + std::to_string(id) + " params"),
            .created_at = st.column_int64(3),
            .updated_at = st.column_int64(4)};
}

std::string valid_preset_name(std::string_view name) {
    std::string n = trimmed(name);
    if (n.empty()) throw_invalid("a preset name must not be empty");
    return n;
}

// Throws if another preset (id != except_id) already has `name`.
void require_free_preset_name_in_transaction(sql::connection& conn, const std::string& name,
                                             int64_t except_id) {
    conn.require_transaction("require_free_preset_name_in_transaction");
    auto st = conn.prepare("SELECT id FROM presets WHERE name = ? AND id != ?");
    st.bind_all(name, except_id);
    if (st.step()) throw_invalid("a preset named '" + name + "' already exists");
}

}  // namespace

// ---- models -------------------------------------------------------------------------------

prism::result<int64_t> project::add_model(const new_model& model) {
    return m->write([&](sql::connection& conn) {
        const std::string sha = normalized_sha256(model.sha256);
        if (trimmed(model.format).empty()) throw_invalid("a model format must not be empty");
        if (trimmed(model.name).empty()) throw_invalid("a model name must not be empty");
        json_codec::require_json_object(model.metadata_json, "model metadata");
        sql::transaction tx(conn);
        auto dup = conn.prepare("SELECT id FROM models WHERE sha256 = ?");
        dup.bind(1, sha);
        if (dup.step())
            throw_invalid("a model with sha256 " + sha + " is already in the project (model " +
                          std::to_string(dup.column_int64(0)) + ")");
        conn.prepare("INSERT INTO models (path, sha256, format, name, metadata_json, added_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)")
            .bind_all(model.path, sha, model.format, model.name, model.metadata_json, now_ms())
            .run();
        const int64_t id = conn.last_insert_rowid();
        tx.commit();
        return id;
    });
}

prism::result<std::optional<model_record>> project::find_model_by_sha256(std::string_view sha256) {
    return m->read([&](sql::connection& conn) -> std::optional<model_record> {
        auto st = conn.prepare(std::string("SELECT ") + k_model_columns +
                               " FROM models WHERE sha256 = ?");
        st.bind(1, normalized_sha256(sha256));
        if (!st.step()) return std::nullopt;
        return model_from_row(st);
    });
}

prism::result<model_record> project::get_model(int64_t id) {
    return m->read([&](sql::connection& conn) {
        auto st =
            conn.prepare(std::string("SELECT ") + k_model_columns + " FROM models WHERE id = ?");
        st.bind(1, id);
        if (!st.step()) throw_invalid("model " + std::to_string(id) + " does not exist");
        return model_from_row(st);
    });
}

prism::result<std::vector<model_record>> project::list_models() {
    return m->read([&](sql::connection& conn) {
        auto st =
            conn.prepare(std::string("SELECT ") + k_model_columns + " FROM models ORDER BY id");
        std::vector<model_record> out;
        while (st.step()) out.push_back(model_from_row(st));
        return out;
    });
}

// ---- presets ------------------------------------------------------------------------------

prism::result<int64_t> project::create_preset(std::string_view name,
                                              const generation_params& params) {
    return m->write([&](sql::connection& conn) {
        const std::string n = valid_preset_name(name);
        json_codec::validate_params(params);
        const timestamp_ms now = now_ms();
        sql::transaction tx(conn);
        require_free_preset_name_in_transaction(conn, n, 0);
        conn.prepare("INSERT INTO presets (name, params_json, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?)")
            .bind_all(n, json_codec::params_to_json(params), now, now)
            .run();
        const int64_t id = conn.last_insert_rowid();
        tx.commit();
        return id;
    });
}

prism::result<preset_record> project::get_preset(int64_t id) {
    return m->read([&](sql::connection& conn) {
        auto st =
            conn.prepare(std::string("SELECT ") + k_preset_columns + " FROM presets WHERE id = ?");
        st.bind(1, id);
        if (!st.step()) throw_invalid("preset " + std::to_string(id) + " does not exist");
        return preset_from_row(st);
    });
}

prism::result<std::optional<preset_record>> project::find_preset_by_name(std::string_view name) {
    return m->read([&](sql::connection& conn) -> std::optional<preset_record> {
        auto st = conn.prepare(std::string("SELECT ") + k_preset_columns +
                               " FROM presets WHERE name = ?");
        st.bind(1, trimmed(name));
        if (!st.step()) return std::nullopt;
        return preset_from_row(st);
    });
}

prism::result<std::vector<preset_record>> project::list_presets() {
    return m->read([&](sql::connection& conn) {
        auto st = conn.prepare(std::string("SELECT ") + k_preset_columns +
                               " FROM presets ORDER BY name, id");
        std::vector<preset_record> out;
        while (st.step()) out.push_back(preset_from_row(st));
        return out;
    });
}

prism::result<void> project::update_preset(int64_t id, std::string_view name,
                                           const generation_params& params) {
    return m->write([&](sql::connection& conn) {
        const std::string n = valid_preset_name(name);
        json_codec::validate_params(params);
        sql::transaction tx(conn);
        require_row_in_transaction(conn, "presets", id, "preset");
        require_free_preset_name_in_transaction(conn, n, id);
        conn.prepare("UPDATE presets SET name = ?, params_json = ?, updated_at = ? WHERE id = ?")
            .bind_all(n, json_codec::params_to_json(params), now_ms(), id)
            .run();
        tx.commit();
    });
}

prism::result<void> project::delete_preset(int64_t id) {
    return m->write([&](sql::connection& conn) {
        conn.prepare("DELETE FROM presets WHERE id = ?").bind(1, id).run();
        if (conn.changes() == 0) throw_invalid("preset " + std::to_string(id) + " does not exist");
    });
}

}  // namespace prism::projects
