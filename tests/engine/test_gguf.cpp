// GGUF reader and writer on real files and round trips: the bundled stories260K model, the
// vocabulary-only files from llama.cpp, and files written here with every value type and
// several tensor types, read back unchanged. Malformed files are in test_gguf_errors.cpp,
// fuzzing in test_gguf_fuzz.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "prism/gguf.h"
#include "test_paths.h"

namespace fs = std::filesystem;
using namespace prism;
using gguf::value;
using gguf::value_type;
using kernels::ggml_type;

namespace {

std::vector<uint8_t> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
}

class temp_dir {
public:
    temp_dir() {
        path = fs::temp_directory_path() /
               ("prism_gguf_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
    fs::path path;
};

}  // namespace

TEST(gguf_file, opens_bundled_stories260k) {
    auto f = gguf::file::open(test::bundled_model());
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(f->data_offset() % 32, 0u);
    EXPECT_EQ(f->get_string("general.architecture"), "llama");
    EXPECT_EQ(f->get_int("llama.context_length"), 2048);
    EXPECT_EQ(f->get_int("llama.embedding_length"), 64);
    EXPECT_EQ(f->get_int("llama.block_count"), 5);
    EXPECT_EQ(f->get_int("llama.attention.head_count_kv"), 4);
    EXPECT_NEAR(*f->get_float("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-12);
    EXPECT_EQ(f->get_string("tokenizer.ggml.model"), "llama");

    const value* tokens = f->find("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    ASSERT_EQ(tokens->type, value_type::array);
    EXPECT_EQ(tokens->as_array().elem_type, value_type::string);
    EXPECT_EQ(tokens->as_array().items.size(), 512u);
    EXPECT_EQ(tokens->as_array().items[1].as_string(), "<s>");
    EXPECT_EQ(tokens->to_display(), "[512 × string]");

    ASSERT_EQ(f->tensors().size(), 48u);  // embd, output_norm, output + 5 × 9
    const auto* emb = f->find_tensor("token_embd.weight");
    ASSERT_NE(emb, nullptr);
    EXPECT_EQ(emb->n_dims, 2u);
    EXPECT_EQ(emb->ne[0], 64);
    EXPECT_EQ(emb->ne[1], 512);
    EXPECT_EQ(emb->ne[2], 1);
    EXPECT_EQ(emb->type, ggml_type::f32);
    EXPECT_EQ(emb->nbytes, 64u * 512u * 4u);
    EXPECT_NE(f->find_tensor("output.weight"), nullptr);
    EXPECT_EQ(f->find_tensor("no.such.tensor"), nullptr);
    EXPECT_EQ(f->find("no.such.key"), nullptr);
    EXPECT_EQ(f->get_int("no.such.key"), std::nullopt);

    // The data pointer is mapping + data_offset + offset: compare with a plain read.
    const auto raw = read_all(test::bundled_model());
    for (const auto& t : f->tensors()) {
        ASSERT_LE(f->data_offset() + t.offset + t.nbytes, raw.size()) << t.name;
        EXPECT_EQ(std::memcmp(t.data, raw.data() + f->data_offset() + t.offset, t.nbytes), 0)
            << t.name;
    }
}

TEST(gguf_file, shared_copy_matches_bundled_copy) {
    auto a = gguf::file::open(test::shared_path("models/stories260K/stories260K.gguf"));
    auto b = gguf::file::open(test::bundled_model());
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(a->metadata(), b->metadata());
    EXPECT_EQ(a->tensors().size(), b->tensors().size());
}

TEST(gguf_file, typed_lookups_name_the_key_on_type_mismatch) {
    auto f = gguf::file::open(test::bundled_model());
    ASSERT_TRUE(f);
    try {
        (void)f->get_int("general.architecture");
        FAIL() << "expected a type error";
    } catch (const engine_error& e) {
        EXPECT_EQ(e.code(), errc::format);
        EXPECT_NE(std::string(e.what()).find("general.architecture"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("string"), std::string::npos);
    }
    EXPECT_THROW((void)f->get_string("llama.context_length"), engine_error);
    EXPECT_THROW((void)f->get_bool("llama.context_length"), engine_error);
    // Integers widen to float.
    EXPECT_EQ(f->get_float("llama.context_length"), 2048.0);
}

TEST(gguf_file, opens_vocab_only_files) {
    struct expect {
        const char* file;
        const char* model;
        size_t n_tokens;
    };
    for (const auto& e : {expect{"ggml-vocab-llama-spm.gguf", "llama", 32000},
                          expect{"ggml-vocab-gpt-2.gguf", "gpt2", 50257}}) {
        SCOPED_TRACE(e.file);
        auto f =
            gguf::file::open(test::shared_path(std::string("models/llama.cpp-vocab/") + e.file));
        ASSERT_TRUE(f) << f.error().message;
        EXPECT_TRUE(f->tensors().empty());
        EXPECT_EQ(f->get_string("tokenizer.ggml.model"), e.model);
        const value* tokens = f->find("tokenizer.ggml.tokens");
        ASSERT_NE(tokens, nullptr);
        EXPECT_EQ(tokens->as_array().items.size(), e.n_tokens);
    }
}

TEST(gguf_file, missing_file_is_an_io_error) {
    auto f = gguf::file::open("/nonexistent/prism/model.gguf");
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, errc::io);
}

TEST(gguf_value, accessors_and_display) {
    EXPECT_EQ(value::u32(7).as_int(), 7);
    EXPECT_EQ(value::i32(-7).as_int(), -7);
    EXPECT_EQ(value::u64(UINT64_MAX).to_display(), "18446744073709551615");
    EXPECT_THROW((void)value::u64(UINT64_MAX).as_int(), engine_error);
    EXPECT_EQ(value::f32(0.1f).to_display(), "0.1");
    EXPECT_FLOAT_EQ(static_cast<float>(value::f32(0.1f).as_float()), 0.1f);
    EXPECT_DOUBLE_EQ(value::i32(3).as_float(), 3.0);
    EXPECT_EQ(value::boolean(true).to_display(), "true");
    EXPECT_TRUE(value::boolean(true).as_bool());
    EXPECT_THROW((void)value::boolean(true).as_int(), engine_error);
    EXPECT_EQ(value::str("a\nb").to_display(), "a\\nb");
    EXPECT_EQ(value::str(std::string(500, 'x')).to_display().size(), 120u + 3u);  // + "…"
    EXPECT_EQ(value::arr(value_type::int32, {value::i32(1), value::i32(-2)}).to_display(),
              "[1, -2]");
    EXPECT_EQ(value::arr(value_type::string, {value::str("a"), value::str("b")}).to_display(),
              "[\"a\", \"b\"]");
    EXPECT_EQ(value::arr(value_type::array, {value::arr(value_type::uint32, {value::u32(1)}),
                                             value::arr(value_type::string, {})})
                  .to_display(),
              "[[1], []]");
    std::vector<value> many(100, value::f32(1.f));
    EXPECT_EQ(value::arr(value_type::float32, many).to_display(), "[100 × float32]");
    try {
        (void)value::str("x").as_array();
        FAIL();
    } catch (const engine_error& e) {
        EXPECT_EQ(e.code(), errc::format);
        EXPECT_NE(std::string(e.what()).find("got string"), std::string::npos);
    }
    EXPECT_EQ(gguf::value_type_name(value_type::boolean), "bool");
    EXPECT_EQ(gguf::value_type_name(value_type::float64), "float64");
    EXPECT_EQ(gguf::value_type_name(static_cast<value_type>(99)), "unknown");
}

namespace {

// Every value type, nested arrays included.
std::vector<std::pair<std::string, value>> every_value_type() {
    using vt = value_type;
    return {
        {"t.uint8", {vt::uint8, uint64_t{255}}},
        {"t.int8", {vt::int8, int64_t{-128}}},
        {"t.uint16", {vt::uint16, uint64_t{65535}}},
        {"t.int16", {vt::int16, int64_t{-32768}}},
        {"t.uint32", value::u32(4000000000u)},
        {"t.int32", value::i32(-2000000000)},
        {"t.float32", value::f32(-1.5e-5f)},
        {"t.bool", value::boolean(true)},
        {"t.string", value::str("héllo \"world\"\n")},
        {"t.empty_string", value::str("")},
        {"t.uint64", value::u64(UINT64_MAX)},
        {"t.int64", {vt::int64, int64_t{INT64_MIN}}},
        {"t.float64", {vt::float64, 3.141592653589793}},
        {"t.array_u8", value::arr(vt::uint8, {{vt::uint8, uint64_t{1}}, {vt::uint8, uint64_t{2}}})},
        {"t.array_bool", value::arr(vt::boolean, {value::boolean(false), value::boolean(true)})},
        {"t.array_f64", value::arr(vt::float64, {{vt::float64, -0.0}, {vt::float64, 1e300}})},
        {"t.array_str",
         value::arr(vt::string, {value::str("a"), value::str(""), value::str("ccc")})},
        {"t.array_empty", value::arr(vt::int64, {})},
        {"t.array_nested",
         value::arr(vt::array,
                    {value::arr(vt::string, {value::str("x"), value::str("y")}),
                     value::arr(vt::int32, {value::i32(-1)}), value::arr(vt::float32, {}),
                     value::arr(vt::array, {value::arr(vt::uint64, {value::u64(9)})})})},
    };
}

struct tensor_spec {
    std::string name;
    ggml_type type;
    std::vector<int64_t> ne;
};

}  // namespace

TEST(gguf_writer, round_trips_every_value_type_and_several_tensor_types) {
    const std::vector<tensor_spec> specs = {
        {"f32.2d", ggml_type::f32, {8, 3}},         {"f16.1d", ggml_type::f16, {5}},
        {"q8_0.2d", ggml_type::q8_0, {64, 2}},      {"q4_0.3d", ggml_type::q4_0, {32, 2, 3}},
        {"bf16.4d", ggml_type::bf16, {2, 3, 4, 5}}, {"i32.1d", ggml_type::i32, {7}},
        {"empty.2d", ggml_type::f32, {1, 0}},       {"q6_k.1d", ggml_type::q6_k, {256}},
    };
    gguf::writer w;
    const auto kv = every_value_type();
    for (const auto& [k, v] : kv) w.set(k, v);
    std::vector<std::vector<uint8_t>> payloads;
    for (size_t i = 0; i < specs.size(); ++i) {
        const auto& s = specs[i];
        int64_t numel = 1;
        for (const auto d : s.ne) numel *= d;
        const auto traits = kernels::type_info(s.type);
        payloads.push_back(
            random_bytes(static_cast<size_t>(numel / traits.block_size) * traits.type_size,
                         static_cast<uint32_t>(i + 1)));
        w.add_tensor(s.name, s.type, s.ne, payloads.back().data(), payloads.back().size());
    }

    temp_dir dir;
    const std::string path = (dir.path / "round_trip.gguf").string();
    ASSERT_TRUE(w.write(path));
    // Nothing but the result is left in the folder (the temporary file was renamed).
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
    EXPECT_EQ(read_all(path), w.to_bytes());

    auto f = gguf::file::open(path);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->metadata(), kv);
    ASSERT_EQ(f->tensors().size(), specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
        const auto& t = f->tensors()[i];
        SCOPED_TRACE(t.name);
        EXPECT_EQ(t.name, specs[i].name);
        EXPECT_EQ(t.type, specs[i].type);
        EXPECT_EQ(t.n_dims, specs[i].ne.size());
        for (size_t d = 0; d < 4; ++d)
            EXPECT_EQ(t.ne[d], d < specs[i].ne.size() ? specs[i].ne[d] : 1);
        EXPECT_EQ(t.offset % 32, 0u);
        ASSERT_EQ(t.nbytes, payloads[i].size());
        if (t.nbytes) {
            EXPECT_EQ(std::memcmp(t.data, payloads[i].data(), t.nbytes), 0);
        }
    }
    const auto* empty = f->find_tensor("empty.2d");
    ASSERT_NE(empty, nullptr);
    EXPECT_EQ(empty->nbytes, 0u);
    EXPECT_EQ(empty->ne[1], 0);
}

TEST(gguf_writer, honours_general_alignment_and_replaces_keys) {
    gguf::writer w;
    w.set("general.alignment", value::u32(256));
    w.set("a", value::u32(1));
    w.set("a", value::str("replaced"));
    const std::vector<float> x(3, 1.5f), y(5, -2.f);
    w.add_tensor("x", ggml_type::f32, {3}, x.data(), x.size() * 4);
    w.add_tensor("y", ggml_type::f32, {5}, y.data(), y.size() * 4);
    const auto bytes = w.to_bytes();
    auto f = gguf::file::parse(bytes, nullptr);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->alignment(), 256u);
    EXPECT_EQ(f->data_offset() % 256, 0u);
    ASSERT_EQ(f->metadata().size(), 2u);
    EXPECT_EQ(f->get_string("a"), "replaced");
    EXPECT_EQ(f->find_tensor("y")->offset, 256u);
    EXPECT_EQ(bytes.size() % 256, 0u);
    EXPECT_EQ(reinterpret_cast<const float*>(f->find_tensor("y")->data)[4], -2.f);
}

TEST(gguf_writer, vocab_only_file_round_trips) {
    gguf::writer w;
    w.set("tokenizer.ggml.model", value::str("llama"));
    const auto bytes = w.to_bytes();
    auto f = gguf::file::parse(bytes, nullptr);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_TRUE(f->tensors().empty());
    EXPECT_EQ(f->get_string("tokenizer.ggml.model"), "llama");
}

TEST(gguf_writer, reads_version_2) {
    gguf::writer w;
    w.set("k", value::i32(-3));
    const float x[2] = {1.f, 2.f};
    w.add_tensor("x", ggml_type::f32, {2}, x, sizeof x);
    auto bytes = w.to_bytes();
    bytes[4] = 2;  // v2 has the same layout as v3
    auto f = gguf::file::parse(bytes, nullptr);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->version(), 2u);
    EXPECT_EQ(f->get_int("k"), -3);
}

TEST(gguf_writer, rejects_inconsistent_input) {
    const auto code_of = [](auto&& fn) {
        try {
            fn();
        } catch (const engine_error& e) {
            return e.code();
        }
        return errc::internal;
    };
    gguf::writer w;
    EXPECT_EQ(code_of([&] {
                  w.set("x", {value_type::uint8, uint64_t{256}});
              }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] {
                  w.set("x", {value_type::uint32, int64_t{1}});
              }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] { w.set("x", value::arr(value_type::string, {value::u32(1)})); }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] { w.set("general.alignment", value::u32(48)); }), errc::invalid_argument);
    EXPECT_EQ(code_of([&] { w.set("general.alignment", value::u64(64)); }), errc::invalid_argument);
    value deep = value::arr(value_type::uint8, {});
    for (int i = 0; i < 8; ++i) deep = value::arr(value_type::array, {deep});
    EXPECT_EQ(code_of([&] { w.set("deep", deep); }), errc::invalid_argument);

    const std::vector<uint8_t> buf(1024);
    EXPECT_EQ(code_of([&] { w.add_tensor("t", ggml_type::f32, {4}, buf.data(), 15); }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] { w.add_tensor("t", ggml_type::q8_0, {16}, buf.data(), 17); }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] {
                  w.add_tensor("t", ggml_type::f32, {1, 1, 1, 1, 1}, buf.data(), 4);
              }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] { w.add_tensor("t", ggml_type::f32, {-1}, buf.data(), 0); }),
              errc::invalid_argument);
    w.add_tensor("t", ggml_type::f32, {4}, buf.data(), 16);
    EXPECT_EQ(code_of([&] { w.add_tensor("t", ggml_type::f32, {4}, buf.data(), 16); }),
              errc::invalid_argument);
}

TEST(gguf_writer, eight_levels_of_nesting_round_trip) {
    value deep = value::arr(value_type::uint8, {value{value_type::uint8, uint64_t{7}}});
    for (int i = 0; i < 7; ++i) deep = value::arr(value_type::array, {deep});
    gguf::writer w;
    w.set("deep", deep);
    const auto bytes = w.to_bytes();
    auto f = gguf::file::parse(bytes, nullptr);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(*f->find("deep"), deep);
}

TEST(gguf_writer, write_to_missing_folder_is_an_io_error) {
    gguf::writer w;
    auto r = w.write("/nonexistent/prism/out.gguf");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::io);
}

TEST(gguf_writer, filled_tensors_match_copied_ones_and_stop_leaves_no_file) {
    const auto a = random_bytes(64 * 2 * 34 / 32, 5), b = random_bytes(16 * 4, 6);
    gguf::writer copied, filled;
    for (auto* w : {&copied, &filled}) w->set("k", value::u32(7));
    copied.add_tensor("a", ggml_type::q8_0, {64, 2}, a.data(), a.size());
    copied.add_tensor("b", ggml_type::f32, {16}, b.data(), b.size());
    int calls = 0;
    const auto from = [&](const std::vector<uint8_t>& src) {
        return [&calls, &src](std::span<uint8_t> dst) {
            ++calls;
            ASSERT_EQ(dst.size(), src.size());
            std::memcpy(dst.data(), src.data(), src.size());
        };
    };
    filled.add_tensor_fill("a", ggml_type::q8_0, {64, 2}, from(a));
    filled.add_tensor_fill("b", ggml_type::f32, {16}, from(b));
    EXPECT_EQ(filled.to_bytes(), copied.to_bytes());
    EXPECT_EQ(calls, 2);

    temp_dir dir;
    const std::string path = (dir.path / "filled.gguf").string();
    auto written = filled.write(path, std::stop_token{});
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_TRUE(*written);
    EXPECT_EQ(read_all(path), copied.to_bytes());
    EXPECT_EQ(calls, 4);

    std::stop_source stop;
    stop.request_stop();
    const std::string stopped = (dir.path / "stopped.gguf").string();
    written = filled.write(stopped, stop.get_token());
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_FALSE(*written);
    EXPECT_EQ(calls, 4);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
    EXPECT_THROW(filled.add_tensor_fill("c", ggml_type::q8_0, {33}, from(b)), engine_error);
    EXPECT_THROW(filled.add_tensor_fill("a", ggml_type::f32, {1}, from(b)), engine_error);
}
