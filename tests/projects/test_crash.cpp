// Crash safety: a child process writes to the project in a loop (runs, streamed output,
// attention snapshots, findings), reporting each committed id through a pipe, and is
// killed with SIGKILL mid-stream. Afterwards the project opens, passes PRAGMA
// integrity_check, and holds every row the child reported. Several rounds reuse the same
// project, so the kill also lands during WAL recovery and checkpoints of earlier rounds.
//
// The test forks before starting any thread of its own, and the child only opens its own
// project (never one the parent opened), so no SQLite state crosses the fork.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "prism/projects/project.h"
#include "project_test_util.h"

namespace fs = std::filesystem;
using prism::projects::project;
using prism::test::must;

namespace {

// One line per committed record: "<kind> <id>\n".
[[noreturn]] void child_main(const fs::path& dir, int fd, int round) {
    auto report = [fd](char kind, int64_t id) {
        char line[32];
        const int n =
            std::snprintf(line, sizeof line, "%c %lld\n", kind, static_cast<long long>(id));
        if (::write(fd, line, static_cast<size_t>(n)) != n) ::_exit(3);
    };
    auto opened = project::open(dir);
    if (!opened) ::_exit(2);
    project& p = *opened;
    const auto models = p.list_models();
    if (!models || models->empty()) ::_exit(2);
    const int64_t model = (*models)[0].id;
    for (int i = 0;; ++i) {
        const auto run = p.add_run({.model_id = model, .prompt = "round " + std::to_string(round)});
        if (!run) ::_exit(4);
        report('r', *run);
        for (int k = 0; k < 4; ++k)
            if (!p.append_run_output(*run, {.text = std::string(500, 'o'),
                                            .token_ids = {k, k + 1},
                                            .top_alternatives = {{{k, "a", 0.5f}}, {}}}))
                ::_exit(5);
        if (i % 3 == 0) {
            const std::string data(4096 + i, static_cast<char>('a' + i % 26));
            const auto snap =
                p.add_attention_snapshot(*run, std::vector<int32_t>{0}, std::vector<int32_t>{0, 1},
                                         std::as_bytes(std::span(data.data(), data.size())));
            if (!snap) ::_exit(6);
            report('s', snap->id);
        }
        const auto finding = p.add_finding({.run_id = *run, .note = "n" + std::to_string(i)});
        if (!finding) ::_exit(7);
        report('f', *finding);
        if (!p.finish_run(*run, {.status = prism::projects::run_status::finished})) ::_exit(8);
        report('d', *run);
    }
}

struct committed {
    std::set<int64_t> runs, snapshots, findings, finished;
};

// Reads whole lines from the pipe into `out` until it has at least `min_lines` lines
// (or EOF); returns the number of lines parsed.
size_t read_reports(int fd, std::string& pending, committed& out, size_t min_lines) {
    size_t lines = 0;
    char buf[4096];
    while (lines < min_lines) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        pending.append(buf, static_cast<size_t>(n));
        size_t pos;
        while ((pos = pending.find('\n')) != std::string::npos) {
            const std::string line = pending.substr(0, pos);
            pending.erase(0, pos + 1);
            const int64_t id = std::stoll(line.substr(2));
            switch (line[0]) {
            case 'r':
                out.runs.insert(id);
                break;
            case 's':
                out.snapshots.insert(id);
                break;
            case 'f':
                out.findings.insert(id);
                break;
            case 'd':
                out.finished.insert(id);
                break;
            }
            ++lines;
        }
    }
    return lines;
}

}  // namespace

TEST(Crash, SigkillMidStreamLosesNothingCommitted) {
    prism::test::temp_dir tmp;
    const fs::path dir = tmp.path() / "p";
    {
        auto p = must(project::create(dir));
        prism::test::add_test_model(p);
    }
    committed all;
    for (int round = 0; round < 4; ++round) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(fds[0]);
            child_main(dir, fds[1], round);
        }
        ::close(fds[1]);
        std::string pending;
        // Let it run a while (a different amount each round), then kill it mid-stream.
        const size_t got = read_reports(fds[0], pending, all, 40 + 37 * static_cast<size_t>(round));
        ASSERT_GT(got, 0u) << "child reported nothing";
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "child exited on its own with status " << status;
        // Whatever it reported before dying was committed before the report.
        read_reports(fds[0], pending, all, SIZE_MAX);
        ::close(fds[0]);

        auto p = must(project::open(dir), "open after SIGKILL");
        must(p.integrity_check(), "integrity after SIGKILL");
        for (const int64_t id : all.runs) {
            const auto run = p.get_run(id);
            ASSERT_TRUE(run.has_value()) << "run " << id << ": " << run.error().message;
            if (all.finished.count(id)) {
                EXPECT_EQ(run->status, prism::projects::run_status::finished) << id;
                EXPECT_EQ(run->token_ids.size(), 8u) << id;
                EXPECT_EQ(run->output_text.size(), 2000u) << id;
            }
            EXPECT_EQ(run->token_ids.size(), run->top_alternatives.size()) << id;
        }
        for (const int64_t id : all.snapshots) {
            const auto blob = p.read_attention_blob(id);
            EXPECT_TRUE(blob.has_value()) << "snapshot " << id << ": " << blob.error().message;
        }
        for (const int64_t run : all.runs) {
            const auto findings = must(p.list_findings(run));
            for (const auto& f : findings) all.findings.erase(f.id);
        }
        EXPECT_TRUE(all.findings.empty()) << all.findings.size() << " reported findings missing";
        all.findings.clear();
    }
    EXPECT_GT(all.runs.size(), 20u);
}
