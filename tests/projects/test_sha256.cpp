// SHA-256 against the FIPS 180-4 / NIST example vectors, streaming in odd chunk sizes, and
// hashing a file.
#include <gtest/gtest.h>

#include <string>

#include "prism/projects/sha256.h"
#include "test_util.h"

using prism::projects::sha256;
using prism::projects::sha256_hex;

TEST(Sha256, NistVectors) {
    EXPECT_EQ(sha256_hex(std::string_view("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex(std::string_view("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(
        sha256_hex(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(std::string_view(
                  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                  "klmnopqrlmnopqrsmnopqrstnopqrstu")),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingMatchesOneShotAtEveryPaddingBoundary) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + i % 26);
    for (size_t len : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 300u}) {
        const std::string_view whole(text.data(), len);
        for (size_t chunk : {1u, 3u, 7u, 64u, 100u}) {
            sha256 h;
            for (size_t at = 0; at < len; at += chunk) h.update(whole.substr(at, chunk));
            EXPECT_EQ(h.finish_hex(), sha256_hex(whole)) << "len " << len << " chunk " << chunk;
        }
    }
}

TEST(Sha256, ResetStartsOver) {
    sha256 h;
    h.update(std::string_view("junk"));
    h.reset();
    h.update(std::string_view("abc"));
    EXPECT_EQ(h.finish_hex(), sha256_hex(std::string_view("abc")));
}

TEST(Sha256, FileAndValidation) {
    prism::test::temp_dir dir;
    prism::test::write_file(dir.file("f.bin"), "abc");
    const auto r = prism::projects::sha256_file(dir.file("f.bin"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, sha256_hex(std::string_view("abc")));
    const auto missing = prism::projects::sha256_file(dir.file("nope.bin"));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, prism::errc::io);

    EXPECT_TRUE(prism::projects::is_sha256_hex(*r));
    EXPECT_FALSE(prism::projects::is_sha256_hex(r->substr(1)));
    std::string upper = *r;
    upper[0] = 'E';
    EXPECT_FALSE(prism::projects::is_sha256_hex(upper));
}
