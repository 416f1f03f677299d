// Helpers for the project-store tests: unwrapping results with a readable failure, a fresh
// project in a temp folder, and a model row to hang runs on.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "prism/projects/project.h"
#include "prism/projects/sha256.h"
#include "test_util.h"

namespace prism::test {

/// The value of `r`. On an error: records a failure with the message and throws, which
/// ends the current test (gtest reports the exception) even from inside a helper.
template <class T> T must(prism::result<T>&& r, const char* what = "") {
    if (!r.has_value()) {
        ADD_FAILURE() << what << ": " << r.error().message;
        throw std::runtime_error(std::string(what) + ": " + r.error().message);
    }
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

/// The sha256 a test model called `name` is registered with.
inline std::string model_sha(const std::string& name) {
    return prism::projects::sha256_hex(name);
}

/// Adds a model row named `name` and returns its id.
inline int64_t add_test_model(prism::projects::project& p, const std::string& name = "tiny") {
    return must(p.add_model({.path = "/models/" + name + ".gguf",
                             .sha256 = model_sha(name),
                             .format = "gguf",
                             .name = name,
                             .metadata_json = R"({"n_layer":2})"}),
                "add_model");
}

inline std::vector<std::byte> bytes_of(const std::string& s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

/// A new, empty project in its own temporary folder.
struct fresh_project {
    temp_dir tmp;
    prism::projects::project p = must(prism::projects::project::create(tmp.path() / "p"), "create");
};

/// A new project holding one model and one run (status running).
struct project_with_run : fresh_project {
    int64_t model = add_test_model(p);
    int64_t run = must(p.add_run({.model_id = model, .prompt = "hello"}), "add_run");
};

}  // namespace prism::test
