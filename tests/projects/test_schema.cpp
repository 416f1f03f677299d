// Schema versions and migrations: a fresh database reaches k_schema_version in one step
// list; a failing step leaves the old version and content intact; a newer database is
// refused; and the committed golden v1 project (tests/data/projects/v1) opens with the
// current code with every record intact. When v2 arrives this golden is what gets upgraded.
//
// The golden is written by Golden.DISABLED_WriteV1 (raw v1 SQL, so it stays valid as the
// record code moves on):
//   ./projects_test_schema --gtest_also_run_disabled_tests --gtest_filter=Golden.DISABLED_WriteV1
// It must not be regenerated once released; add tests/data/projects/v2 beside it instead.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "prism/projects/project.h"
#include "prism/projects/schema.h"
#include "prism/projects/sha256.h"
#include "project_test_util.h"

namespace fs = std::filesystem;
namespace sql = prism::projects::sql;
using prism::projects::k_schema_version;
using prism::projects::migration;

namespace {

sql::connection open_db(const std::string& path) {
    return sql::connection::open(path, {.mode = sql::open_mode::read_write_create});
}

bool has_table(sql::connection& db, const std::string& name) {
    auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    st.bind(1, name);
    return st.step();
}

}  // namespace

TEST(Schema, FreshDatabaseMigratesToCurrentVersion) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("p.db"));
    EXPECT_EQ(prism::projects::schema_version(db), 0);
    EXPECT_EQ(prism::projects::migrate(db), 0);
    EXPECT_EQ(prism::projects::schema_version(db), k_schema_version);
    EXPECT_EQ(db.query_int64("PRAGMA application_id"), prism::projects::k_application_id);
    for (const char* t :
         {"settings", "models", "presets", "runs", "attention_snapshots", "findings"})
        EXPECT_TRUE(has_table(db, t)) << t;
    EXPECT_EQ(prism::projects::migrate(db), k_schema_version);  // nothing left to do
    EXPECT_EQ(db.query_int64("PRAGMA foreign_keys"), 1);
}

TEST(Schema, StepsAreContiguousFromOne) {
    const auto steps = prism::projects::migrations();
    ASSERT_EQ(static_cast<int>(steps.size()), k_schema_version);
    for (size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(steps[i].to_version, static_cast<int>(i) + 1);
        EXPECT_FALSE(steps[i].description.empty());
    }
}

TEST(Schema, FailingStepLeavesOldVersionAndContentIntact) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("p.db"));
    prism::projects::migrate(db);
    db.exec("INSERT INTO settings VALUES ('kept', 'yes')");

    std::vector<migration> steps(prism::projects::migrations().begin(),
                                 prism::projects::migrations().end());
    steps.push_back({k_schema_version + 1, "adds a table, then fails", [](sql::connection& c) {
                         c.exec("CREATE TABLE half_done (x INTEGER)");
                         c.exec("UPDATE settings SET value = 'clobbered'");
                         throw prism::engine_error(prism::errc::internal, "step failed on purpose");
                     }});
    try {
        prism::projects::migrate(db, steps, k_schema_version + 1);
        FAIL() << "migration succeeded";
    } catch (const prism::engine_error& e) {
        EXPECT_NE(std::string(e.what()).find("on purpose"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("adds a table"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(db.in_transaction());
    EXPECT_EQ(prism::projects::schema_version(db), k_schema_version);
    EXPECT_FALSE(has_table(db, "half_done"));
    auto st = db.prepare("SELECT value FROM settings WHERE key = 'kept'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "yes");
    EXPECT_EQ(db.query_int64("PRAGMA foreign_keys"), 1);
}

TEST(Schema, FailureInALaterStepUndoesEarlierStepsOfTheSameCall) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("p.db"));
    std::vector<migration> steps(prism::projects::migrations().begin(),
                                 prism::projects::migrations().end());
    steps.push_back({k_schema_version + 1, "fails", [](sql::connection&) {
                         throw prism::engine_error(prism::errc::internal, "no");
                     }});
    EXPECT_THROW(prism::projects::migrate(db, steps, k_schema_version + 1), prism::engine_error);
    EXPECT_EQ(prism::projects::schema_version(db), 0);
    EXPECT_FALSE(has_table(db, "runs"));
}

TEST(Schema, StepsRunInOrderAndMayRebuildTables) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("p.db"));
    prism::projects::migrate(db);
    db.exec("INSERT INTO models (path, sha256, format, name, added_at) VALUES "
            "('m', '" +
            std::string(64, 'a') + "', 'gguf', 'm', 0)");
    db.exec("INSERT INTO runs (created_at, model_id, prompt, params_json, seed) "
            "VALUES (0, 1, 'p', '{}', 0)");
    // A v2 that rebuilds `models` (the SQLite way: new table, copy, drop, rename) while
    // `runs` references it, and a v3 that depends on v2's table.
    std::vector<migration> steps(prism::projects::migrations().begin(),
                                 prism::projects::migrations().end());
    steps.push_back({k_schema_version + 1, "rebuild models", [](sql::connection& c) {
                         c.exec("CREATE TABLE models_new (id INTEGER PRIMARY KEY, path TEXT, "
                                "sha256 TEXT, format TEXT, name TEXT, metadata_json TEXT, "
                                "added_at INTEGER, size_bytes INTEGER NOT NULL DEFAULT 0);"
                                "INSERT INTO models_new (id, path, sha256, format, name, "
                                "metadata_json, added_at) SELECT * FROM models;"
                                "DROP TABLE models; ALTER TABLE models_new RENAME TO models;"
                                "CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT)");
                     }});
    steps.push_back({k_schema_version + 2, "uses v2", [](sql::connection& c) {
                         c.exec("ALTER TABLE datasets ADD COLUMN rows INTEGER NOT NULL DEFAULT 0");
                     }});
    EXPECT_EQ(prism::projects::migrate(db, steps, k_schema_version + 2), k_schema_version);
    EXPECT_EQ(prism::projects::schema_version(db), k_schema_version + 2);
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM runs JOIN models ON models.id = runs.model_id"),
              1);
    EXPECT_EQ(db.query_int64("SELECT rows FROM datasets UNION ALL SELECT 0 LIMIT 1"), 0);
}

TEST(Schema, DanglingReferenceLeftByAStepAbortsTheMigration) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("p.db"));
    prism::projects::migrate(db);
    std::vector<migration> steps(prism::projects::migrations().begin(),
                                 prism::projects::migrations().end());
    steps.push_back({k_schema_version + 1, "dangling", [](sql::connection& c) {
                         c.exec("INSERT INTO findings (run_id, layer, head, token_start, "
                                "token_end, note, created_at) VALUES (99, 0, 0, 0, 1, '', 0)");
                     }});
    try {
        prism::projects::migrate(db, steps, k_schema_version + 1);
        FAIL();
    } catch (const prism::engine_error& e) {
        EXPECT_NE(std::string(e.what()).find("dangling"), std::string::npos) << e.what();
    }
    EXPECT_EQ(prism::projects::schema_version(db), k_schema_version);
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM findings"), 0);
}

TEST(Schema, NewerDatabaseAndMissingStepAreRefused) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("p.db"));
    prism::projects::migrate(db);
    db.exec("PRAGMA user_version = " + std::to_string(k_schema_version + 3));
    try {
        prism::projects::migrate(db);
        FAIL();
    } catch (const prism::engine_error& e) {
        EXPECT_EQ(e.code(), prism::errc::unsupported);
    }
    EXPECT_EQ(prism::projects::schema_version(db), k_schema_version + 3);

    auto fresh = open_db(dir.file("q.db"));
    try {
        prism::projects::migrate(fresh, prism::projects::migrations(), k_schema_version + 1);
        FAIL();
    } catch (const prism::engine_error& e) {
        EXPECT_EQ(e.code(), prism::errc::internal);
        EXPECT_NE(std::string(e.what()).find("no migration step"), std::string::npos);
    }
    EXPECT_EQ(prism::projects::schema_version(fresh), 0);
}

// ---- golden v1 ----------------------------------------------------------------------------

namespace {

const std::string k_golden_dir = std::string(PRISM_TEST_DATA_DIR) + "/projects/v1";

std::vector<std::byte> golden_blob() {
    std::vector<std::byte> b(64);
    for (size_t i = 0; i < b.size(); ++i) b[i] = std::byte(static_cast<uint8_t>(i * 7 + 1));
    return b;
}

}  // namespace

TEST(Golden, DISABLED_WriteV1) {
    const fs::path dir = k_golden_dir;
    fs::remove_all(dir);
    fs::create_directories(dir / "blobs");
    const auto blob = golden_blob();
    const std::string blob_sha = prism::projects::sha256_hex(blob);
    prism::test::write_file((dir / "blobs" / (blob_sha + ".bin")).string(),
                            std::string(reinterpret_cast<const char*>(blob.data()), blob.size()));
    {
        auto db = sql::connection::open(dir / "project.prism.db",
                                        {.mode = sql::open_mode::read_write_create, .wal = false});
        db.exec("PRAGMA page_size = 1024");
        prism::projects::migrate(db, prism::projects::migrations(), 1);
        const std::string model_sha = prism::projects::sha256_hex(std::string_view("golden model"));
        db.exec(R"sql(
INSERT INTO settings VALUES ('ui.last_tab', 'playground');
INSERT INTO models VALUES (1, '/models/stories260K.gguf', ')sql" +
                model_sha +
                R"sql(', 'gguf',
    'stories260K', '{"n_layer":5,"n_head":8}', 1700000000000);
INSERT INTO presets VALUES (1, 'precise', '{"temp":0.2,"top_k":20,"top_p":0.9,"min_p":0.05,)sql"
                R"sql("repeat_penalty":1.1,"repeat_last_n":64,"seed":"18446744073709551615",)sql"
                R"sql("n_predict":128,"system_prompt":"Be brief."}', 1700000000100, 1700000000200);
INSERT INTO runs VALUES (1, 1700000001000, 1700000002000, 1, 'Once upon a time', NULL,
    '{"temp":0.0,"top_k":40,"top_p":0.95,"min_p":0.05,"repeat_penalty":1.0,"repeat_last_n":64,)sql"
                R"sql("seed":"42","n_predict":2}', 42, ' there was', 2, '[612,471]',
    '[[{"id":612,"piece":" there","p":0.5},{"id":9,"piece":" a","p":0.25}],)sql"
                R"sql([{"id":471,"piece":" was","p":0.75}]]', 12.5, 300.25, 'finished', NULL);
INSERT INTO runs VALUES (2, 1700000003000, 1700000003500, 1, 'Hi', 'Be kind.',
    '{"temp":0.8,"top_k":40,"top_p":0.95,"min_p":0.05,"repeat_penalty":1.0,"repeat_last_n":64,)sql"
                R"sql("seed":"18446744073709551615","n_predict":-1,"system_prompt":"Be kind."}',
    -1, '', 0, '[]', '[]', NULL, NULL, 'failed', 'out of memory');
INSERT INTO attention_snapshots VALUES (1, 1, '[0,4]', '[0,1,2]', 'blobs/)sql" +
                blob_sha + R"sql(.bin', ')sql" + blob_sha + R"sql(', 64, 1700000002100);
INSERT INTO findings VALUES (1, 1, 4, 2, 0, 2, 'head 4.2 attends to "Once"', 1700000002200);
INSERT INTO findings VALUES (2, 1, 0, -1, 1, 2, 'whole layer 0', 1700000002300);
)sql");
        db.exec("PRAGMA journal_mode = WAL");
    }
    EXPECT_FALSE(fs::exists(dir / "project.prism.db-wal"));
}

TEST(Golden, V1OpensWithCurrentCodeAndDataIsIntact) {
    ASSERT_TRUE(fs::exists(fs::path(k_golden_dir) / "project.prism.db")) << k_golden_dir;
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "v1";
    fs::copy(k_golden_dir, dir, fs::copy_options::recursive);

    auto p = prism::test::must(prism::projects::project::open(dir), "open golden v1");
    EXPECT_EQ(p.schema_version(), k_schema_version);
    prism::test::must(p.integrity_check(), "integrity");

    EXPECT_EQ(prism::test::must(p.get_setting("ui.last_tab")), "playground");

    const auto model = prism::test::must(
        p.find_model_by_sha256(prism::projects::sha256_hex(std::string_view("golden model"))));
    ASSERT_TRUE(model.has_value());
    EXPECT_EQ(model->id, 1);
    EXPECT_EQ(model->name, "stories260K");
    EXPECT_EQ(model->metadata_json, R"({"n_layer":5,"n_head":8})");
    EXPECT_EQ(model->added_at, 1700000000000);

    const auto preset = prism::test::must(p.find_preset_by_name("precise"));
    ASSERT_TRUE(preset.has_value());
    EXPECT_EQ(preset->params.temp, 0.2f);
    EXPECT_EQ(preset->params.top_k, 20);
    EXPECT_EQ(preset->params.repeat_penalty, 1.1f);
    EXPECT_EQ(preset->params.seed, UINT64_MAX);
    EXPECT_EQ(preset->params.n_predict, 128);
    EXPECT_EQ(preset->params.system_prompt, "Be brief.");

    const auto runs = prism::test::must(p.list_runs());
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].id, 2);
    EXPECT_EQ(runs[1].id, 1);

    const auto r1 = prism::test::must(p.get_run(1));
    EXPECT_EQ(r1.prompt, "Once upon a time");
    EXPECT_EQ(r1.output_text, " there was");
    EXPECT_EQ(r1.token_ids, (std::vector<int32_t>{612, 471}));
    ASSERT_EQ(r1.top_alternatives.size(), 2u);
    ASSERT_EQ(r1.top_alternatives[0].size(), 2u);
    EXPECT_EQ(r1.top_alternatives[0][1].piece, " a");
    EXPECT_EQ(r1.top_alternatives[1][0].p, 0.75f);
    EXPECT_EQ(r1.params.seed, 42u);
    EXPECT_EQ(r1.params.temp, 0.0f);
    EXPECT_EQ(r1.ttft_ms, 12.5);
    EXPECT_EQ(r1.tokens_per_s, 300.25);
    EXPECT_EQ(r1.status, prism::projects::run_status::finished);
    EXPECT_EQ(r1.finished_at, 1700000002000);

    const auto r2 = prism::test::must(p.get_run(2));
    EXPECT_EQ(r2.status, prism::projects::run_status::failed);
    EXPECT_EQ(r2.error, "out of memory");
    EXPECT_EQ(r2.params.seed, UINT64_MAX);
    EXPECT_EQ(r2.params.system_prompt, "Be kind.");
    EXPECT_TRUE(r2.token_ids.empty());

    const auto snaps = prism::test::must(p.list_attention_snapshots(1));
    ASSERT_EQ(snaps.size(), 1u);
    EXPECT_EQ(snaps[0].layers, (std::vector<int32_t>{0, 4}));
    EXPECT_EQ(snaps[0].heads, (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(prism::test::must(p.read_attention_blob(snaps[0].id)), golden_blob());

    const auto findings = prism::test::must(p.list_findings(1));
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].layer, 0);
    EXPECT_EQ(findings[0].head, -1);
    EXPECT_EQ(findings[1].note, "head 4.2 attends to \"Once\"");

    // The upgraded project takes new records next to the old ones.
    const int64_t run = prism::test::must(p.add_run({.model_id = 1, .prompt = "again"}));
    EXPECT_EQ(run, 3);
}
