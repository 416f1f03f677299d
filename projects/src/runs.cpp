// Run records: a run is added in status running, grows while tokens stream in, and is
// finished once with its outcome and timings.
//
// Streaming appends are one UPDATE each: the text is concatenated and the two JSON arrays
// (token ids, per-token alternatives) are spliced in SQL ("[a,b]" + "[c]" -> "[a,b,c]"),
// so an append never reads the run back and is atomic on its own. The arrays are only ever
// written by this file in compact form, which the splice relies on. The seed column holds
// params.seed as the int64 with the same bits (see schema.h); params_json repeats it as a
// decimal string together with the other parameters.
#include <bit>
#include <cmath>

#include "project_impl.h"
#include "record_json.h"

namespace prism::projects {

namespace {

run_status status_from_text(const std::string& s, int64_t run_id) {
    if (s == "running") return run_status::running;
    if (s == "finished") return run_status::finished;
    if (s == "stopped") return run_status::stopped;
    if (s == "failed") return run_status::failed;
    throw prism::engine_error(prism::errc::format, "run " + std::to_string(run_id) +
                                                       " has an unknown status '" + s + "'");
}

void require_timing(const std::optional<double>& v, const char* name) {
    if (v && (!std::isfinite(*v) || *v < 0))
        throw_invalid(std::string(name) + " must be a finite number >= 0");
}

// Why an UPDATE ... WHERE id = ? AND status = 'running' changed nothing.
[[noreturn]] void throw_not_running(sql::connection& conn, int64_t run_id, const char* action) {
    auto st = conn.prepare("SELECT status FROM runs WHERE id = ?");
    st.bind(1, run_id);
    if (!st.step()) throw_invalid("run " + std::to_string(run_id) + " does not exist");
    throw_invalid("run " + std::to_string(run_id) + " is " + st.column_text(0) + "; " + action);
}

constexpr const char* k_summary_columns = "id, created_at, finished_at, model_id, prompt, status, "
                                          "n_tokens, ttft_ms, tokens_per_s";

}  // namespace

prism::result<int64_t> project::add_run(const new_run& run) {
    return m->write([&](sql::connection& conn) {
        json_codec::validate_params(run.params);
        sql::transaction tx(conn);
        require_row_in_transaction(conn, "models", run.model_id, "model");
        conn.prepare("INSERT INTO runs (created_at, model_id, prompt, system_prompt, params_json, "
                     "seed, status) VALUES (?, ?, ?, ?, ?, ?, 'running')")
            .bind_all(now_ms(), run.model_id, run.prompt, run.params.system_prompt,
                      json_codec::params_to_json(run.params),
                      std::bit_cast<int64_t>(run.params.seed))
            .run();
        const int64_t id = conn.last_insert_rowid();
        tx.commit();
        return id;
    });
}

prism::result<void> project::append_run_output(int64_t run_id, const run_output_delta& delta) {
    return m->write([&](sql::connection& conn) {
        const size_t n = delta.token_ids.size();
        if (!delta.top_alternatives.empty() && delta.top_alternatives.size() != n)
            throw_invalid("append_run_output: " + std::to_string(delta.top_alternatives.size()) +
                          " alternative lists for " + std::to_string(n) +
                          " tokens (give one list per token, or none)");
        std::string alternatives;
        if (delta.top_alternatives.empty()) {
            const std::vector<std::vector<token_alternative>> none(n);
            alternatives = json_codec::alternatives_to_json(none);
        } else {
            alternatives = json_codec::alternatives_to_json(delta.top_alternatives);
        }
        auto st = conn.prepare(R"sql(
UPDATE runs SET
    output_text = output_text || ?2,
    n_tokens = n_tokens + ?3,
    token_ids_json = CASE
        WHEN ?3 = 0 THEN token_ids_json
        WHEN token_ids_json = '[]' THEN ?4
        ELSE substr(token_ids_json, 1, length(token_ids_json) - 1) || ',' || substr(?4, 2) END,
    top_alternatives_json = CASE
        WHEN ?3 = 0 THEN top_alternatives_json
        WHEN top_alternatives_json = '[]' THEN ?5
        ELSE substr(top_alternatives_json, 1, length(top_alternatives_json) - 1) || ',' ||
             substr(?5, 2) END
WHERE id = ?1 AND status = 'running')sql");
        st.bind_all(run_id, delta.text, static_cast<int64_t>(n),
                    json_codec::int_array_to_json(delta.token_ids), alternatives)
            .run();
        if (conn.changes() == 0) throw_not_running(conn, run_id, "its output can no longer change");
    });
}

prism::result<void> project::finish_run(int64_t run_id, const run_outcome& outcome) {
    return m->write([&](sql::connection& conn) {
        if (outcome.status == run_status::running)
            throw_invalid("finish_run: the outcome status must be finished, stopped or failed");
        require_timing(outcome.ttft_ms, "ttft_ms");
        require_timing(outcome.tokens_per_s, "tokens_per_s");
        const std::optional<std::string> error =
            outcome.error.empty() ? std::nullopt : std::optional(outcome.error);
        conn.prepare("UPDATE runs SET status = ?2, finished_at = ?3, ttft_ms = ?4, "
                     "tokens_per_s = ?5, error = ?6 WHERE id = ?1 AND status = 'running'")
            .bind_all(run_id, run_status_name(outcome.status), now_ms(), outcome.ttft_ms,
                      outcome.tokens_per_s, error)
            .run();
        if (conn.changes() == 0) throw_not_running(conn, run_id, "it was finished already");
    });
}

prism::result<std::vector<run_summary>> project::list_runs(const run_page& page) {
    return m->read([&](sql::connection& conn) {
        if (page.limit < 1 || page.limit > 1000)
            throw_invalid("list_runs: limit must be in 1..1000, got " + std::to_string(page.limit));
        auto st = conn.prepare(std::string("SELECT ") + k_summary_columns +
                               " FROM runs WHERE (?1 <= 0 OR id < ?1) AND (?2 IS NULL OR "
                               "model_id = ?2) ORDER BY id DESC LIMIT ?3");
        st.bind_all(page.before_id, page.model_id, page.limit);
        std::vector<run_summary> out;
        while (st.step()) {
            const int64_t id = st.column_int64(0);
            out.push_back({.id = id,
                           .created_at = st.column_int64(1),
                           .finished_at = st.column_optional_int64(2),
                           .model_id = st.column_int64(3),
                           .prompt = st.column_text(4),
                           .status = status_from_text(st.column_text(5), id),
                           .n_tokens = st.column_int64(6),
                           .ttft_ms = st.column_optional_double(7),
                           .tokens_per_s = st.column_optional_double(8)});
        }
        return out;
    });
}

prism::result<run_record> project::get_run(int64_t id) {
    return m->read([&](sql::connection& conn) {
        auto st = conn.prepare(
            "SELECT created_at, finished_at, model_id, prompt, system_prompt, params_json, seed, "
            "output_text, token_ids_json, top_alternatives_json, ttft_ms, tokens_per_s, status, "
            "error FROM runs WHERE id = ?");
        st.bind(1, id);
        if (!st.step()) throw_invalid("run " + std::to_string(id) + " does not exist");
        const std::string what = "run " + std::to_string(id);
        run_record r;
        r.id = id;
        r.created_at = st.column_int64(0);
        r.finished_at = st.column_optional_int64(1);
        r.model_id = st.column_int64(2);
        r.prompt = st.column_text(3);
        r.params = json_codec::params_from_json(st.column_text(5), what + " params");
        r.params.system_prompt = st.column_optional_text(4);
        r.params.seed = std::bit_cast<uint64_t>(st.column_int64(6));
        r.output_text = st.column_text(7);
        r.token_ids = json_codec::int_array_from_json(st.column_text(8), what + " token ids");
        r.top_alternatives =
            json_codec::alternatives_from_json(st.column_text(9), what + " top alternatives");
        if (r.top_alternatives.size() != r.token_ids.size())
            throw prism::engine_error(prism::errc::format,
                                      what + ": " + std::to_string(r.top_alternatives.size()) +
                                          " alternative lists for " +
                                          std::to_string(r.token_ids.size()) + " tokens");
        r.ttft_ms = st.column_optional_double(10);
        r.tokens_per_s = st.column_optional_double(11);
        r.status = status_from_text(st.column_text(12), id);
        r.error = st.column_text(13);
        return r;
    });
}

}  // namespace prism::projects
