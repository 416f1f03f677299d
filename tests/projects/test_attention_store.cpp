// Attention snapshots and findings: blobs written under blobs/<sha256>.bin and read back
// verified; identical content stored once; tampered, truncated, missing or out-of-folder
// blobs are clean errors; findings added, listed, deleted; deleting a run cascades.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "expect_error.h"
#include "prism/projects/project.h"
#include "prism/projects/sha256.h"
#include "prism/projects/sql.h"
#include "project_test_util.h"

namespace fs = std::filesystem;
using prism::errc;
using prism::projects::project;
using prism::test::bytes_of;
using prism::test::expect_error;
using prism::test::must;
using prism::test::project_with_run;

namespace {

const std::vector<int32_t> k_layers = {0, 3};
const std::vector<int32_t> k_heads = {1, 2, 5};

}  // namespace

TEST(AttentionStore, SnapshotWritesVerifiedBlob) {
    project_with_run f;
    const auto data = bytes_of(std::string(10000, 'q') + "tail");
    const auto snap = must(f.p.add_attention_snapshot(f.run, k_layers, k_heads, data));
    EXPECT_GT(snap.id, 0);
    EXPECT_EQ(snap.run_id, f.run);
    EXPECT_EQ(snap.blob_sha256, prism::projects::sha256_hex(data));
    EXPECT_EQ(snap.blob_path, "blobs/" + snap.blob_sha256 + ".bin");
    EXPECT_EQ(snap.bytes, static_cast<int64_t>(data.size()));
    EXPECT_TRUE(fs::is_regular_file(f.p.dir() / snap.blob_path));
    // No temp files left next to it.
    for (const auto& e : fs::directory_iterator(f.p.dir() / "blobs"))
        EXPECT_EQ(e.path().extension(), ".bin") << e.path();

    const auto listed = must(f.p.list_attention_snapshots(f.run));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].layers, k_layers);
    EXPECT_EQ(listed[0].heads, k_heads);
    EXPECT_EQ(listed[0].created_at, snap.created_at);
    EXPECT_EQ(must(f.p.read_attention_blob(snap.id)), data);
}

TEST(AttentionStore, IdenticalContentIsStoredOnce) {
    project_with_run f;
    const auto data = bytes_of("same bytes");
    const auto a = must(f.p.add_attention_snapshot(f.run, k_layers, k_heads, data));
    const auto b = must(f.p.add_attention_snapshot(f.run, {k_layers.data(), 1}, k_heads, data));
    EXPECT_NE(a.id, b.id);
    EXPECT_EQ(a.blob_path, b.blob_path);
    size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(f.p.dir() / "blobs")) ++files;
    EXPECT_EQ(files, 1u);
    EXPECT_EQ(must(f.p.list_attention_snapshots(f.run)).size(), 2u);
}

TEST(AttentionStore, DamagedBlobIsAFormatErrorAndRewritingRepairsIt) {
    project_with_run f;
    const auto data = bytes_of("attention weights");
    const auto snap = must(f.p.add_attention_snapshot(f.run, k_layers, k_heads, data));
    const std::string path = (f.p.dir() / snap.blob_path).string();

    prism::test::write_file(path, "attention weightz");  // same size, other content
    expect_error(f.p.read_attention_blob(snap.id), errc::format, "sha256");
    prism::test::write_file(path, "attention");
    expect_error(f.p.read_attention_blob(snap.id), errc::format, "bytes");
    fs::remove(path);
    expect_error(f.p.read_attention_blob(snap.id), errc::io, "missing");

    // Adding the same content again writes a good copy over the damaged one.
    must(f.p.add_attention_snapshot(f.run, k_layers, k_heads, data));
    EXPECT_EQ(must(f.p.read_attention_blob(snap.id)), data);
}

TEST(AttentionStore, BlobPathOutsideTheProjectIsRefused) {
    project_with_run f;
    const auto snap = must(f.p.add_attention_snapshot(f.run, k_layers, k_heads, bytes_of("x")));
    prism::test::write_file((f.tmp.path() / "secret").string(), "x");
    for (const char* hostile : {"../secret", "/etc/passwd", "blobs/../../secret", "blobs", ""}) {
        {
            auto c = prism::projects::sql::connection::open(f.p.database_path(), {});
            c.prepare("UPDATE attention_snapshots SET blob_path = ? WHERE id = ?")
                .bind_all(hostile, snap.id)
                .run();
        }
        expect_error(f.p.read_attention_blob(snap.id), errc::format, "blobs folder");
    }
}

TEST(AttentionStore, SnapshotBadInputs) {
    project_with_run f;
    const auto data = bytes_of("x");
    expect_error(f.p.add_attention_snapshot(999, k_layers, k_heads, data), errc::invalid_argument,
                 "run 999 does not exist");
    expect_error(f.p.add_attention_snapshot(f.run, {}, k_heads, data), errc::invalid_argument,
                 "at least one layer");
    const std::vector<int32_t> negative = {-1};
    expect_error(f.p.add_attention_snapshot(f.run, k_layers, negative, data),
                 errc::invalid_argument, "head");
    expect_error(f.p.add_attention_snapshot(f.run, k_layers, k_heads, {}), errc::invalid_argument,
                 "0 bytes");
    expect_error(f.p.read_attention_blob(31), errc::invalid_argument, "does not exist");
    expect_error(f.p.list_attention_snapshots(31), errc::invalid_argument, "run 31");
    // No blob was written for the refused snapshots.
    EXPECT_TRUE(fs::is_empty(f.p.dir() / "blobs"));
}

TEST(AttentionStore, FindingsAddListDelete) {
    project_with_run f;
    const int64_t a = must(f.p.add_finding(
        {.run_id = f.run, .layer = 3, .head = 1, .token_start = 4, .token_end = 6, .note = "b"}));
    const int64_t b = must(f.p.add_finding(
        {.run_id = f.run, .layer = 0, .head = -1, .token_start = 0, .token_end = 1, .note = "a"}));
    auto list = must(f.p.list_findings(f.run));
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].id, b);  // ordered by layer
    EXPECT_EQ(list[0].head, -1);
    EXPECT_EQ(list[1].id, a);
    EXPECT_EQ(list[1].token_start, 4);
    EXPECT_EQ(list[1].token_end, 6);
    EXPECT_EQ(list[1].note, "b");
    must(f.p.delete_finding(b));
    expect_error(f.p.delete_finding(b), errc::invalid_argument, "does not exist");
    EXPECT_EQ(must(f.p.list_findings(f.run)).size(), 1u);
}

TEST(AttentionStore, FindingBadInputs) {
    project_with_run f;
    expect_error(f.p.add_finding({.run_id = 404, .note = "x"}), errc::invalid_argument,
                 "run 404 does not exist");
    expect_error(f.p.add_finding({.run_id = f.run, .layer = -1}), errc::invalid_argument, "layer");
    expect_error(f.p.add_finding({.run_id = f.run, .head = -2}), errc::invalid_argument, "head");
    expect_error(f.p.add_finding({.run_id = f.run, .token_start = 5, .token_end = 5}),
                 errc::invalid_argument, "token span");
    expect_error(f.p.list_findings(404), errc::invalid_argument, "run 404");
    EXPECT_TRUE(must(f.p.list_findings(f.run)).empty());
}

TEST(AttentionStore, DeletingARunCascadesToSnapshotsAndFindings) {
    project_with_run f;
    must(f.p.add_attention_snapshot(f.run, k_layers, k_heads, bytes_of("x")));
    must(f.p.add_finding({.run_id = f.run, .note = "n"}));
    {
        auto c = prism::projects::sql::connection::open(f.p.database_path(), {});
        c.prepare("DELETE FROM runs WHERE id = ?").bind(1, f.run).run();
        EXPECT_EQ(c.query_int64("SELECT count(*) FROM attention_snapshots"), 0);
        EXPECT_EQ(c.query_int64("SELECT count(*) FROM findings"), 0);
        // A model that runs refer to cannot be deleted from under them.
        const int64_t run2 = must(f.p.add_run({.model_id = f.model}));
        EXPECT_GT(run2, f.run);  // ids are never reused
        EXPECT_THROW(c.exec("DELETE FROM models"), prism::projects::sql::sql_error);
    }
    must(f.p.integrity_check());
}
