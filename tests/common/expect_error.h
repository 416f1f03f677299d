// A GoogleTest check for the engine's error values: the result must hold an error of the given
// category whose message contains a given piece of text.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "prism/error.h"

namespace prism::test {

/// Fails the test unless `r` is an error with code `code` and `needle` in its message.
template <class T>
void expect_error(const prism::result<T>& r, prism::errc code, const std::string& needle) {
    ASSERT_FALSE(r.has_value()) << "expected an error containing '" << needle << "'";
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(needle), std::string::npos)
        << "message '" << r.error().message << "' lacks '" << needle << "'";
}

}  // namespace prism::test
