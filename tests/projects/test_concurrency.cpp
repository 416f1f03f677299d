// Concurrency through the project API: a reader thread with its own project object lists
// and reads runs while a writer thread streams output into them; two writers on separate
// project objects interleave; and one project object shared by threads serializes its
// calls. None of them may surface SQLITE_BUSY ("locked") or any other error.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "prism/projects/project.h"
#include "project_test_util.h"

namespace fs = std::filesystem;
using prism::projects::project;
using prism::test::must;

namespace {

// Streams `n_runs` runs of `n_appends` appends each; returns "" or the first error.
std::string write_runs(project& p, int64_t model, int n_runs, int n_appends) {
    for (int i = 0; i < n_runs; ++i) {
        const auto run = p.add_run({.model_id = model, .prompt = "p" + std::to_string(i)});
        if (!run) return "add_run: " + run.error().message;
        for (int k = 0; k < n_appends; ++k) {
            const auto ok = p.append_run_output(
                *run, {.text = std::string(200, 'x'), .token_ids = {k}, .top_alternatives = {{}}});
            if (!ok) return "append: " + ok.error().message;
        }
        const auto done = p.finish_run(*run, {.tokens_per_s = 1.0});
        if (!done) return "finish: " + done.error().message;
    }
    return "";
}

}  // namespace

TEST(Concurrency, ReaderNextToStreamingWriterSeesNoErrors) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    int64_t model = 0;
    {
        auto p = must(project::create(dir));
        model = prism::test::add_test_model(p);
    }
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::string writer_error, reader_error;
    std::thread writer([&] {
        auto p = project::open(dir);
        writer_error = p ? write_runs(*p, model, 30, 20) : p.error().message;
        done = true;
    });
    std::thread reader([&] {
        auto p = project::open(dir);
        if (!p) {
            reader_error = p.error().message;
            return;
        }
        while (!done && reader_error.empty()) {
            const auto runs = p->list_runs({.limit = 5});
            if (!runs) {
                reader_error = "list_runs: " + runs.error().message;
                break;
            }
            for (const auto& s : *runs) {
                const auto r = p->get_run(s.id);
                if (!r) {
                    reader_error = "get_run: " + r.error().message;
                    break;
                }
                if (r->token_ids.size() != r->top_alternatives.size())
                    reader_error = "a torn append was visible";
            }
            ++reads;
        }
    });
    writer.join();
    reader.join();
    EXPECT_EQ(writer_error, "");
    EXPECT_EQ(reader_error, "");
    EXPECT_GT(reads.load(), 0);
}

TEST(Concurrency, TwoWritersOnSeparateProjectObjects) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    int64_t model = 0;
    {
        auto p = must(project::create(dir));
        model = prism::test::add_test_model(p);
    }
    std::string errors[2];
    auto work = [&](int who) {
        auto p = project::open(dir);
        errors[who] = p ? write_runs(*p, model, 20, 10) : p.error().message;
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    auto p = must(project::open(dir));
    EXPECT_EQ(must(p.list_runs({.limit = 100})).size(), 40u);
    must(p.integrity_check());
}

TEST(Concurrency, OneProjectObjectSharedByThreads) {
    prism::test::temp_dir tmp;
    auto p = must(project::create(tmp.path() / "p"));
    const int64_t model = prism::test::add_test_model(p);
    std::vector<std::thread> threads;
    std::string errors[3];
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] { errors[t] = write_runs(p, model, 10, 5); });
    for (auto& t : threads) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    EXPECT_EQ(must(p.list_runs({.limit = 100})).size(), 30u);
}
