// .npy reader/writer: the stories260K reference arrays, round trips, and malformed files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "expect_error.h"
#include "prism/npy.h"
#include "test_paths.h"
#include "test_util.h"

namespace {

using prism::errc;
using prism::test::expect_error;
using prism::test::process_temp_dir;
namespace npy = prism::npy;

// A version 1.0 file with the given header text (padding/newline added) and data bytes.
std::vector<uint8_t> make_npy(const std::string& dict, size_t data_bytes, int major = 1) {
    std::string header = dict;
    const size_t pre = major == 1 ? 10 : 12;
    while ((pre + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    std::vector<uint8_t> out{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
    for (size_t i = 0; i < pre - 8; ++i)
        out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.resize(out.size() + data_bytes, 0);
    return out;
}

TEST(npy, reads_reference_tokens) {
    auto a = npy::load(prism::test::reference("tokens.npy"));
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->descr, "<i4");
    EXPECT_EQ(a->shape, (std::vector<int64_t>{32}));
    auto ids = npy::to_i32(*a);
    ASSERT_TRUE(ids);
    ASSERT_EQ(ids->size(), 32u);
    EXPECT_EQ((std::vector<int32_t>(ids->begin(), ids->begin() + 5)),
              (std::vector<int32_t>{1, 403, 407, 261, 378}));
}

TEST(npy, reads_reference_logits_and_attention) {
    auto logits = npy::load(prism::test::reference("logits.npy"));
    ASSERT_TRUE(logits) << logits.error().message;
    EXPECT_EQ(logits->descr, "<f4");
    EXPECT_EQ(logits->shape, (std::vector<int64_t>{32, 512}));
    const auto v = npy::to_f32(*logits);
    ASSERT_EQ(v.size(), 32u * 512u);
    for (float x : v) ASSERT_TRUE(std::isfinite(x));

    auto att = npy::load(prism::test::reference("attention.npy"));
    ASSERT_TRUE(att) << att.error().message;
    EXPECT_EQ(att->shape, (std::vector<int64_t>{5, 8, 32, 32}));
    EXPECT_EQ(att->numel(), 5 * 8 * 32 * 32);
    EXPECT_FALSE(npy::to_i32(*att));  // float arrays are not ids
}

TEST(npy, round_trip_f32_and_i32) {
    const std::vector<float> v{1.5f, -2.f, 0.f, 3.25f, 1e-3f, 7.f};
    const int64_t shape[] = {2, 3};
    const std::string path = process_temp_dir().file("a.npy");
    ASSERT_TRUE(npy::save_f32(path, shape, v.data()));
    EXPECT_EQ(std::filesystem::file_size(path) % 64, 24u);  // 64-byte aligned header + 24 B
    auto a = npy::load(path);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->descr, "<f4");
    EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(npy::to_f32(*a), v);

    const std::vector<int32_t> ids{5, -7, 2147483647};
    const int64_t s1[] = {3};
    ASSERT_TRUE(npy::save_i32(path, s1, ids.data()));
    a = npy::load(path);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->shape, (std::vector<int64_t>{3}));
    EXPECT_EQ(*npy::to_i32(*a), ids);

    const float scalar = 4.f;
    ASSERT_TRUE(npy::save_f32(path, {}, &scalar));
    a = npy::load(path);
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->shape.empty());
    EXPECT_EQ(npy::to_f32(*a), std::vector<float>{4.f});

    const int64_t empty_shape[] = {0, 4};
    ASSERT_TRUE(npy::save_f32(path, empty_shape, nullptr));
    a = npy::load(path);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->numel(), 0);
    std::filesystem::remove(path);
}

TEST(npy, reads_i8_f8_and_version_2) {
    std::vector<uint8_t> bytes =
        make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2L,), }", 16, 2);
    const int64_t vals[2] = {-3, 1ll << 40};
    std::memcpy(bytes.data() + bytes.size() - 16, vals, 16);
    auto a = npy::parse(bytes);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(npy::to_f32(*a)[0], -3.f);
    auto ids = npy::to_i32(*a);
    ASSERT_FALSE(ids);
    EXPECT_NE(ids.error().message.find("element 1"), std::string::npos);

    bytes = make_npy("{\"descr\": \"<f8\", \"shape\": (1, 1), \"fortran_order\": False}", 8);
    const double d = 0.25;
    std::memcpy(bytes.data() + bytes.size() - 8, &d, 8);
    a = npy::parse(bytes);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(npy::to_f32(*a), std::vector<float>{0.25f});
}

TEST(npy, rejects_malformed_files) {
    expect_error(npy::parse(std::vector<uint8_t>{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}),
                 errc::format, "magic");
    auto bytes = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 16);
    bytes[8] = 0xff;  // header length past the end
    bytes[9] = 0xff;
    expect_error(npy::parse(bytes), errc::format, "past the end");
    // shape product vs file size
    expect_error(
        npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 12)),
        errc::format, "needs 16 data bytes but the file holds 12");
    expect_error(
        npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 16)),
        errc::format, "needs 12");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False}", 0)), errc::format,
                 "lacks 'shape'");
    expect_error(
        npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 0)),
        errc::format, "non-negative");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                                     "'shape': ()}",
                                     4)),
                 errc::format, "duplicate key 'descr'");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}", 4)),
                 errc::format, "True or False");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
                                     "'extra': 1}",
                                     8)),
                 errc::format, "unexpected key 'extra'");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                     "(4294967296, 4294967296, 4294967296)}",
                                     0)),
                 errc::format, "overflows");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                     "(92233720368547758070,)}",
                                     0)),
                 errc::format, "dimension too large");
}

TEST(npy, rejects_unsupported_arrays) {
    expect_error(npy::parse(make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", 4)),
                 errc::unsupported, "'>f4'");
    expect_error(npy::parse(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,)}", 4)),
                 errc::unsupported, "Fortran");
    auto bytes = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4);
    bytes[6] = 4;
    expect_error(npy::parse(bytes), errc::unsupported, "version 4.0");
}

TEST(npy, missing_file_is_io_error) {
    auto r = npy::load("/nonexistent/x.npy");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::io);
}

TEST(npy, mutated_files_are_rejected_or_consistent) {
    const int64_t shape[] = {3, 4};
    const std::vector<float> v(12, 1.f);
    const std::string path = process_temp_dir().file("m.npy");
    ASSERT_TRUE(npy::save_f32(path, shape, v.data()));
    auto good = npy::load(path);
    ASSERT_TRUE(good);
    auto bytes = npy::to_bytes(*good);
    ASSERT_TRUE(bytes);
    std::mt19937 rng(99);
    for (int iter = 0; iter < 3000; ++iter) {
        auto b = *bytes;
        const size_t header_end = b.size() - 48;
        for (int e = 0; e < 1 + iter % 3; ++e) {
            const size_t at = rng() % header_end;  // the header is what the parser reads
            b[at] = iter % 2 ? static_cast<uint8_t>("0123456789(),:' "[rng() % 16])
                             : static_cast<uint8_t>(rng());
        }
        if (iter % 7 == 0) b.resize(rng() % b.size());
        auto r = npy::parse(b);
        if (!r) continue;
        ASSERT_EQ(r->data.size(), static_cast<size_t>(r->numel()) * r->item_size());
    }
}

}  // namespace
