// GGUF reader on malformed and hostile files, each built byte by byte: every case must
// come back as an error value with the right code, a message naming the field, and the
// byte offset of that field. Also the valid corner cases that a strict reader could wrongly
// reject (zero-size tensors, files without tensors).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "gguf_bytes.h"
#include "prism/gguf.h"

using namespace prism;
using test::gguf_bytes;

namespace {

constexpr uint32_t f32_id = 0, q8_0_id = 8;

/// Parses `b` and checks that it fails with `code`, a message containing every needle,
/// and (when offset >= 0) the error offset; the message must also end with that offset.
::testing::AssertionResult fails_with(const gguf_bytes& b, errc code,
                                      std::initializer_list<std::string> needles,
                                      int64_t offset = -1) {
    auto f = gguf::file::parse(b.span(), nullptr, "hostile.gguf");
    if (f) return ::testing::AssertionFailure() << "parsed, expected an error";
    const auto& e = f.error();
    if (e.code != code)
        return ::testing::AssertionFailure()
               << "code " << static_cast<int>(e.code) << " != " << static_cast<int>(code) << ": "
               << e.message;
    for (const auto& n : needles)
        if (e.message.find(n) == std::string::npos)
            return ::testing::AssertionFailure() << "'" << n << "' not in: " << e.message;
    if (e.path != "hostile.gguf") return ::testing::AssertionFailure() << "path " << e.path;
    if (offset >= 0) {
        if (e.offset != offset)
            return ::testing::AssertionFailure()
                   << "offset " << e.offset << " != " << offset << ": " << e.message;
        const std::string tail = "at offset " + std::to_string(offset);
        if (!e.message.ends_with(tail))
            return ::testing::AssertionFailure() << "no '" << tail << "' in: " << e.message;
    }
    return ::testing::AssertionSuccess() << e.message;
}

bool parses(const gguf_bytes& b) {
    auto f = gguf::file::parse(b.span(), nullptr);
    if (!f) ADD_FAILURE() << f.error().message;
    return f.has_value();
}

}  // namespace

TEST(gguf_errors, bad_magic_and_empty_file) {
    gguf_bytes b;
    b.b = {'G', 'G', 'M', 'L'};
    b.u32(3).u64(0).u64(0);
    EXPECT_TRUE(fails_with(b, errc::format, {"magic"}, 0));
    EXPECT_TRUE(fails_with(gguf_bytes{}, errc::format, {"magic", "truncated"}, 0));
}

TEST(gguf_errors, big_endian_header) {
    gguf_bytes b;
    b.b = {'G', 'G', 'U', 'F', 0, 0, 0, 3};  // version 3 written big-endian
    b.zeros(16);
    EXPECT_TRUE(fails_with(b, errc::unsupported, {"big-endian GGUF is not supported"}, 4));
    b.b[7] = 2;
    EXPECT_TRUE(fails_with(b, errc::unsupported, {"big-endian"}, 4));
    gguf_bytes reversed;
    reversed.b = {'F', 'U', 'G', 'G', 0, 0, 0, 3};
    reversed.zeros(16);
    EXPECT_TRUE(fails_with(reversed, errc::unsupported, {"big-endian"}, 0));
}

TEST(gguf_errors, unsupported_versions) {
    gguf_bytes v1;
    v1.header(0, 0, 1);
    EXPECT_TRUE(fails_with(v1, errc::unsupported, {"v1"}, 4));
    gguf_bytes v4;
    v4.header(0, 0, 4);
    EXPECT_TRUE(fails_with(v4, errc::unsupported, {"version 4"}, 4));
    gguf_bytes v0;
    v0.header(0, 0, 0);
    EXPECT_TRUE(fails_with(v0, errc::unsupported, {"version 0"}, 4));
}

TEST(gguf_errors, truncation_anywhere_is_an_error) {
    gguf::writer w;
    w.set("general.architecture", gguf::value::str("llama"));
    w.set("n", gguf::value::u32(5));
    w.set("list",
          gguf::value::arr(gguf::value_type::array,
                           {gguf::value::arr(gguf::value_type::string, {gguf::value::str("a")})}));
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    w.add_tensor("x", kernels::ggml_type::f32, {8}, x, sizeof x);
    w.add_tensor("y", kernels::ggml_type::f32, {2, 2}, x, 16);
    gguf_bytes full;
    full.b = w.to_bytes();
    auto f = gguf::file::parse(full.span(), nullptr);
    ASSERT_TRUE(f) << f.error().message;
    const auto& last = f->tensors().back();
    const size_t end = f->data_offset() + last.offset + last.nbytes;
    for (size_t cut = 0; cut < end; ++cut) {
        gguf_bytes b;
        b.b.assign(full.b.begin(), full.b.begin() + static_cast<std::ptrdiff_t>(cut));
        auto g = gguf::file::parse(b.span(), nullptr);
        ASSERT_FALSE(g) << "cut at " << cut << " parsed";
        EXPECT_EQ(g.error().code, errc::format) << g.error().message;
        EXPECT_GE(g.error().offset, 0) << g.error().message;
        EXPECT_NE(g.error().message.find("at offset"), std::string::npos);
    }
}

TEST(gguf_errors, counts_larger_than_the_file) {
    gguf_bytes huge_kv;
    huge_kv.header(0, uint64_t{1} << 62);
    EXPECT_TRUE(fails_with(huge_kv, errc::format, {"n_kv"}, 16));
    gguf_bytes huge_tensors;
    huge_tensors.header(uint64_t{1} << 40, 0);
    EXPECT_TRUE(fails_with(huge_tensors, errc::format, {"n_tensors"}, 8));
}

TEST(gguf_errors, string_and_array_lengths_past_the_end) {
    gguf_bytes key;
    key.header(0, 1).u64(1000).zeros(20);
    EXPECT_TRUE(fails_with(key, errc::format, {"key #0", "key length 1000", "exceeds"}, 24));

    gguf_bytes str;
    str.header(0, 1).str("general.name").u32(8);
    const auto at = static_cast<int64_t>(str.size());
    str.u64(uint64_t{1} << 40).zeros(8);
    EXPECT_TRUE(
        fails_with(str, errc::format, {"key 'general.name'", "string length", "exceeds"}, at));

    gguf_bytes arr;
    arr.header(0, 1).str("tokenizer.ggml.scores").u32(9).u32(6);
    const auto count_at = static_cast<int64_t>(arr.size());
    arr.u64(uint64_t{1} << 60).zeros(64);
    EXPECT_TRUE(fails_with(arr, errc::format,
                           {"key 'tokenizer.ggml.scores'", "array count", "exceeds"}, count_at));

    // One element more than the bytes left (4 bytes each).
    gguf_bytes tight;
    tight.header(0, 1).str("a").u32(9).u32(4).u64(5).zeros(16);
    EXPECT_TRUE(fails_with(tight, errc::format, {"array count 5"}));

    // A nested array whose count is too large.
    gguf_bytes nested;
    nested.header(0, 1).str("n").u32(9).u32(9).u64(1).u32(8);
    const auto inner_at = static_cast<int64_t>(nested.size());
    nested.u64(1000000).zeros(8);
    EXPECT_TRUE(fails_with(nested, errc::format, {"key 'n'", "array count 1000000"}, inner_at));
}

TEST(gguf_errors, unknown_value_types) {
    gguf_bytes b;
    b.header(0, 1).str("k");
    const auto at = static_cast<int64_t>(b.size());
    b.u32(13).u64(0);
    EXPECT_TRUE(fails_with(b, errc::format, {"key 'k'", "unknown value type 13"}, at));

    gguf_bytes elem;
    elem.header(0, 1).str("k").u32(9);
    const auto elem_at = static_cast<int64_t>(elem.size());
    elem.u32(77).u64(0);
    EXPECT_TRUE(fails_with(elem, errc::format, {"unknown array element type 77"}, elem_at));
}

TEST(gguf_errors, duplicate_keys) {
    gguf_bytes b;
    b.header(0, 2).kv_u32("llama.block_count", 1);
    const auto at = static_cast<int64_t>(b.size());
    b.kv_u32("llama.block_count", 2);
    EXPECT_TRUE(fails_with(b, errc::format, {"key 'llama.block_count'", "duplicate key"}, at));
}

TEST(gguf_errors, general_alignment) {
    for (const uint32_t a : {0u, 3u, 48u}) {
        gguf_bytes b;
        b.header(0, 1).kv_u32("general.alignment", a);
        EXPECT_TRUE(
            fails_with(b, errc::format, {"general.alignment", std::to_string(a), "power of two"}));
    }
    gguf_bytes wrong_type;
    wrong_type.header(0, 1).str("general.alignment").u32(10).u64(32);
    EXPECT_TRUE(fails_with(wrong_type, errc::format, {"general.alignment", "uint32", "uint64"}));

    gguf_bytes ok;
    ok.header(1, 1).kv_u32("general.alignment", 64).tensor("t", {4}, f32_id, 0).pad(64).zeros(16);
    auto f = gguf::file::parse(ok.span(), nullptr);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->alignment(), 64u);
    EXPECT_EQ(f->data_offset(), 128u);  // 90 bytes of header, kv and info, padded to 64
    EXPECT_EQ(f->tensors()[0].data, ok.b.data() + 128);
}

TEST(gguf_errors, array_nesting_is_bounded) {
    // Nine levels of arrays: one more than allowed.
    gguf_bytes nine;
    nine.header(0, 1).str("deep").u32(9);
    for (int i = 0; i < 8; ++i) nine.u32(9).u64(1);
    nine.u32(0).u64(0);
    EXPECT_TRUE(fails_with(nine, errc::format, {"key 'deep'", "nested deeper than 8"}));

    // A hostile file nesting 200000 levels must fail fast, not overflow the stack.
    gguf_bytes hostile;
    hostile.header(0, 1).str("deep").u32(9);
    for (int i = 0; i < 200000; ++i) hostile.u32(9).u64(1);
    EXPECT_TRUE(fails_with(hostile, errc::format, {"nested deeper than 8"}));

    // Eight levels are fine.
    gguf_bytes eight;
    eight.header(0, 1).str("deep").u32(9);
    for (int i = 0; i < 7; ++i) eight.u32(9).u64(1);
    eight.u32(0).u64(1).u8(42);
    EXPECT_TRUE(parses(eight));
}

TEST(gguf_errors, n_dims_above_four) {
    gguf_bytes b;
    b.header(1, 0).str("blk.0.attn_q.weight");
    const auto at = static_cast<int64_t>(b.size());
    b.u32(5).u64(1).u64(1).u64(1).u64(1).u64(1).u32(f32_id).u64(0).pad(32).zeros(4);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'blk.0.attn_q.weight': n_dims 5 > 4"}, at));
}

TEST(gguf_errors, negative_dimension) {
    gguf_bytes b;
    b.header(1, 0).str("w").u32(2).u64(4);
    const auto at = static_cast<int64_t>(b.size());
    b.u64(static_cast<uint64_t>(int64_t{-3})).u32(f32_id).u64(0);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'w'", "ne[1] is negative (-3)"}, at));
}

TEST(gguf_errors, element_count_overflow) {
    gguf_bytes b;
    b.header(1, 0).str("w").u32(3).u64(uint64_t{1} << 32).u64(uint64_t{1} << 30);
    const auto at = static_cast<int64_t>(b.size());
    b.u64(uint64_t{1} << 2).u32(f32_id).u64(0);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'w'", "overflows int64", "ne[2]"}, at));

    // The element count fits int64 but the byte size does not fit uint64.
    gguf_bytes bytes;
    bytes.header(1, 0).str("w").u32(1).u64(uint64_t{1} << 62).u32(28).u64(0);  // f64
    EXPECT_TRUE(fails_with(bytes, errc::format, {"tensor 'w'", "byte size overflows"}));
}

TEST(gguf_errors, unknown_tensor_type) {
    for (const uint32_t type : {4u, 99u, 0xffffffffu}) {
        gguf_bytes b;
        b.header(1, 0).str("w").u32(1).u64(32);
        const auto at = static_cast<int64_t>(b.size());
        b.u32(type).u64(0);
        EXPECT_TRUE(fails_with(b, errc::unsupported,
                               {"tensor 'w'", "unknown tensor type id " + std::to_string(type)},
                               at));
    }
}

TEST(gguf_errors, row_not_a_multiple_of_the_block_size) {
    gguf_bytes b;
    b.header(1, 0).str("q").u32(2).u64(16).u64(4);
    const auto at = static_cast<int64_t>(b.size());
    b.u32(q8_0_id).u64(0);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'q'", "q8_0 block size 32"}, at));
}

TEST(gguf_errors, duplicate_tensor_names) {
    gguf_bytes b;
    b.header(2, 0).tensor("w", {4}, f32_id, 0);
    const auto at = static_cast<int64_t>(b.size());
    b.tensor("w", {4}, f32_id, 32).pad(32).zeros(64);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'w'", "duplicate tensor name"}, at));
}

TEST(gguf_errors, unaligned_tensor_offset) {
    gguf_bytes b;
    b.header(1, 0).str("w").u32(1).u64(4).u32(f32_id);
    const auto at = static_cast<int64_t>(b.size());
    b.u64(4).pad(32).zeros(64);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'w'", "not aligned to 32"}, at));
}

TEST(gguf_errors, tensor_data_past_the_end) {
    gguf_bytes b;
    b.header(1, 0).str("w").u32(1).u64(8).u32(f32_id);
    const auto at = static_cast<int64_t>(b.size());
    b.u64(0).pad(32).zeros(31);  // needs 32 bytes
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'w'", "past the end"}, at));

    gguf_bytes far;
    far.header(1, 0).str("w").u32(1).u64(8).u32(f32_id).u64(uint64_t{1} << 63).pad(32).zeros(32);
    EXPECT_TRUE(fails_with(far, errc::format, {"tensor 'w'", "past the end"}));

    // The file ends before the data section even starts.
    gguf_bytes none;
    none.header(1, 0).tensor("w", {1}, f32_id, 0);
    EXPECT_TRUE(fails_with(none, errc::format, {"tensor 'w'", "past the end"}));
}

TEST(gguf_errors, overlapping_tensors) {
    gguf_bytes b;
    b.header(3, 0).tensor("a", {16}, f32_id, 0);                         // [0, 64)
    const auto at = static_cast<int64_t>(b.size()) + 8 + 1 + 4 + 8 + 4;  // b's offset field
    b.tensor("b", {8}, f32_id, 32)                                       // [32, 64)
        .tensor("c", {8}, f32_id, 64)                                    // [64, 96): fine
        .pad(32)
        .zeros(96);
    EXPECT_TRUE(fails_with(b, errc::format, {"tensor 'b'", "overlaps tensor 'a'"}, at));

    // Same ranges listed in a different order: found after sorting by offset.
    gguf_bytes c;
    c.header(2, 0).tensor("late", {4}, f32_id, 96).tensor("wide", {32}, f32_id, 0);
    c.pad(32).zeros(128);
    EXPECT_TRUE(fails_with(c, errc::format, {"tensor 'late'", "overlaps tensor 'wide'"}));
}

TEST(gguf_errors, valid_corner_cases_load) {
    // A zero-size tensor [1, 0] sharing its offset with a real tensor, at the very end.
    gguf_bytes zero;
    zero.header(3, 0)
        .tensor("real", {8}, f32_id, 0)
        .tensor("empty", {1, 0}, f32_id, 0)
        .tensor("empty_end", {0}, q8_0_id, 32)
        .pad(32)
        .zeros(32);
    auto f = gguf::file::parse(zero.span(), nullptr);
    ASSERT_TRUE(f) << f.error().message;
    const auto* e = f->find_tensor("empty");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->nbytes, 0u);
    EXPECT_EQ(e->ne[0], 1);
    EXPECT_EQ(e->ne[1], 0);
    EXPECT_EQ(f->find_tensor("empty_end")->nbytes, 0u);

    // No tensors and no padding after the metadata (as llama.cpp's vocab files end).
    gguf_bytes vocab;
    vocab.header(0, 1).kv_str("tokenizer.ggml.model", "llama");
    auto v = gguf::file::parse(vocab.span(), nullptr);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->tensors().empty());

    // Scalar tensor (n_dims 0) and every 4-D shape element present.
    gguf_bytes scalar;
    scalar.header(2, 0).tensor("s", {}, f32_id, 0).tensor("t", {1, 2, 3, 4}, f32_id, 32);
    scalar.pad(32).zeros(32 + 96);
    auto s = gguf::file::parse(scalar.span(), nullptr);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->find_tensor("s")->nbytes, 4u);
    EXPECT_EQ(s->find_tensor("t")->nbytes, 96u);
}
