// Settings, models, presets and runs through the project API: round trips (including a
// uint64 seed above INT64_MAX and non-UTF-8 output bytes), the streaming append / finish
// life cycle of a run, newest-first paging, and clean errors for bad input.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "expect_error.h"
#include "prism/projects/project.h"
#include "prism/projects/sql.h"
#include "project_test_util.h"

namespace fs = std::filesystem;
using prism::errc;
using prism::projects::generation_params;
using prism::projects::project;
using prism::projects::run_status;
using prism::projects::token_alternative;
using prism::test::expect_error;
using prism::test::fresh_project;
using prism::test::must;

TEST(Records, Settings) {
    fresh_project f;
    EXPECT_EQ(must(f.p.get_setting("theme")), std::nullopt);
    must(f.p.set_setting("theme", "dark"));
    must(f.p.set_setting("theme", "light"));
    EXPECT_EQ(must(f.p.get_setting("theme")), "light");
    must(f.p.remove_setting("theme"));
    EXPECT_EQ(must(f.p.get_setting("theme")), std::nullopt);
    expect_error(f.p.set_setting("", "x"), errc::invalid_argument, "empty");
}

TEST(Records, ModelsAddFindAndRejectBadInput) {
    fresh_project f;
    const std::string sha = prism::test::model_sha("a");
    const int64_t id = must(f.p.add_model({.path = "/m/a.gguf",
                                           .sha256 = sha,
                                           .format = "gguf",
                                           .name = "A",
                                           .metadata_json = R"({"n_layer":4})"}));
    const auto found = must(f.p.find_model_by_sha256(sha));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, id);
    EXPECT_EQ(found->path, "/m/a.gguf");
    EXPECT_EQ(found->metadata_json, R"({"n_layer":4})");
    EXPECT_GT(found->added_at, 1600000000000);
    // Upper-case hex finds the same model (hashes are stored lower-case).
    std::string upper = sha;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(must(f.p.find_model_by_sha256(upper)).has_value());
    EXPECT_FALSE(must(f.p.find_model_by_sha256(prism::test::model_sha("b"))).has_value());
    EXPECT_EQ(must(f.p.get_model(id)).name, "A");
    EXPECT_EQ(must(f.p.list_models()).size(), 1u);

    expect_error(f.p.add_model({.sha256 = sha, .format = "gguf", .name = "again"}),
                 errc::invalid_argument, "already in the project");
    expect_error(f.p.add_model({.sha256 = "abc", .format = "gguf", .name = "x"}),
                 errc::invalid_argument, "64 hex digits");
    const std::string sha_b = prism::test::model_sha("b");
    expect_error(f.p.add_model({.sha256 = sha_b, .format = "gguf", .name = "  "}),
                 errc::invalid_argument, "name must not be empty");
    expect_error(f.p.add_model({.sha256 = sha_b, .format = "", .name = "b"}),
                 errc::invalid_argument, "format");
    expect_error(
        f.p.add_model({.sha256 = sha_b, .format = "gguf", .name = "b", .metadata_json = "[1]"}),
        errc::invalid_argument, "JSON object");
    expect_error(f.p.get_model(999), errc::invalid_argument, "model 999 does not exist");
    expect_error(f.p.find_model_by_sha256("zz"), errc::invalid_argument, "64 hex digits");
}

TEST(Records, PresetsCrud) {
    fresh_project f;
    const generation_params params{.temp = 0.3f,
                                   .top_k = 12,
                                   .top_p = 0.8f,
                                   .min_p = 0.0f,
                                   .repeat_penalty = 1.15f,
                                   .repeat_last_n = -1,
                                   .seed = UINT64_MAX - 5,
                                   .n_predict = 64,
                                   .system_prompt = "You are terse."};
    const int64_t id = must(f.p.create_preset("  terse ", params));
    auto got = must(f.p.get_preset(id));
    EXPECT_EQ(got.name, "terse");  // surrounding blanks trimmed
    EXPECT_EQ(got.params, params);
    EXPECT_EQ(must(f.p.find_preset_by_name("terse"))->id, id);

    const int64_t other = must(f.p.create_preset("alpha", {}));
    const auto all = must(f.p.list_presets());
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name, "alpha");  // by name
    EXPECT_EQ(all[0].params, generation_params{});

    expect_error(f.p.create_preset("terse", {}), errc::invalid_argument, "already exists");
    expect_error(f.p.create_preset(" ", {}), errc::invalid_argument, "must not be empty");
    expect_error(f.p.create_preset("hot", {.temp = -1.0f}), errc::invalid_argument, "temp");
    expect_error(f.p.create_preset("long", {.n_predict = -2}), errc::invalid_argument, "n_predict");

    generation_params changed = params;
    changed.system_prompt.reset();
    changed.seed = 7;
    must(f.p.update_preset(id, "terse2", changed));
    got = must(f.p.get_preset(id));
    EXPECT_EQ(got.name, "terse2");
    EXPECT_EQ(got.params, changed);
    EXPECT_GE(got.updated_at, got.created_at);
    expect_error(f.p.update_preset(id, "alpha", changed), errc::invalid_argument, "already exists");
    expect_error(f.p.update_preset(4242, "x", changed), errc::invalid_argument,
                 "preset 4242 does not exist");

    must(f.p.delete_preset(other));
    expect_error(f.p.delete_preset(other), errc::invalid_argument, "does not exist");
    EXPECT_EQ(must(f.p.list_presets()).size(), 1u);
    EXPECT_FALSE(must(f.p.find_preset_by_name("alpha")).has_value());
}

TEST(Records, RunLifeCycleStreamsAndFinishes) {
    fresh_project f;
    const int64_t model = prism::test::add_test_model(f.p);
    const generation_params params{.temp = 0.0f, .seed = UINT64_MAX, .system_prompt = "sys"};
    const int64_t run = must(f.p.add_run({.model_id = model, .prompt = "Once", .params = params}));

    auto r = must(f.p.get_run(run));
    EXPECT_EQ(r.status, run_status::running);
    EXPECT_EQ(r.output_text, "");
    EXPECT_TRUE(r.token_ids.empty());
    EXPECT_EQ(r.params, params);
    EXPECT_FALSE(r.finished_at.has_value());

    const std::vector<token_alternative> alt0 = {{1, " upon", 0.5f}, {2, " more", 0.25f}};
    const std::vector<token_alternative> alt1 = {{3, " a", 0.875f}};
    must(f.p.append_run_output(run,
                               {.text = " upon", .token_ids = {1}, .top_alternatives = {alt0}}));
    // A delta without alternatives keeps the arrays aligned with empty lists; a piece with
    // invalid UTF-8 is stored as display text, the output bytes as given.
    must(f.p.append_run_output(run, {.text = std::string(" a\xff", 3), .token_ids = {3, 4}}));
    must(f.p.append_run_output(run, {.text = "", .token_ids = {5}, .top_alternatives = {alt1}}));
    must(f.p.append_run_output(run, {}));  // nothing new: fine

    r = must(f.p.get_run(run));
    EXPECT_EQ(r.output_text, std::string(" upon a\xff", 8));
    EXPECT_EQ(r.token_ids, (std::vector<int32_t>{1, 3, 4, 5}));
    ASSERT_EQ(r.top_alternatives.size(), 4u);
    EXPECT_EQ(r.top_alternatives[0], alt0);
    EXPECT_TRUE(r.top_alternatives[1].empty());
    EXPECT_TRUE(r.top_alternatives[2].empty());
    EXPECT_EQ(r.top_alternatives[3], alt1);

    expect_error(f.p.append_run_output(run, {.token_ids = {1, 2}, .top_alternatives = {alt0}}),
                 errc::invalid_argument, "one list per token");

    must(f.p.finish_run(run,
                        {.status = run_status::stopped, .ttft_ms = 15.5, .tokens_per_s = 123.0}));
    r = must(f.p.get_run(run));
    EXPECT_EQ(r.status, run_status::stopped);
    EXPECT_EQ(r.ttft_ms, 15.5);
    EXPECT_EQ(r.tokens_per_s, 123.0);
    EXPECT_TRUE(r.finished_at.has_value());
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.params.seed, UINT64_MAX);

    expect_error(f.p.append_run_output(run, {.text = "late"}), errc::invalid_argument,
                 "is stopped");
    expect_error(f.p.finish_run(run, {}), errc::invalid_argument, "finished already");
    expect_error(f.p.finish_run(run, {.status = run_status::running}), errc::invalid_argument,
                 "must be finished, stopped or failed");
}

TEST(Records, FailedRunKeepsItsError) {
    fresh_project f;
    const int64_t model = prism::test::add_test_model(f.p);
    const int64_t run = must(f.p.add_run({.model_id = model, .prompt = "x"}));
    expect_error(f.p.finish_run(run, {.status = run_status::failed, .ttft_ms = -1.0}),
                 errc::invalid_argument, "ttft_ms");
    must(f.p.finish_run(run, {.status = run_status::failed, .error = "context full"}));
    const auto r = must(f.p.get_run(run));
    EXPECT_EQ(r.status, run_status::failed);
    EXPECT_EQ(r.error, "context full");
    EXPECT_FALSE(r.ttft_ms.has_value());
}

TEST(Records, RunsListNewestFirstInPages) {
    fresh_project f;
    const int64_t m1 = prism::test::add_test_model(f.p, "one");
    const int64_t m2 = prism::test::add_test_model(f.p, "two");
    std::vector<int64_t> ids;
    for (int i = 0; i < 7; ++i)
        ids.push_back(must(
            f.p.add_run({.model_id = i % 2 ? m2 : m1, .prompt = "prompt " + std::to_string(i)})));
    must(f.p.append_run_output(ids[6], {.text = "ab", .token_ids = {1, 2}}));

    auto page1 = must(f.p.list_runs({.limit = 3}));
    ASSERT_EQ(page1.size(), 3u);
    EXPECT_EQ(page1[0].id, ids[6]);
    EXPECT_EQ(page1[0].n_tokens, 2);
    EXPECT_EQ(page1[0].prompt, "prompt 6");
    EXPECT_EQ(page1[2].id, ids[4]);
    auto page2 = must(f.p.list_runs({.limit = 3, .before_id = page1.back().id}));
    ASSERT_EQ(page2.size(), 3u);
    EXPECT_EQ(page2[0].id, ids[3]);
    auto page3 = must(f.p.list_runs({.limit = 3, .before_id = page2.back().id}));
    ASSERT_EQ(page3.size(), 1u);
    EXPECT_EQ(page3[0].id, ids[0]);

    const auto only_m2 = must(f.p.list_runs({.model_id = m2}));
    ASSERT_EQ(only_m2.size(), 3u);
    for (const auto& s : only_m2) EXPECT_EQ(s.model_id, m2);

    expect_error(f.p.list_runs({.limit = 0}), errc::invalid_argument, "limit");
    expect_error(f.p.list_runs({.limit = 5000}), errc::invalid_argument, "limit");
}

TEST(Records, RunBadInputs) {
    fresh_project f;
    expect_error(f.p.add_run({.model_id = 77, .prompt = "x"}), errc::invalid_argument,
                 "model 77 does not exist");
    const int64_t model = prism::test::add_test_model(f.p);
    expect_error(f.p.add_run({.model_id = model, .params = {.top_p = 0.0f}}),
                 errc::invalid_argument, "top_p");
    expect_error(f.p.get_run(5), errc::invalid_argument, "run 5 does not exist");
    expect_error(f.p.append_run_output(5, {.text = "x"}), errc::invalid_argument,
                 "run 5 does not exist");
    expect_error(f.p.finish_run(5, {}), errc::invalid_argument, "run 5 does not exist");
    EXPECT_TRUE(must(f.p.list_runs()).empty());
}

TEST(Records, DamagedStoredJsonIsAFormatError) {
    fresh_project f;
    const int64_t model = prism::test::add_test_model(f.p);
    const int64_t run = must(f.p.add_run({.model_id = model, .prompt = "x"}));
    const int64_t preset = must(f.p.create_preset("p", {}));
    {
        auto c = prism::projects::sql::connection::open(f.p.database_path(), {});
        c.exec("UPDATE runs SET token_ids_json = '[1,'");
        c.exec("UPDATE presets SET params_json = '{\"top_k\":\"many\"}'");
    }
    expect_error(f.p.get_run(run), errc::format, "token ids");
    expect_error(f.p.get_preset(preset), errc::format, "top_k");
    // The summary list does not parse the JSON columns and still works.
    EXPECT_EQ(must(f.p.list_runs()).size(), 1u);
}
