// Fuzz-style robustness of the GGUF reader on the bundled stories260K model: truncations at
// random offsets must all fail cleanly, and random byte flips in the header, metadata and
// tensor infos must either parse or fail cleanly, with no allocation larger than a bound.
// Fixed seeds keep failures reproducible. The largest single allocation is tracked by
// replacing the global operator new in this test executable.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <random>

#include "prism/gguf.h"
#include "test_paths.h"

namespace {

std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};

void* counted_alloc(size_t n) {
    if (g_tracking.load(std::memory_order_relaxed)) {
        size_t prev = g_largest.load(std::memory_order_relaxed);
        while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
        }
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}

}  // namespace

void* operator new(size_t n) {
    return counted_alloc(n);
}
void* operator new[](size_t n) {
    return counted_alloc(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
    std::free(p);
}

using namespace prism;

namespace {

std::vector<uint8_t> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class gguf_fuzz : public ::testing::Test {
protected:
    void SetUp() override {
        bytes = read_all(test::bundled_model());
        ASSERT_GT(bytes.size(), 1000u);
        auto f = gguf::file::parse(bytes, nullptr);
        ASSERT_TRUE(f) << f.error().message;
        data_offset = f->data_offset();
        g_largest = 0;
        g_tracking = true;
    }
    void TearDown() override { g_tracking = false; }

    // A clean failure: a malformed-file code and a message with the offset.
    static void expect_clean_error(const error& e, const std::string& what) {
        EXPECT_TRUE(e.code == errc::format || e.code == errc::unsupported)
            << what << ": code " << static_cast<int>(e.code) << ": " << e.message;
        EXPECT_TRUE(e.message.starts_with("gguf: ")) << what << ": " << e.message;
        EXPECT_GE(e.offset, 0) << what << ": " << e.message;
    }

    std::vector<uint8_t> bytes;
    uint64_t data_offset = 0;
    // No single allocation may exceed the file size by much (no count trusted blindly).
    static constexpr size_t max_allocation = 8u << 20;
};

}  // namespace

TEST_F(gguf_fuzz, truncation_at_random_offsets_always_fails) {
    std::mt19937_64 rng(20240601);
    std::vector<size_t> cuts;
    // Half in the header/metadata region, half anywhere (every cut short of the end loses
    // tensor data: the last tensor ends exactly at the end of the file).
    for (int i = 0; i < 25; ++i) cuts.push_back(rng() % data_offset);
    for (int i = 0; i < 25; ++i) cuts.push_back(rng() % bytes.size());
    for (const size_t cut : cuts) {
        auto f = gguf::file::parse(std::span<const uint8_t>(bytes.data(), cut), nullptr);
        ASSERT_FALSE(f) << "cut at " << cut << " parsed";
        expect_clean_error(f.error(), "cut at " + std::to_string(cut));
    }
    EXPECT_LT(g_largest.load(), max_allocation);
}

TEST_F(gguf_fuzz, random_byte_flips_in_metadata_parse_or_fail_cleanly) {
    std::mt19937_64 rng(7);
    int parsed = 0, failed = 0;
    for (int iter = 0; iter < 200; ++iter) {
        // 1..4 random bytes, each set to a random value or to an "interesting" one.
        const int n_flips = 1 + static_cast<int>(rng() % 4);
        std::vector<std::pair<size_t, uint8_t>> saved;
        for (int k = 0; k < n_flips; ++k) {
            const size_t pos = rng() % data_offset;
            saved.emplace_back(pos, bytes[pos]);
            static constexpr uint8_t interesting[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x20};
            bytes[pos] = rng() % 2 ? static_cast<uint8_t>(rng())
                                   : interesting[rng() % std::size(interesting)];
        }
        auto f = gguf::file::parse(bytes, nullptr);
        if (f) {
            ++parsed;
            for (const auto& t : f->tensors()) {  // every tensor lies inside the buffer
                ASSERT_GE(t.data, bytes.data());
                ASSERT_LE(t.data + t.nbytes, bytes.data() + bytes.size()) << t.name;
            }
        } else {
            ++failed;
            expect_clean_error(f.error(), "iteration " + std::to_string(iter));
        }
        for (auto it = saved.rbegin(); it != saved.rend(); ++it) bytes[it->first] = it->second;
    }
    EXPECT_EQ(parsed + failed, 200);
    EXPECT_GT(failed, 0);
    EXPECT_GT(parsed, 0);             // flips inside token texts and scores are harmless
    EXPECT_GT(g_largest.load(), 0u);  // the allocation tracking is live
    EXPECT_LT(g_largest.load(), max_allocation);
}

TEST_F(gguf_fuzz, every_length_field_set_to_huge_values_fails_cleanly) {
    // Overwrite each aligned 8-byte word of the metadata with values just past the bytes
    // left and far beyond: counts and lengths must be rejected before allocating.
    std::mt19937_64 rng(99);
    for (int iter = 0; iter < 100; ++iter) {
        const size_t pos = (rng() % (data_offset / 8)) * 8;
        uint64_t saved;
        std::memcpy(&saved, bytes.data() + pos, 8);
        const uint64_t huge = iter % 2 ? bytes.size() - pos : (uint64_t{1} << (40 + iter % 24));
        std::memcpy(bytes.data() + pos, &huge, 8);
        auto f = gguf::file::parse(bytes, nullptr);
        if (!f) expect_clean_error(f.error(), "word at " + std::to_string(pos));
        std::memcpy(bytes.data() + pos, &saved, 8);
    }
    EXPECT_LT(g_largest.load(), max_allocation);
}
