// The SQLite RAII wrapper: connection pragmas, typed bind/column round trips, transactions
// that roll back unless committed, error mapping, and the WAL promise that a reader next to
// a writer (and a writer next to a writer) never sees "database is locked".
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>

#include "prism/projects/sql.h"
#include "test_util.h"

namespace sql = prism::projects::sql;

namespace {

sql::connection open_db(const std::string& path) {
    return sql::connection::open(path, {.mode = sql::open_mode::read_write_create});
}

}  // namespace

TEST(Sql, ConnectionSetsUpWalForeignKeysBusyTimeout) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("a.db"));
    auto mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.column_text(0), "wal");
    EXPECT_EQ(db.query_int64("PRAGMA foreign_keys"), 1);
    EXPECT_EQ(db.query_int64("PRAGMA busy_timeout"), 5000);
    EXPECT_EQ(db.query_int64("PRAGMA synchronous"), 1);  // NORMAL
    EXPECT_FALSE(db.read_only());
}

TEST(Sql, TypedBindAndColumnRoundTrip) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("a.db"));
    db.exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)");
    const std::string text("nul\0inside", 10);
    const std::byte blob[] = {std::byte{0}, std::byte{0xff}, std::byte{7}};
    const int64_t big = std::numeric_limits<int64_t>::min();
    db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        .bind_all(big, 2.5, text)
        .bind_blob(4, blob)
        .bind(5, std::nullopt)
        .run();
    auto st = db.prepare("SELECT i, d, s, b, n FROM t");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_int64(0), big);
    EXPECT_EQ(st.column_double(1), 2.5);
    EXPECT_EQ(st.column_text(2), text);
    ASSERT_EQ(st.column_blob(3).size(), 3u);
    EXPECT_EQ(st.column_blob(3)[1], std::byte{0xff});
    EXPECT_TRUE(st.column_is_null(4));
    EXPECT_EQ(st.column_optional_text(4), std::nullopt);
    EXPECT_EQ(st.column_optional_int64(0), big);
    EXPECT_FALSE(st.step());
}

TEST(Sql, TransactionRollsBackUnlessCommitted) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("a.db"));
    db.exec("CREATE TABLE t (x INTEGER)");
    {
        sql::transaction tx(db);
        EXPECT_TRUE(db.in_transaction());
        db.exec("INSERT INTO t VALUES (1)");
    }
    EXPECT_FALSE(db.in_transaction());
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM t"), 0);
    try {
        sql::transaction tx(db);
        db.exec("INSERT INTO t VALUES (2)");
        throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM t"), 0);
    {
        sql::transaction tx(db);
        db.exec("INSERT INTO t VALUES (3)");
        tx.commit();
    }
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM t"), 1);
}

TEST(Sql, TransactionsDoNotNestAndHelpersCheckForOne) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("a.db"));
    EXPECT_THROW(db.require_transaction("insert_thing_in_transaction"), sql::sql_error);
    sql::transaction tx(db);
    EXPECT_NO_THROW(db.require_transaction("insert_thing_in_transaction"));
    try {
        sql::transaction inner(db);
        FAIL() << "nested transaction accepted";
    } catch (const sql::sql_error& e) {
        EXPECT_EQ(e.code(), prism::errc::internal);
    }
    EXPECT_TRUE(db.in_transaction());
}

TEST(Sql, ErrorsMapToPrismCategories) {
    prism::test::temp_dir dir;
    auto db = open_db(dir.file("a.db"));
    db.exec("CREATE TABLE t (x INTEGER UNIQUE)");
    db.exec("INSERT INTO t VALUES (1)");
    try {
        db.exec("INSERT INTO t VALUES (1)");
        FAIL();
    } catch (const sql::sql_error& e) {
        EXPECT_EQ(e.code(), prism::errc::invalid_argument);
        EXPECT_EQ(e.sqlite_code() & 0xff, SQLITE_CONSTRAINT);
        EXPECT_NE(std::string(e.what()).find("UNIQUE"), std::string::npos) << e.what();
    }
    EXPECT_THROW(db.prepare("SELECT 1; SELECT 2"), sql::sql_error);
    EXPECT_THROW(db.prepare("SELEKT"), sql::sql_error);
    EXPECT_EQ(sql::errc_from_sqlite(SQLITE_BUSY_SNAPSHOT), prism::errc::io);
    EXPECT_EQ(sql::errc_from_sqlite(SQLITE_NOTADB), prism::errc::format);
    EXPECT_EQ(sql::errc_from_sqlite(SQLITE_CORRUPT_INDEX), prism::errc::format);
}

TEST(Sql, NotADatabaseFailsAtOpenWithFormat) {
    prism::test::temp_dir dir;
    prism::test::write_file(dir.file("junk.db"), std::string(4096, '\x5a'));
    try {
        sql::connection::open(dir.file("junk.db"), {});
        FAIL() << "opened junk";
    } catch (const sql::sql_error& e) {
        EXPECT_EQ(e.code(), prism::errc::format) << e.what();
    }
}

// A reader on its own connection keeps reading while another thread writes in a loop of
// IMMEDIATE transactions: WAL readers never wait for the writer, and nothing surfaces as
// SQLITE_BUSY.
TEST(Sql, ReaderNextToWriterNeverSeesBusy) {
    prism::test::temp_dir dir;
    const std::string path = dir.file("a.db");
    {
        auto db = open_db(path);
        db.exec("CREATE TABLE t (x INTEGER, pad TEXT)");
    }
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::string reader_error, writer_error;
    std::thread writer([&] {
        try {
            auto db = open_db(path);
            const std::string pad(2000, 'p');
            for (int i = 0; i < 400; ++i) {
                sql::transaction tx(db);
                db.prepare("INSERT INTO t VALUES (?, ?)").bind_all(int64_t{i}, pad).run();
                tx.commit();
            }
        } catch (const std::exception& e) {
            writer_error = e.what();
        }
        done = true;
    });
    std::thread reader([&] {
        try {
            auto db = open_db(path);
            int64_t last = 0;
            while (!done) {
                const int64_t n = db.query_int64("SELECT count(*) FROM t");
                if (n < last) throw std::runtime_error("count went backwards");
                last = n;
                ++reads;
            }
        } catch (const std::exception& e) {
            reader_error = e.what();
        }
    });
    writer.join();
    reader.join();
    EXPECT_EQ(writer_error, "");
    EXPECT_EQ(reader_error, "");
    EXPECT_GT(reads.load(), 0);
}

// Two writers on their own connections: BEGIN IMMEDIATE queues them on the busy timeout
// instead of failing.
TEST(Sql, TwoWritersQueueOnTheBusyTimeout) {
    prism::test::temp_dir dir;
    const std::string path = dir.file("a.db");
    {
        auto db = open_db(path);
        db.exec("CREATE TABLE t (who INTEGER, x INTEGER)");
    }
    std::string errors[2];
    auto work = [&](int who) {
        try {
            auto db = open_db(path);
            for (int i = 0; i < 200; ++i) {
                sql::transaction tx(db);
                const int64_t n = db.query_int64("SELECT count(*) FROM t");
                db.prepare("INSERT INTO t VALUES (?, ?)").bind_all(int64_t{who}, n).run();
                tx.commit();
            }
        } catch (const std::exception& e) {
            errors[who] = e.what();
        }
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    auto db = open_db(path);
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM t"), 400);
    // Each insert saw every earlier commit: the counts are 0..399 without repeats.
    EXPECT_EQ(db.query_int64("SELECT count(DISTINCT x) FROM t"), 400);
}

// A lock held past the busy timeout does surface, as errc::io naming the lock.
TEST(Sql, LockHeldPastTheTimeoutIsReportedAsBusy) {
    prism::test::temp_dir dir;
    const std::string path = dir.file("a.db");
    auto holder = open_db(path);
    holder.exec("CREATE TABLE t (x INTEGER)");
    sql::transaction hold(holder);
    holder.exec("INSERT INTO t VALUES (1)");
    auto other = sql::connection::open(path, {.busy_timeout_ms = 100});
    const auto start = std::chrono::steady_clock::now();
    try {
        sql::transaction tx(other);
        FAIL() << "second writer got the lock";
    } catch (const sql::sql_error& e) {
        EXPECT_TRUE(e.is_busy()) << e.what();
        EXPECT_EQ(e.code(), prism::errc::io);
        EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(90));
    // Reading is still fine while the write lock is held.
    EXPECT_EQ(other.query_int64("SELECT count(*) FROM t"), 0);
}
