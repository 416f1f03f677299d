// safetensors reader/writer: round trips through a file, and one small hand-built file per
// validation rule (each must fail with the right category and a message naming the problem).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "expect_error.h"
#include "prism/safetensors.h"
#include "test_paths.h"
#include "test_util.h"

namespace {

using prism::errc;
using prism::kernels::ggml_type;
using prism::test::expect_error;
using prism::test::process_temp_dir;
namespace st = prism::safetensors;

// 8-byte little-endian length + header text + data bytes.
std::vector<uint8_t> make_file(const std::string& header, size_t data_bytes,
                               uint64_t declared_len = UINT64_MAX) {
    const uint64_t n = declared_len == UINT64_MAX ? header.size() : declared_len;
    std::vector<uint8_t> out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    for (size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<uint8_t>(i));
    return out;
}

prism::result<st::file> parse(const std::vector<uint8_t>& bytes) {
    return st::file::parse(bytes, nullptr, "test.safetensors");
}

TEST(safetensors, round_trip_f32_f16_bf16_and_metadata) {
    const std::vector<float> a{1.f, -2.f, 3.5f, 4.f, 5.f, 6.f};
    const std::vector<uint16_t> b{prism::kernels::fp32_to_fp16(0.5f),
                                  prism::kernels::fp32_to_fp16(-1.25f)};
    const std::vector<uint16_t> c{prism::kernels::fp32_to_bf16(7.f)};
    st::writer w;
    // The f16 tensor first: the writer must still align the f32 one.
    ASSERT_TRUE(w.add_tensor("half", ggml_type::f16, {2}, b.data(), 4));
    ASSERT_TRUE(w.add_tensor("model.weight", ggml_type::f32, {2, 3}, a.data(), 24));
    ASSERT_TRUE(w.add_tensor("scalar", ggml_type::bf16, {}, c.data(), 2));
    ASSERT_TRUE(w.add_tensor("empty", ggml_type::f32, {0, 4}, nullptr, 0));
    w.set_metadata("format", "pt");
    w.set_metadata("format", "pt2");  // replaces
    w.set_metadata("author", "prism");

    const std::string path = process_temp_dir().file("round.safetensors");
    ASSERT_TRUE(w.write(path));
    auto f = st::file::open(path);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->data_offset() % 8, 0u);
    ASSERT_EQ(f->tensors().size(), 4u);

    const st::tensor* t = f->find("model.weight");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, "F32");
    EXPECT_EQ(t->type, ggml_type::f32);
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(t->numel(), 6);
    ASSERT_EQ(t->nbytes, 24u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % 4, 0u);
    EXPECT_EQ(std::memcmp(t->data, a.data(), 24), 0);

    t = f->find("half");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, "F16");
    EXPECT_EQ(t->type, ggml_type::f16);
    EXPECT_EQ(std::memcmp(t->data, b.data(), 4), 0);

    t = f->find("scalar");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->type, ggml_type::bf16);
    EXPECT_TRUE(t->shape.empty());
    EXPECT_EQ(t->numel(), 1);
    EXPECT_EQ(std::memcmp(t->data, c.data(), 2), 0);

    t = f->find("empty");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->nbytes, 0u);
    EXPECT_EQ(f->find("missing"), nullptr);

    ASSERT_EQ(f->metadata().size(), 2u);
    EXPECT_EQ(f->metadata()[0], (std::pair<std::string, std::string>{"author", "prism"}));
    EXPECT_EQ(f->metadata()[1], (std::pair<std::string, std::string>{"format", "pt2"}));
    EXPECT_NE(f->owner(), nullptr);
    std::filesystem::remove(path);
}

TEST(safetensors, views_outlive_the_file_object_through_owner) {
    const float v[2] = {1.f, 2.f};
    st::writer w;
    ASSERT_TRUE(w.add_tensor("x", ggml_type::f32, {2}, v, 8));
    const std::string path = process_temp_dir().file("owner.safetensors");
    ASSERT_TRUE(w.write(path));
    std::shared_ptr<const void> keep;
    const uint8_t* data = nullptr;
    {
        auto f = st::file::open(path);
        ASSERT_TRUE(f);
        keep = f->owner();
        data = f->find("x")->data;
    }
    float got[2];
    std::memcpy(got, data, 8);
    EXPECT_EQ(got[1], 2.f);
    std::filesystem::remove(path);
}

TEST(safetensors, writer_rejects_bad_tensors) {
    st::writer w;
    const float v[4] = {};
    EXPECT_FALSE(w.add_tensor("a", ggml_type::f32, {3}, v, 16));             // size mismatch
    EXPECT_FALSE(w.add_tensor("a", ggml_type::q8_0, {32}, v, 16));           // type
    EXPECT_FALSE(w.add_tensor("a", ggml_type::f32, {-1}, v, 16));            // negative
    EXPECT_FALSE(w.add_tensor("__metadata__", ggml_type::f32, {4}, v, 16));  // reserved
    ASSERT_TRUE(w.add_tensor("a", ggml_type::f32, {4}, v, 16));
    auto dup = w.add_tensor("a", ggml_type::f32, {4}, v, 16);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, errc::invalid_argument);
    EXPECT_NE(dup.error().message.find("'a'"), std::string::npos);
}

TEST(safetensors, hand_built_file_parses) {
    // The views point into `bytes`, which must outlive them.
    const auto bytes = make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]}}  )",
                                 12);
    auto r = parse(bytes);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->tensors().size(), 2u);
    EXPECT_EQ(r->tensors()[0].name, "a");
    EXPECT_EQ(r->tensors()[1].name, "b");
    EXPECT_EQ(r->tensors()[1].data[0], 8);  // make_file fills data byte i with i
    EXPECT_TRUE(r->metadata().empty());
}

TEST(safetensors, rejects_short_file) {
    expect_error(parse({1, 2, 3}), errc::format, "too short");
}

TEST(safetensors, rejects_header_past_end) {
    expect_error(parse(make_file("{}", 0, 50)), errc::format, "past the end of the file");
}

TEST(safetensors, rejects_huge_header_length) {
    expect_error(parse(make_file("{}", 0, uint64_t{1} << 40)), errc::format, "exceeds the limit");
}

TEST(safetensors, rejects_invalid_json) {
    expect_error(parse(make_file(R"({"a":{"dtype":"F32",)", 0)), errc::format, "invalid JSON");
    expect_error(parse(make_file("[1,2]", 0)), errc::format, "start with '{'");
}

TEST(safetensors, rejects_duplicate_tensor_name) {
    auto r = parse(make_file(R"({"w.dup":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("w.dup":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             8));
    expect_error(r, errc::format, "duplicate key \"w.dup\"");
}

TEST(safetensors, rejects_size_mismatch_naming_tensor) {
    expect_error(parse(make_file(R"({"blk":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
                 errc::format, "tensor 'blk'");
}

TEST(safetensors, rejects_offsets_past_data_buffer) {
    expect_error(parse(make_file(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8)),
                 errc::format, "past the end of the data buffer");
}

TEST(safetensors, rejects_overlap) {
    auto r = parse(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             12));
    expect_error(r, errc::format, "overlaps");
}

TEST(safetensors, rejects_bad_shapes_and_offsets) {
    expect_error(parse(make_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,0]}})", 0)),
                 errc::format, "negative");
    expect_error(parse(make_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],)"
                                 R"("data_offsets":[0,0]}})",
                                 0)),
                 errc::format, "overflows");
    expect_error(parse(make_file(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4)),
                 errc::format, "shape[0]");
    expect_error(parse(make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8)),
                 errc::format, "end before begin");
    expect_error(parse(make_file(R"({"t":{"dtype":"F32","shape":[1]}})", 4)), errc::format,
                 "data_offsets");
    expect_error(parse(make_file(R"({"t":[1,2]})", 0)), errc::format, "not an object");
    expect_error(parse(make_file(R"({"__metadata__":{"k":1}})", 0)), errc::format, "not a string");
}

TEST(safetensors, rejects_unsupported_dtype_naming_tensor) {
    auto r = parse(make_file(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8));
    expect_error(r, errc::unsupported, "tensor 'ids' has dtype I64");
    expect_error(parse(make_file(R"({"q":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}})", 1)),
                 errc::unsupported, "Q9");
}

TEST(safetensors, rejects_git_lfs_pointer) {
    const std::string ptr =
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 13489\n";
    const std::string path = process_temp_dir().file("model.safetensors");
    std::ofstream(path, std::ios::binary) << ptr;
    auto r = st::file::open(path);
    expect_error(r, errc::format, "Git LFS pointer");
    EXPECT_EQ(r.error().path, path);
    std::filesystem::remove(path);
}

TEST(safetensors, truncated_file_is_an_error) {
    const float v[8] = {};
    st::writer w;
    ASSERT_TRUE(w.add_tensor("t", ggml_type::f32, {8}, v, 32));
    auto bytes = w.to_bytes();
    bytes.resize(bytes.size() - 4);
    expect_error(parse(bytes), errc::format, "past the end of the data buffer");
    bytes.resize(20);
    expect_error(parse(bytes), errc::format, "past the end of the file");
}

TEST(safetensors, missing_file_is_io_error) {
    auto r = st::file::open("/nonexistent/dir/x.safetensors");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::io);
}

TEST(safetensors, mutated_files_never_escape_the_buffer) {
    const float v[6] = {1, 2, 3, 4, 5, 6};
    st::writer w;
    ASSERT_TRUE(w.add_tensor("a", ggml_type::f32, {2, 3}, v, 24));
    ASSERT_TRUE(w.add_tensor("b", ggml_type::f16, {4}, v, 8));
    w.set_metadata("format", "pt");
    const auto good = w.to_bytes();
    std::mt19937 rng(2024);
    for (int iter = 0; iter < 3000; ++iter) {
        auto bytes = good;
        const int edits = 1 + iter % 4;
        for (int e = 0; e < edits; ++e) {
            const size_t at = rng() % bytes.size();
            bytes[at] = iter % 3 == 0 ? static_cast<uint8_t>("0123456789[]{},:\"\"-"[rng() % 17])
                                      : static_cast<uint8_t>(rng());
        }
        if (iter % 5 == 0) bytes.resize(rng() % bytes.size());
        auto r = parse(bytes);
        if (!r) continue;
        for (const auto& t : r->tensors()) {
            ASSERT_GE(t.data, bytes.data());
            ASSERT_LE(t.data + t.nbytes, bytes.data() + bytes.size());
        }
    }
}

}  // namespace
