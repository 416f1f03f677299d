// The quantized matmul (matmul_quant.h) at every instruction-set level this CPU has
// (portable, AVX2, AVX-512 VNNI; higher levels are skipped, not failed), for Q8_0, Q4_0,
// Q4_K, Q5_K and Q6_K, on random data with odd sizes: token counts that take every group
// size of the row kernels (1, 2, 3, 5) and leave partial GEMM tiles (17, 64), and output
// counts that are not a multiple of any kernel's row tile.
//
// Tolerances:
// (a) Against a reference that quantizes the activations with the same quantizer and sums
//     dequantized weight × dequantized activation in double: the kernels' integer sums are
//     exact, so only float32 scaling and accumulation differ — at most a few dozen roundings
//     (one per block along the row, plus a lane reduction) of relative size 2^-24 each.
//     Bound: 1e-5 · Σ_i |w_i x̂_i| per output (n_in <= 1024 here, so <= 32 blocks + 16).
// (b) Against the float reference matmul_ref (unquantized x): activation rounding moves
//     each x_i by at most d / 2 (d its block's scale), so the error is at most
//     Σ_i |w_i| · d_{block(i)} / 2, plus (a)'s rounding bound.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "prism/kernels/cpu_ops.h"
#include "prism/kernels/matmul_quant.h"

using namespace prism::kernels;

namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::uniform_int_distribution<int> outlier(0, 63);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng) * (outlier(rng) == 0 ? 8.0f : 1.0f);  // vary block scales
    return v;
}

/// One token's activations as the kernels see them: x̂_i and the scale of i's block.
struct quantized_act {
    std::vector<double> xhat, scale;
};

quantized_act quantize_like_kernels(ggml_type wtype, const float* x, int64_t n) {
    quantized_act q{std::vector<double>(n), std::vector<double>(n)};
    const bool k = wtype == ggml_type::q4_k || wtype == ggml_type::q5_k || wtype == ggml_type::q6_k;
    if (k) {
        std::vector<act_q8_k> a(n / 256);
        quantize_act_q8_k(x, n, a.data());
        for (int64_t i = 0; i < n; ++i) {
            q.scale[i] = a[i / 256].d;
            q.xhat[i] = static_cast<double>(a[i / 256].d) * a[i / 256].qs[i % 256];
        }
    } else {
        std::vector<act_q8_0> a(n / 32);
        quantize_act_q8_0(x, n, 0, a.data());
        for (int64_t i = 0; i < n; ++i) {
            q.scale[i] = a[i / 32].d;
            q.xhat[i] = static_cast<double>(a[i / 32].d) * a[i / 32].qs[i % 32];
        }
    }
    return q;
}

std::vector<quant_isa> levels() {
    std::vector<quant_isa> v{quant_isa::portable};
    if (quant_isa_best() >= quant_isa::avx2) v.push_back(quant_isa::avx2);
    if (quant_isa_best() >= quant_isa::avx512_vnni) v.push_back(quant_isa::avx512_vnni);
    return v;
}

}  // namespace

class matmul_quant_types : public ::testing::TestWithParam<ggml_type> {};

TEST_P(matmul_quant_types, every_level_matches_both_references) {
    const ggml_type t = GetParam();
    const int64_t qk = type_info(t).block_size;
    thread_pool pool(2);
    for (int64_t n_in : {qk, 3 * qk, (1024 / qk) * qk}) {
        for (int64_t n_out : {int64_t{5}, int64_t{37}}) {
            const auto wf = random_floats(static_cast<size_t>(n_in * n_out), 7);
            std::vector<uint8_t> w(row_size(t, n_in) * n_out);
            quantize_row_ref(t, wf.data(), w.data(), n_in * n_out);
            std::vector<float> wd(wf.size());
            dequantize_row_ref(t, w.data(), wd.data(), n_in * n_out);
            for (int64_t n_tokens : {1, 2, 3, 5, 17, 64}) {
                const auto x = random_floats(static_cast<size_t>(n_in * n_tokens), 11);
                std::vector<float> fref(static_cast<size_t>(n_tokens * n_out));
                matmul_ref(t, w.data(), n_in, n_out, x.data(), n_tokens, fref.data());
                // Both references and their bounds, per output.
                std::vector<double> qref(fref.size()), tol_a(fref.size()), tol_b(fref.size());
                for (int64_t tk = 0; tk < n_tokens; ++tk) {
                    const auto q = quantize_like_kernels(t, x.data() + tk * n_in, n_in);
                    for (int64_t o = 0; o < n_out; ++o) {
                        double s = 0, abs = 0, round = 0;
                        for (int64_t i = 0; i < n_in; ++i) {
                            const double wi = wd[o * n_in + i];
                            s += wi * q.xhat[i];
                            abs += std::fabs(wi * q.xhat[i]);
                            round += std::fabs(wi) * q.scale[i] / 2;
                        }
                        const auto k = static_cast<size_t>(tk * n_out + o);
                        qref[k] = s;
                        tol_a[k] = 1e-5 * abs + 1e-30;
                        tol_b[k] = round * (1 + 1e-5) + tol_a[k];
                    }
                }
                for (quant_isa isa : levels()) {
                    std::vector<float> y(fref.size(), NAN);
                    matmul_quant_at(isa, t, w.data(), n_in, n_out, x.data(), n_tokens, y.data(),
                                    pool);
                    int bad = 0;
                    for (size_t k = 0; k < y.size() && bad < 3; ++k) {
                        const bool ok_a = std::fabs(y[k] - qref[k]) <= tol_a[k];
                        const bool ok_b = std::fabs(y[k] - fref[k]) <= tol_b[k];
                        if (ok_a && ok_b) continue;
                        ++bad;
                        ADD_FAILURE()
                            << type_name(t) << " " << quant_isa_name(isa) << " n_in " << n_in
                            << " n_out " << n_out << " n_tokens " << n_tokens << " token "
                            << k / n_out << " row " << k % n_out << ": " << y[k]
                            << " vs quantized-activation ref " << qref[k] << " (tol " << tol_a[k]
                            << "), float ref " << fref[k] << " (tol " << tol_b[k] << ")";
                    }
                }
            }
        }
    }
}

TEST_P(matmul_quant_types, matmul_dispatches_to_the_best_level) {
    const ggml_type t = GetParam();
    const int64_t n_in = 512, n_out = 40, n_tokens = 9;
    const auto wf = random_floats(static_cast<size_t>(n_in * n_out), 3);
    std::vector<uint8_t> w(row_size(t, n_in) * n_out);
    quantize_row_ref(t, wf.data(), w.data(), n_in * n_out);
    const auto x = random_floats(static_cast<size_t>(n_in * n_tokens), 4);
    thread_pool pool(2);
    std::vector<float> a(static_cast<size_t>(n_tokens * n_out)), b(a.size());
    matmul(t, w.data(), n_in, n_out, x.data(), n_tokens, a.data(), pool);
    matmul_quant_at(quant_isa_best(), t, w.data(), n_in, n_out, x.data(), n_tokens, b.data(), pool);
    EXPECT_EQ(a, b);
}

INSTANTIATE_TEST_SUITE_P(all, matmul_quant_types,
                         ::testing::Values(ggml_type::q8_0, ggml_type::q4_0, ggml_type::q4_k,
                                           ggml_type::q5_k, ggml_type::q6_k),
                         [](const auto& param_info) {
                             return std::string(type_name(param_info.param));
                         });

// The quantizers follow their definition exactly (d = max|x| / 127, q = x · (1 / d) rounded
// half to even), whichever instruction set runs them (ctest also runs this file with
// PRISM_CPU_FEATURES=portable), and each x̂ is within half a step of x.
TEST(quantize_act, matches_its_definition_and_keeps_sums) {
    auto x = random_floats(512, 5);
    for (int i = 64; i < 96; ++i) x[i] = 0.0f;  // an all-zero block
    x[100] = 0.5f * (x[101] = 127.0f);          // a tie: 63.5 rounds to 64
    auto expect_block = [&](const float* xb, int n, float d, const int8_t* q) {
        float amax = 0;
        for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(xb[i]));
        EXPECT_EQ(d, amax / 127.0f);
        const float id = d != 0 ? 1.0f / d : 0.0f;
        for (int i = 0; i < n; ++i) {
            EXPECT_EQ(q[i], static_cast<int8_t>(std::nearbyint(xb[i] * id))) << i;
            EXPECT_LE(std::fabs(xb[i] - d * q[i]), d * 0.50001f);
        }
    };
    std::vector<act_q8_0> a(16);
    quantize_act_q8_0(x.data(), 512, 8, a.data());
    for (int b = 0; b < 16; ++b) {
        expect_block(x.data() + 32 * b, 32, a[b].d, a[b].qs);
        int sum = 0;
        for (int8_t q : a[b].qs) sum += q;
        EXPECT_EQ(a[b].bias, -8 * sum);
    }
    EXPECT_EQ(a[2].d, 0.0f);
    EXPECT_EQ(a[3].qs[4], 64);
    std::vector<act_q8_k> k(2);
    quantize_act_q8_k(x.data(), 512, k.data());
    for (int b = 0; b < 2; ++b) {
        expect_block(x.data() + 256 * b, 256, k[b].d, k[b].qs);
        for (int g = 0; g < 16; ++g) {
            int sum = 0;
            for (int i = 0; i < 16; ++i) sum += k[b].qs[16 * g + i];
            EXPECT_EQ(k[b].bsums[g], sum);
        }
    }
}

TEST(matmul_quant, rejects_unsupported_types_and_levels) {
    thread_pool pool(1);
    float x[32] = {}, y[1];
    uint8_t w[64] = {};
    EXPECT_THROW(matmul_quant_at(quant_isa::portable, ggml_type::f16, w, 32, 1, x, 1, y, pool),
                 std::invalid_argument);
    EXPECT_THROW(matmul_quant_at(quant_isa::portable, ggml_type::q8_0, w, 16, 1, x, 1, y, pool),
                 std::invalid_argument);
    if (quant_isa_best() < quant_isa::avx512_vnni) {
        EXPECT_THROW(
            matmul_quant_at(quant_isa::avx512_vnni, ggml_type::q8_0, w, 32, 1, x, 1, y, pool),
            std::invalid_argument);
    }
}
