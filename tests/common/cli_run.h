// Running the `prism` executable under test (PRISM_CLI_PATH) and checking the one-line errors
// every command gives for bad input.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "test_util.h"

namespace prism::test {

/// Runs `prism ARGS` (ARGS already shell-quoted) under `timeout`, so a hang fails the test.
inline run_result run_prism(const std::string& args, int timeout_s = 120) {
    return run_command("timeout " + std::to_string(timeout_s) + " " + sh_quote(PRISM_CLI_PATH) +
                       " " + args);
}

inline size_t count_lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

/// Exit status 1 and exactly one line on stderr, "prism: error: ..." containing `needle`.
inline void expect_one_line_error(const run_result& r, const std::string& needle) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err.rfind("prism: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

}  // namespace prism::test
