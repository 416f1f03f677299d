// model_quantize (quantize.h): the bundled model rewritten as Q8_0 keeps its metadata and its
// greedy text; the Q4_K_M / Q5_K_M mixes give each tensor of a random 256-wide model the type
// llama.cpp's llama-quantize would; rows that do not fit a block fall back (Q8_0, then F16,
// then F32 for values beyond F16's range); bad inputs fail cleanly and write nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "greedy.h"
#include "prism/gguf.h"
#include "prism/llama.h"
#include "prism/quantize.h"
#include "random_gguf.h"
#include "test_paths.h"
#include "test_util.h"

using namespace prism;
using kernels::ggml_type;

namespace {

std::map<std::string, ggml_type> tensor_types(const std::string& path) {
    auto f = gguf::file::open(path);
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().message);
    std::map<std::string, ggml_type> types;
    if (f)
        for (const auto& t : f->tensors()) types[t.name] = t.type;
    return types;
}

bool more_bits(int i, int n) {  // llama.cpp's use_more_bits, written out
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

}  // namespace

TEST(quantize, ftype_names_round_trip) {
    for (auto t : {quantize_ftype::q8_0, quantize_ftype::q4_0, quantize_ftype::q4_k,
                   quantize_ftype::q5_k, quantize_ftype::q6_k, quantize_ftype::q4_k_m,
                   quantize_ftype::q5_k_m, quantize_ftype::f16, quantize_ftype::bf16}) {
        EXPECT_EQ(quantize_ftype_from_name(quantize_ftype_name(t)), t);
    }
    EXPECT_EQ(quantize_ftype_from_name("q4_k_m"), quantize_ftype::q4_k_m);
    EXPECT_FALSE(quantize_ftype_from_name("Q3_K").has_value());
    EXPECT_FALSE(quantize_ftype_from_name("").has_value());
    EXPECT_EQ(static_cast<int>(quantize_ftype::q4_k_m), 15);  // LLAMA_FTYPE_MOSTLY_Q4_K_M
    EXPECT_EQ(quantize_ftype_base(quantize_ftype::q5_k_m), ggml_type::q5_k);
}

TEST(quantize, bundled_model_to_q8_0_keeps_metadata_and_greedy_text) {
    test::temp_dir dir;
    const std::string out = dir.file("q8.gguf");
    int64_t calls = 0;
    auto stats = model_quantize(test::bundled_model(), out, {.ftype = quantize_ftype::q8_0},
                                [&](const quantize_tensor_report&, int64_t done, int64_t total) {
                                    ++calls;
                                    EXPECT_LE(done, total);
                                    return true;
                                });
    ASSERT_TRUE(stats.has_value()) << stats.error().message;
    EXPECT_FALSE(stats->cancelled);
    EXPECT_EQ(calls, static_cast<int64_t>(stats->tensors.size()));
    EXPECT_LT(stats->bytes_out, stats->bytes_in / 2);

    // Metadata: every key copied unchanged, plus the file type and quantization version.
    auto in = gguf::file::open(test::bundled_model());
    auto q = gguf::file::open(out);
    ASSERT_TRUE(in && q);
    for (const auto& [key, value] : in->metadata()) {
        if (key == "general.file_type") continue;
        const auto* got = q->find(key);
        ASSERT_NE(got, nullptr) << key;
        EXPECT_EQ(*got, value) << key;
    }
    EXPECT_EQ(q->get_int("general.file_type"), 7);  // LLAMA_FTYPE_MOSTLY_Q8_0
    EXPECT_EQ(q->get_int("general.quantization_version"), 2);

    // Types: norms stay F32; ffn_down's rows (172) fit no block of 32 and fall back to F16.
    int fallbacks = 0;
    for (const auto& r : stats->tensors) {
        const auto& t = *q->find_tensor(r.name);
        EXPECT_EQ(t.type, r.type_out) << r.name;
        if (r.n_dims == 1) {
            EXPECT_EQ(r.type_out, ggml_type::f32) << r.name;
            EXPECT_FALSE(r.converted) << r.name;
        } else if (r.ne[0] % 32 != 0) {
            EXPECT_EQ(r.type_out, ggml_type::f16) << r.name;
            EXPECT_EQ(r.wanted, ggml_type::q8_0) << r.name;
            EXPECT_NE(r.fallback.find("row length 172"), std::string::npos) << r.fallback;
            ++fallbacks;
        } else {
            EXPECT_EQ(r.type_out, ggml_type::q8_0) << r.name;
        }
    }
    EXPECT_EQ(fallbacks, 5);  // one ffn_down per layer
    EXPECT_EQ(stats->n_fallbacks, 5);

    // The first 20 greedy tokens after "Once upon a time" match the F32 model's, and each
    // step's logits stay close (observed max difference 0.27; the logits span about 20).
    const std::vector<int32_t> prompt{1, 403, 407, 261, 378};
    const auto ref = test::greedy(test::bundled_model(), prompt, 20);
    const auto got = test::greedy(out, prompt, 20);
    ASSERT_EQ(got.tokens.size(), ref.tokens.size());
    for (size_t i = 0; i < ref.tokens.size(); ++i) {
        ASSERT_EQ(got.tokens[i], ref.tokens[i]) << "first mismatching generated token " << i;
        double max_diff = 0;
        for (size_t v = 0; v < ref.logits[i].size(); ++v)
            max_diff = std::max(max_diff, std::fabs(double{got.logits[i][v]} - ref.logits[i][v]));
        EXPECT_LT(max_diff, 0.5) << "step " << i;
    }
}

TEST(quantize, q4_k_m_mix_follows_llama_cpp) {
    test::temp_dir dir;
    constexpr int n_layer = 8;  // use_more_bits: layers 0, 3, 6, 7
    for (bool tied : {false, true}) {
        const std::string in = dir.file(tied ? "tied.gguf" : "untied.gguf");
        test::write_random_gguf(in, test::kquant_hparams(n_layer, tied), 5);
        for (auto [ftype, base] : {std::pair{quantize_ftype::q4_k_m, ggml_type::q4_k},
                                   std::pair{quantize_ftype::q5_k_m, ggml_type::q5_k}}) {
            const std::string out = dir.file("mix.gguf");
            auto stats = model_quantize(in, out, {.ftype = ftype});
            ASSERT_TRUE(stats.has_value()) << stats.error().message;
            EXPECT_EQ(stats->n_fallbacks, 0);
            const auto types = tensor_types(out);
            for (const auto& [name, type] : types) {
                ggml_type want = base;
                if (name.find("norm") != std::string::npos) want = ggml_type::f32;
                if (name == "output.weight" || (tied && name == "token_embd.weight"))
                    want = ggml_type::q6_k;
                for (int i = 0; i < n_layer; ++i) {
                    const std::string p = "blk." + std::to_string(i) + ".";
                    if ((name == p + "attn_v.weight" || name == p + "ffn_down.weight") &&
                        more_bits(i, n_layer))
                        want = ggml_type::q6_k;
                }
                EXPECT_EQ(type, want)
                    << quantize_ftype_name(ftype) << " " << name << (tied ? " (tied)" : "");
            }
            auto f = gguf::file::open(out);
            EXPECT_EQ(f->get_int("general.file_type"), static_cast<int>(ftype));
            // The mix loads and runs.
            EXPECT_EQ(test::greedy(out, {1, 2, 3}, 2).tokens.size(), 2u);
        }
    }
}

TEST(quantize, plain_and_pure_k_types) {
    test::temp_dir dir;
    const std::string in = dir.file("in.gguf");
    test::write_random_gguf(in, test::kquant_hparams(2), 9);
    for (auto [ftype, base] : {std::pair{quantize_ftype::q4_k, ggml_type::q4_k},
                               std::pair{quantize_ftype::q5_k, ggml_type::q5_k},
                               std::pair{quantize_ftype::q6_k, ggml_type::q6_k},
                               std::pair{quantize_ftype::q4_0, ggml_type::q4_0},
                               std::pair{quantize_ftype::q8_0, ggml_type::q8_0}}) {
        for (bool pure : {false, true}) {
            const std::string out = dir.file("out.gguf");
            ASSERT_TRUE(model_quantize(in, out, {.ftype = ftype, .pure = pure}).has_value());
            for (const auto& [name, type] : tensor_types(out)) {
                ggml_type want = base;
                if (name.find("norm") != std::string::npos) want = ggml_type::f32;
                // llama.cpp: the classifier gets Q6_K unless the file type is Q8_0.
                if (name == "output.weight" && !pure && base != ggml_type::q8_0)
                    want = ggml_type::q6_k;
                EXPECT_EQ(type, want)
                    << quantize_ftype_name(ftype) << (pure ? " pure " : " ") << name;
            }
        }
    }
}

TEST(quantize, narrow_rows_fall_back_to_q8_0_then_f16) {
    // The bundled model (rows 64 and 172) as Q4_K_M: 64-wide rows cannot hold a 256-block and
    // become Q8_0; ffn_down's 172 fits no block and becomes F16.
    test::temp_dir dir;
    auto stats = model_quantize(test::bundled_model(), dir.file("k.gguf"),
                                {.ftype = quantize_ftype::q4_k_m});
    ASSERT_TRUE(stats.has_value()) << stats.error().message;
    for (const auto& r : stats->tensors) {
        if (r.n_dims == 1) continue;
        const ggml_type want = r.ne[0] == 64 ? ggml_type::q8_0 : ggml_type::f16;
        EXPECT_EQ(r.type_out, want) << r.name;
        if (r.type_out != r.wanted) {
            EXPECT_NE(r.fallback.find("256"), std::string::npos) << r.fallback;
        }
    }
    EXPECT_GT(stats->n_fallbacks, 0);
    EXPECT_EQ(test::greedy(dir.file("k.gguf"), {1, 403}, 3).tokens.size(), 3u);
}

TEST(quantize, f16_overflow_falls_back_to_f32_and_nan_is_an_error) {
    test::temp_dir dir;
    std::vector<float> big(64 * 2, 0.5f), small(64 * 2, 0.25f), bad(64 * 2, 0.5f);
    big[7] = 1e6f;  // beyond F16's 65504
    bad[3] = std::nanf("");
    gguf::writer w;
    w.set("general.architecture", gguf::value::str("llama"));
    w.add_tensor("big.weight", ggml_type::f32, {64, 2}, big.data(), big.size() * 4);
    w.add_tensor("small.weight", ggml_type::f32, {64, 2}, small.data(), small.size() * 4);
    ASSERT_TRUE(w.write(dir.file("big.gguf")).has_value());
    auto stats =
        model_quantize(dir.file("big.gguf"), dir.file("o.gguf"), {.ftype = quantize_ftype::f16});
    ASSERT_TRUE(stats.has_value()) << stats.error().message;
    EXPECT_EQ(stats->tensors[0].type_out, ggml_type::f32);
    EXPECT_NE(stats->tensors[0].fallback.find("range of f16"), std::string::npos);
    EXPECT_EQ(stats->tensors[1].type_out, ggml_type::f16);
    // Q8_0 stores 1e6 / 127 in an f16 scale: fine.
    stats =
        model_quantize(dir.file("big.gguf"), dir.file("o.gguf"), {.ftype = quantize_ftype::q8_0});
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->tensors[0].type_out, ggml_type::q8_0);

    gguf::writer wn;
    wn.add_tensor("nan.weight", ggml_type::f32, {64, 2}, bad.data(), bad.size() * 4);
    ASSERT_TRUE(wn.write(dir.file("nan.gguf")).has_value());
    auto r =
        model_quantize(dir.file("nan.gguf"), dir.file("n.gguf"), {.ftype = quantize_ftype::q8_0});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::format);
    EXPECT_NE(r.error().message.find("nan.weight"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir.file("n.gguf")));
}

TEST(quantize, bad_inputs_and_outputs_fail_cleanly) {
    test::temp_dir dir;
    auto r = model_quantize(dir.file("missing.gguf"), dir.file("o.gguf"), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::io);
    EXPECT_NE(r.error().message.find("missing.gguf"), std::string::npos) << r.error().message;

    test::write_file(dir.file("text.gguf"), "not a gguf file at all");
    r = model_quantize(dir.file("text.gguf"), dir.file("o.gguf"), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::format);

    r = model_quantize(test::bundled_model(), dir.file("no/such/folder/o.gguf"), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::io);
    EXPECT_NE(r.error().message.find("does not exist"), std::string::npos) << r.error().message;

    r = model_quantize(test::bundled_model(), dir.path().string(), {});  // a folder
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::io);

    // The output may not be the input (not even through another name).
    const std::string copy = dir.file("copy.gguf");
    std::filesystem::copy_file(test::bundled_model(), copy);
    std::filesystem::create_symlink(copy, dir.file("link.gguf"));
    r = model_quantize(copy, dir.file("link.gguf"), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(test::read_file(copy), test::read_file(test::bundled_model()));

    r = model_quantize(test::bundled_model(), dir.file("o.gguf"),
                       {.ftype = static_cast<quantize_ftype>(3)});  // Q4_1: not offered
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_FALSE(std::filesystem::exists(dir.file("o.gguf")));
}

TEST(quantize, cancellation_writes_nothing) {
    test::temp_dir dir;
    const std::string out = dir.file("c.gguf");
    auto stats = model_quantize(
        test::bundled_model(), out, {},
        [](const quantize_tensor_report&, int64_t done, int64_t) { return done < 3; });
    ASSERT_TRUE(stats.has_value());
    EXPECT_TRUE(stats->cancelled);
    EXPECT_EQ(stats->tensors.size(), 3u);
    EXPECT_FALSE(std::filesystem::exists(out));

    std::stop_source stop;
    stop.request_stop();
    stats = model_quantize(test::bundled_model(), out, {}, {}, stop.get_token());
    ASSERT_TRUE(stats.has_value());
    EXPECT_TRUE(stats->cancelled);
    EXPECT_FALSE(std::filesystem::exists(out));
}
