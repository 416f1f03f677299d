// Numerically stable softmax: subtract the row maximum, exponentiate, normalize.
// A row of all -inf (fully masked) yields zeros rather than NaN. The exponential is a
// branch-free polynomial (Cephes expf: range reduction x = n·ln2 + r, |r| ≤ ln2/2, then a
// degree-7 polynomial in r; relative error about 2 ulp) so the loop vectorizes; inputs
// below -87.3 (after the max is subtracted) give exactly 0.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "prism/kernels/cpu_features.h"
#include "prism/kernels/cpu_ops.h"
#include "simd_x86.h"

namespace prism::kernels {

namespace {

[[gnu::always_inline]] inline float exp_nonpositive(float x) {
    constexpr float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f,
                    round_magic = 12582912.0f;  // 1.5 · 2^23
    const float xc = std::max(x, -87.3f);
    const float t = xc * log2e + round_magic;  // n = round(x / ln 2) in the low mantissa bits
    const float n = t - round_magic;
    const float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t e = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(round_magic) + 127;
    const float y = p * std::bit_cast<float>(e << 23);
    return x < -87.3f ? 0.0f : y;
}

[[gnu::always_inline]] inline void softmax_body(float* x, int64_t n) {
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
    if (!std::isfinite(max)) {
        std::fill_n(x, n, 0.0f);
        return;
    }
    for (int64_t i = 0; i < n; ++i) x[i] = exp_nonpositive(x[i] - max);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += x[i];
    const auto inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void softmax_portable(float* x, int64_t n) {
    softmax_body(x, n);
}

#ifdef PRISM_X86
PRISM_AVX2 void softmax_avx2(float* x, int64_t n) {
    softmax_body(x, n);
}
PRISM_AVX512 void softmax_avx512(float* x, int64_t n) {
    softmax_body(x, n);
}
#endif

}  // namespace

void softmax(float* x, int64_t n) {
#ifdef PRISM_X86
    if (cpu_caps().avx512) return softmax_avx512(x, n);
    if (cpu_caps().avx2) return softmax_avx2(x, n);
#endif
    softmax_portable(x, n);
}

}  // namespace prism::kernels
