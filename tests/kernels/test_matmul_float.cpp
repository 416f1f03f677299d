// Float-weight matmul (matmul_float.h) at every instruction-set level this CPU has, for F32,
// F16 and BF16 weights, against matmul_ref (double accumulation of the same widened
// weights). Shapes are chosen to hit every edge: token counts on both sides of the GEMM
// threshold (8) and not multiples of any micro-tile (1, 2, 5, 6, 7, 8, 9, 13, 33, 130), n_out and
// n_in that are not multiples of the tiles or vector widths (down to 1, past 2048), and n_out past
// one packed W block (64 / 128 / 256), so packing tails and masked loads and stores all run.
// Further cases check the kernels' arithmetic contract (gemm_float.h): a token gets the same bits
// in any batch and on any thread split, and AVX2 and AVX-512 agree bit for bit.
//
// Tolerance: both sides use the same f32 weights (F16/BF16 widen exactly) and f32 inputs, so
// the only difference is float32 rounding of the products and sums. For any summation order
// the error of a dot product of n terms is at most about (n + 1) · u · Σ|w·x| with u = 2^-24
// (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1); every element is held to
// 1.01 × that bound. Random ±1 data makes rounding errors add like a random walk, so the
// relative L2 error over a whole output is about u · sqrt(n_in) (≈ 3e-6 at n_in = 2100); it
// is held to 1e-5.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "prism/kernels/cpu_ops.h"
#include "prism/kernels/matmul_float.h"

using namespace prism::kernels;

namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

std::vector<uint8_t> weights_of(ggml_type t, const std::vector<float>& w) {
    std::vector<uint8_t> q(row_size(t, static_cast<int64_t>(w.size())));
    quantize_row_ref(t, w.data(), q.data(), static_cast<int64_t>(w.size()));
    return q;
}

struct shape {
    int64_t n_tokens, n_in, n_out;
};

std::string describe(float_isa isa, ggml_type t, const shape& s) {
    return std::string(float_isa_name(isa)) + " " + std::string(type_name(t)) + " n_tokens " +
           std::to_string(s.n_tokens) + " n_in " + std::to_string(s.n_in) + " n_out " +
           std::to_string(s.n_out);
}

/// Runs one case and checks both bounds of the file comment.
void check(float_isa isa, ggml_type t, const shape& s, thread_pool& pool) {
    const auto wf = random_floats(static_cast<size_t>(s.n_in * s.n_out), 7);
    const auto w = weights_of(t, wf);
    std::vector<float> wr(wf.size());  // the weights as the kernels see them
    dequantize_row_ref(t, w.data(), wr.data(), static_cast<int64_t>(wr.size()));
    const auto x = random_floats(static_cast<size_t>(s.n_in * s.n_tokens), 11);
    std::vector<float> y(static_cast<size_t>(s.n_tokens * s.n_out), NAN), ref(y.size());
    matmul_float_at(isa, t, w.data(), s.n_in, s.n_out, x.data(), s.n_tokens, y.data(), pool);
    matmul_ref(t, w.data(), s.n_in, s.n_out, x.data(), s.n_tokens, ref.data());

    const double u = std::ldexp(1.0, -24);
    double err2 = 0, ref2 = 0;
    for (int64_t tok = 0; tok < s.n_tokens; ++tok)
        for (int64_t o = 0; o < s.n_out; ++o) {
            double abs_sum = 0;
            for (int64_t i = 0; i < s.n_in; ++i)
                abs_sum += std::abs(static_cast<double>(wr[o * s.n_in + i]) * x[tok * s.n_in + i]);
            const size_t at = static_cast<size_t>(tok * s.n_out + o);
            const double err = std::abs(static_cast<double>(y[at]) - ref[at]);
            ASSERT_LE(err, 1.01 * (s.n_in + 1) * u * abs_sum)
                << describe(isa, t, s) << " at token " << tok << " output " << o << ": " << y[at]
                << " vs " << ref[at];
            err2 += err * err;
            ref2 += static_cast<double>(ref[at]) * ref[at];
        }
    EXPECT_LT(std::sqrt(err2 / std::max(ref2, 1e-30)), 1e-5) << describe(isa, t, s);
}

std::vector<float_isa> isas_here() {
    std::vector<float_isa> out;
    for (auto isa : {float_isa::portable, float_isa::avx2, float_isa::avx512})
        if (isa <= float_isa_best()) out.push_back(isa);
    return out;
}

}  // namespace

class matmul_float_types : public ::testing::TestWithParam<ggml_type> {};

TEST_P(matmul_float_types, matches_reference_at_every_level_and_odd_shape) {
    const ggml_type t = GetParam();
    thread_pool pool(2);
    const std::vector<shape> shapes = {
        {1, 1, 1},      {1, 3, 5},      {1, 100, 47},    {1, 600, 70},  {2, 17, 33},
        {2, 300, 45},   {5, 64, 9},     {6, 1, 3},       {6, 31, 17},   {7, 100, 47},
        {7, 257, 300},  {13, 40, 33},   {8, 100, 47},    {9, 257, 33},  {33, 17, 65},
        {33, 600, 70},  {130, 100, 47}, {130, 300, 300}, {1, 2100, 40}, {7, 2100, 40},
        {33, 2100, 40},
    };
    for (auto isa : isas_here())
        for (const auto& s : shapes) {
            SCOPED_TRACE(describe(isa, t, s));
            check(isa, t, s, pool);
        }
}

INSTANTIATE_TEST_SUITE_P(all, matmul_float_types,
                         ::testing::Values(ggml_type::f32, ggml_type::f16, ggml_type::bf16),
                         [](const auto& param_info) {
                             return std::string(type_name(param_info.param));
                         });

TEST(matmul_float, levels_agree_with_matmul_and_with_one_thread) {
    // matmul() dispatches here at the best level; a one-thread pool takes the same path.
    const shape s{33, 300, 100};
    const auto w = weights_of(ggml_type::f16, random_floats(s.n_in * s.n_out, 3));
    const auto x = random_floats(static_cast<size_t>(s.n_in * s.n_tokens), 4);
    std::vector<float> a(static_cast<size_t>(s.n_tokens * s.n_out)), b(a.size()), c(a.size());
    thread_pool two(2), one(1);
    matmul(ggml_type::f16, w.data(), s.n_in, s.n_out, x.data(), s.n_tokens, a.data(), two);
    matmul_float_at(float_isa_best(), ggml_type::f16, w.data(), s.n_in, s.n_out, x.data(),
                    s.n_tokens, b.data(), two);
    matmul_float_at(float_isa_best(), ggml_type::f16, w.data(), s.n_in, s.n_out, x.data(),
                    s.n_tokens, c.data(), one);
    EXPECT_EQ(a, b);
    EXPECT_EQ(b, c);  // threads split outputs, never a sum: results are bit-identical
    if (float_isa_best() == float_isa::avx512) {  // the same FMAs in the same order
        matmul_float_at(float_isa::avx2, ggml_type::f16, w.data(), s.n_in, s.n_out, x.data(),
                        s.n_tokens, c.data(), two);
        EXPECT_EQ(b, c);
    }
}

TEST(matmul_float, rejects_other_types_and_unavailable_levels) {
    thread_pool pool(1);
    float x = 1, y = 0;
    const uint8_t w[64] = {};
    EXPECT_THROW(matmul_float_at(float_isa::portable, ggml_type::q8_0, w, 32, 1, &x, 1, &y, pool),
                 std::invalid_argument);
    if (float_isa_best() != float_isa::avx512) {
        EXPECT_THROW(matmul_float_at(float_isa::avx512, ggml_type::f32, w, 1, 1, &x, 1, &y, pool),
                     std::invalid_argument);
    }
}

TEST(matmul_float, a_token_gets_the_same_bits_in_any_batch) {
    // The matrix-vector path (few tokens) and the GEMM (many) use the same arithmetic per
    // output, so the engine's logits do not depend on how prompts are batched.
    const int64_t n_in = 2100, n_out = 70, n_tokens = 40;  // n_in spans two or more K blocks
    thread_pool pool(2);
    for (auto t : {ggml_type::f32, ggml_type::f16, ggml_type::bf16}) {
        const auto w = weights_of(t, random_floats(n_in * n_out, 5));
        const auto x = random_floats(static_cast<size_t>(n_in * n_tokens), 6);
        for (auto isa : isas_here()) {
            std::vector<float> all(static_cast<size_t>(n_tokens * n_out));
            matmul_float_at(isa, t, w.data(), n_in, n_out, x.data(), n_tokens, all.data(), pool);
            for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 13}) {
                std::vector<float> part(static_cast<size_t>(n * n_out));
                matmul_float_at(isa, t, w.data(), n_in, n_out, x.data() + 9 * n_in, n, part.data(),
                                pool);
                for (int64_t i = 0; i < n * n_out; ++i)
                    ASSERT_EQ(part[i], all[9 * n_out + i])
                        << float_isa_name(isa) << " " << type_name(t) << " batch " << n;
            }
        }
    }
}
