// Creating and opening project folders, and every way opening can fail: not a project
// folder, random bytes or a damaged file in project.prism.db, another application's
// database, a database from a newer Prism Studio (refused read-write, readable read-only),
// and a database locked by another process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "expect_error.h"
#include "prism/projects/project.h"
#include "prism/projects/schema.h"
#include "prism/projects/sql.h"
#include "project_test_util.h"

namespace fs = std::filesystem;
namespace sql = prism::projects::sql;
using prism::errc;
using prism::projects::project;
using prism::test::expect_error;
using prism::test::must;

namespace {

std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

void set_user_version(const fs::path& db, int v) {
    auto c = sql::connection::open(db, {});
    c.exec("PRAGMA user_version = " + std::to_string(v));
}

}  // namespace

TEST(ProjectOpen, CreateMakesFolderDatabaseAndBlobs) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "nested" / "my project";
    {
        auto p = must(project::create(dir), "create");
        EXPECT_EQ(p.dir(), dir);
        EXPECT_EQ(p.schema_version(), prism::projects::k_schema_version);
        EXPECT_FALSE(p.read_only());
        must(p.set_setting("k", "v"));
    }
    EXPECT_TRUE(fs::is_regular_file(dir / "project.prism.db"));
    EXPECT_TRUE(fs::is_directory(dir / "blobs"));
    auto p = must(project::open(dir), "open");
    EXPECT_EQ(must(p.get_setting("k")), "v");
    must(p.integrity_check());
}

TEST(ProjectOpen, CreateAcceptsAnEmptyFolderButNothingElse) {
    prism::test::temp_dir tmp;
    const fs::path empty = tmp.subdir("empty");
    EXPECT_TRUE(project::create(empty).has_value());

    expect_error(project::create(empty), errc::invalid_argument, "already holds a Prism project");

    const fs::path busy = tmp.subdir("busy");
    prism::test::write_file((fs::path(busy) / "notes.txt").string(), "mine");
    expect_error(project::create(busy), errc::invalid_argument, "not empty");
    EXPECT_TRUE(fs::exists(fs::path(busy) / "notes.txt"));
    EXPECT_FALSE(fs::exists(fs::path(busy) / "project.prism.db"));

    prism::test::write_file(tmp.file("a-file"), "x");
    expect_error(project::create(tmp.file("a-file")), errc::invalid_argument, "not a folder");
}

TEST(ProjectOpen, NotAProjectFolder) {
    prism::test::temp_dir tmp;
    expect_error(project::open(tmp.path() / "missing"), errc::io, "does not exist");
    expect_error(project::open(tmp.subdir("plain")), errc::io, "not a Prism project folder");
    prism::test::write_file(tmp.file("file"), "x");
    expect_error(project::open(tmp.file("file")), errc::io, "is not a folder");
}

TEST(ProjectOpen, RandomBytesAreACleanFormatError) {
    prism::test::temp_dir tmp;
    for (uint32_t seed : {1u, 2u, 3u}) {
        const fs::path dir = tmp.subdir("p" + std::to_string(seed));
        const std::string junk = random_bytes(seed == 3 ? 37 : 8192, seed);
        prism::test::write_file((dir / "project.prism.db").string(), junk);
        const auto r = project::open(dir);
        expect_error(r, errc::format, "not a Prism project database");
        if (!r) {
            EXPECT_EQ(r.error().path, (dir / "project.prism.db").string());
        }
        // Nothing was written to the file.
        EXPECT_EQ(prism::test::read_file((dir / "project.prism.db").string()), junk);
    }
}

TEST(ProjectOpen, DamagedPagesNeverCrashAndAreReportedAsFormat) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    {
        auto p = must(project::create(dir));
        const int64_t model = prism::test::add_test_model(p);
        for (int i = 0; i < 50; ++i)
            must(p.add_run({.model_id = model, .prompt = std::string(3000, 'x')}));
    }
    // Keep the 100-byte header and the first page, scramble the rest.
    const std::string path = (dir / "project.prism.db").string();
    std::string bytes = prism::test::read_file(path);
    ASSERT_GT(bytes.size(), 8192u);
    const std::string junk = random_bytes(bytes.size() - 4096, 7);
    bytes.replace(4096, junk.size(), junk);
    prism::test::write_file(path, bytes);

    auto p = project::open(dir);
    if (!p) {
        EXPECT_EQ(p.error().code, errc::format) << p.error().message;
        return;
    }
    const auto check = p->integrity_check();
    ASSERT_FALSE(check.has_value());
    EXPECT_EQ(check.error().code, errc::format) << check.error().message;
    const auto runs = p->list_runs();
    if (!runs) {
        EXPECT_EQ(runs.error().code, errc::format) << runs.error().message;
    }
}

TEST(ProjectOpen, AnotherApplicationsDatabaseIsRefused) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.subdir("other");
    {
        auto c = sql::connection::open(dir / "project.prism.db",
                                       {.mode = sql::open_mode::read_write_create});
        c.exec("CREATE TABLE contacts (name TEXT)");
    }
    expect_error(project::open(dir), errc::format, "not a Prism project");
    {
        auto c = sql::connection::open(dir / "project.prism.db", {});
        c.exec("PRAGMA application_id = 1234");
    }
    expect_error(project::open(dir), errc::format, "another application");
}

TEST(ProjectOpen, EmptyDatabaseFileIsInitialized) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.subdir("empty-db");
    prism::test::write_file((dir / "project.prism.db").string(), "");
    expect_error(project::open(dir, {.read_only = true}), errc::unsupported, "empty");
    auto p = must(project::open(dir));
    EXPECT_EQ(p.schema_version(), prism::projects::k_schema_version);
    EXPECT_TRUE(fs::is_directory(dir / "blobs"));
}

// Policy: a database from a newer Prism Studio is refused read-write (errc::unsupported,
// naming both versions) and opens read-only on request.
TEST(ProjectOpen, NewerVersionRefusedReadWriteButOpensReadOnly) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    {
        auto p = must(project::create(dir));
        must(p.set_setting("k", "v"));
    }
    const int newer = prism::projects::k_schema_version + 1;
    set_user_version(dir / "project.prism.db", newer);

    const auto rw = project::open(dir);
    expect_error(rw, errc::unsupported, "newer Prism Studio");
    if (!rw) {
        EXPECT_NE(rw.error().message.find("v" + std::to_string(newer)), std::string::npos);
        EXPECT_NE(rw.error().message.find("read-only"), std::string::npos);
    }

    auto ro = must(project::open(dir, {.read_only = true}), "read-only open");
    EXPECT_TRUE(ro.read_only());
    EXPECT_EQ(ro.schema_version(), newer);
    EXPECT_EQ(must(ro.get_setting("k")), "v");
    expect_error(ro.set_setting("k", "w"), errc::unsupported, "read-only");
    expect_error(ro.create_preset("x", {}), errc::unsupported, "read-only");

    // Untouched: still the newer version.
    auto c = sql::connection::open(dir / "project.prism.db", {});
    EXPECT_EQ(prism::projects::schema_version(c), newer);
}

TEST(ProjectOpen, ReadOnlyOpenOfCurrentProject) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    must(project::create(dir));
    auto ro = must(project::open(dir, {.read_only = true}));
    EXPECT_TRUE(ro.read_only());
    EXPECT_TRUE(must(ro.list_runs()).empty());
    expect_error(ro.add_model({.sha256 = std::string(64, 'a'), .format = "gguf", .name = "m"}),
                 errc::unsupported, "read-only");
}

// Another process holding the database exclusively (here: a connection in exclusive locking
// mode that has written) makes open() fail after the busy timeout with "locked".
TEST(ProjectOpen, LockedDatabaseIsReported) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    must(project::create(dir));
    {
        auto holder = sql::connection::open(dir / "project.prism.db", {});
        holder.exec("PRAGMA locking_mode = EXCLUSIVE");
        holder.exec("INSERT INTO settings VALUES ('held', '1')");

        const auto r = project::open(dir, {.busy_timeout_ms = 200});
        expect_error(r, errc::io, "locked");
    }  // closing the holder releases the lock
    auto p = must(project::open(dir, {.busy_timeout_ms = 200}), "open after release");
    EXPECT_EQ(must(p.get_setting("held")), "1");
}

TEST(ProjectOpen, MissingBlobsFolderIsRecreated) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    must(project::create(dir));
    fs::remove_all(dir / "blobs");
    must(project::open(dir));
    EXPECT_TRUE(fs::is_directory(dir / "blobs"));
}

TEST(ProjectOpen, MovedProjectKeepsWorking) {
    prism::test::temp_dir tmp;
    const fs::path a = tmp.path() / "a", b = tmp.path() / "b";
    {
        auto p = must(project::create(a));
        const int64_t model = prism::test::add_test_model(p);
        const int64_t run = must(p.add_run({.model_id = model}));
        must(p.add_attention_snapshot(run, std::vector<int32_t>{0}, std::vector<int32_t>{0},
                                      prism::test::bytes_of("attention")));
    }
    fs::rename(a, b);
    auto p = must(project::open(b));
    const auto snaps = must(p.list_attention_snapshots(1));
    ASSERT_EQ(snaps.size(), 1u);
    EXPECT_EQ(must(p.read_attention_blob(snaps[0].id)), prism::test::bytes_of("attention"));
}
