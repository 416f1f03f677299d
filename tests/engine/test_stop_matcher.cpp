// Tests for prism::stop_matcher: stop strings split across streamed pieces, held-back
// prefixes released once they can no longer start a stop string, several stop strings, a
// stop at the very start, and the invariant that no byte of a stop string is ever emitted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "prism/sampler.h"

namespace {

using prism::stop_matcher;

/// Feeds the pieces in order and returns everything emitted (flushing if no stop matched).
std::string run(stop_matcher& m, const std::vector<std::string>& pieces) {
    std::string out;
    for (const auto& p : pieces) out += m.push(p);
    if (!m.stopped()) out += m.flush();
    return out;
}

TEST(stop_matcher, stop_across_token_boundaries) {
    // "Hel" + "lo wor" + "ld", stop "lo w": "Hel" is emitted, then "lo w" completes inside
    // the second piece, so nothing more comes out.
    stop_matcher m({"lo w"});
    EXPECT_EQ(m.push("Hel"), "He");  // the final "l" could begin "lo w": held
    EXPECT_FALSE(m.stopped());
    EXPECT_EQ(m.push("lo wor"), "l");  // "llo wor": the match starts at the second "l"
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.push("ld"), "");
    EXPECT_EQ(m.flush(), "");
}

TEST(stop_matcher, stop_split_over_three_pieces) {
    stop_matcher m({"lo w"});
    EXPECT_EQ(run(m, {"Hel", "l", "o", " ", "world"}), "Hel");
    EXPECT_TRUE(m.stopped());
}

TEST(stop_matcher, no_match_emits_everything) {
    stop_matcher m({"xyz"});
    EXPECT_EQ(m.push("Hel"), "Hel");
    EXPECT_EQ(m.push("lo wor"), "lo wor");
    EXPECT_EQ(m.push("ld"), "ld");
    EXPECT_EQ(m.flush(), "");
    EXPECT_FALSE(m.stopped());
}

TEST(stop_matcher, partial_prefix_held_then_released) {
    stop_matcher m({"</s>"});
    EXPECT_EQ(m.push("end<"), "end");  // "<" may begin "</s>"
    EXPECT_EQ(m.push("/"), "");        // "</" still may
    EXPECT_EQ(m.push("b>"), "</b>");   // "</b" cannot: released
    EXPECT_FALSE(m.stopped());

    // Held text that is never resolved comes out at flush.
    stop_matcher f({"</s>"});
    EXPECT_EQ(f.push("tail </"), "tail ");
    EXPECT_EQ(f.flush(), "</");
    EXPECT_FALSE(f.stopped());
}

TEST(stop_matcher, held_prefix_restarts_inside_itself) {
    // Stop "aab": after "aa" then "a", the text "aaa" cannot be "aab" from its first byte,
    // but "aa" at the end still can; one "a" is released.
    stop_matcher m({"aab"});
    EXPECT_EQ(m.push("aa"), "");
    EXPECT_EQ(m.push("a"), "a");
    EXPECT_EQ(m.push("b!"), "");
    EXPECT_TRUE(m.stopped());
}

TEST(stop_matcher, two_stop_strings) {
    // The earliest match wins, whichever stop string it is.
    stop_matcher a({"User:", "\n\n"});
    EXPECT_EQ(run(a, {"Hi there.", "\n", "\nUser: next"}), "Hi there.");
    EXPECT_TRUE(a.stopped());

    stop_matcher b({"User:", "\n\n"});
    EXPECT_EQ(run(b, {"Hi ", "Us", "er: x\n\nmore"}), "Hi ");
    EXPECT_TRUE(b.stopped());

    // A prefix of one stop held while the other cannot match.
    stop_matcher c({"User:", "END"});
    EXPECT_EQ(c.push("ok U"), "ok ");
    EXPECT_EQ(c.push("se"), "");
    EXPECT_EQ(c.push("d E"), "Used ");
    EXPECT_EQ(c.push("N"), "");
    EXPECT_EQ(c.push("D"), "");
    EXPECT_TRUE(c.stopped());
}

TEST(stop_matcher, stop_at_the_very_start) {
    stop_matcher m({"###"});
    EXPECT_EQ(m.push("###"), "");
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.flush(), "");

    stop_matcher split({"###"});
    EXPECT_EQ(run(split, {"#", "#", "# rest"}), "");
    EXPECT_TRUE(split.stopped());
}

TEST(stop_matcher, empty_stops_are_ignored) {
    stop_matcher m({"", ""});
    EXPECT_EQ(m.push("abc"), "abc");
    EXPECT_FALSE(m.stopped());
    stop_matcher none({});
    EXPECT_EQ(run(none, {"a", "b"}), "ab");
}

TEST(stop_matcher, utf8_stop_strings) {
    // "€" is E2 82 AC; a piece ending in the middle of it is held, not emitted broken.
    stop_matcher m({"\xE2\x82\xAC"});
    EXPECT_EQ(m.push("5 \xE2\x82"), "5 ");
    EXPECT_EQ(m.push("\xAC more"), "");
    EXPECT_TRUE(m.stopped());
}

TEST(stop_matcher, no_stop_byte_is_ever_emitted) {
    // Every way to cut "say lo world" into pieces of one to three bytes: the output before
    // the stop is always exactly "say ", with or without a flush.
    const std::string text = "say lo world";
    for (size_t a = 1; a <= 3; ++a)
        for (size_t b = 1; b <= 3; ++b) {
            stop_matcher m({"lo w", "zzz"});
            std::string out;
            size_t pos = 0;
            bool odd = true;
            while (pos < text.size()) {
                const size_t n = odd ? a : b;
                out += m.push(text.substr(pos, n));
                pos += n;
                odd = !odd;
                EXPECT_EQ(out.find('l'), std::string::npos) << a << "," << b;
            }
            EXPECT_TRUE(m.stopped());
            EXPECT_EQ(out + m.flush(), "say ") << a << "," << b;
        }
}

}  // namespace
