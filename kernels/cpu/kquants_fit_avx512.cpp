// fit_scale_min_x16 (kquants_fit.h): sixteen Q4_K / Q5_K sub-block fits in the lanes of
// AVX-512 registers. The scalar fit (kquants.cpp, after ggml's make_qkx2_quants) spends ~95%
// of a K-quant conversion in its grid search; lane-parallel it runs about 10× faster with
// the same results, which makes synthesizing or quantizing a 1B model a matter of seconds.
//
// Bit-exactness: every lane performs the scalar code's operations on the same operands in
// the same order: separate multiplies and adds (never _mm512_fmadd_ps), sums accumulated in
// element order, min/max with the scalar comparisons' tie rules, int levels converted to
// float exactly. The branches of the scalar code become lane masks; values computed in a
// lane whose scalar twin would have skipped them are discarded by those masks.
#include "kquants_fit.h"

#ifdef PRISM_X86

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the unused source of their
// unmasked forms, which -Wuninitialized reports at every inlined use (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace prism::kernels::detail {

namespace {

// nearest_int of kquants.cpp per lane: round to nearest even via the 1.5 · 2^23 trick.
PRISM_AVX512 inline __m512i nearest(__m512 v) {
    const __m512 t = _mm512_add_ps(v, _mm512_set1_ps(12582912.0f));
    return _mm512_sub_epi32(_mm512_and_si512(_mm512_castps_si512(t), _mm512_set1_epi32(0x007fffff)),
                            _mm512_set1_epi32(0x00400000));
}

// clamp(nearest_int(iscale · (x - min)), 0, nmax)
PRISM_AVX512 inline __m512i level(__m512 iscale, __m512 x, __m512 min, __m512i nmax) {
    const __m512i l = nearest(_mm512_mul_ps(iscale, _mm512_sub_ps(x, min)));
    return _mm512_min_epi32(_mm512_max_epi32(l, _mm512_setzero_si512()), nmax);
}

// w · (scale · l + min - x)², accumulated: acc + (w · diff) · diff.
PRISM_AVX512 inline __m512 add_error(__m512 acc, __m512 w, __m512 scale, __m512i l, __m512 min,
                                     __m512 x) {
    const __m512 diff =
        _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(scale, _mm512_cvtepi32_ps(l)), min), x);
    return _mm512_add_ps(acc, _mm512_mul_ps(_mm512_mul_ps(w, diff), diff));
}

// The 16 levels of a Q6_K grid, clamp(nearest_int(iscale · x), lo, hi), and the sums
// sum_lx += ((x · x) · x) · l, sum_l2 += ((x · x) · l) · l in element order.
PRISM_AVX512 inline void symmetric_sums(const float* xp, __m512 iscale, __m512i lo, __m512i hi,
                                        __m512i* levels, __m512& sum_lx, __m512& sum_l2) {
    sum_lx = sum_l2 = _mm512_setzero_ps();
    for (int i = 0; i < 16; ++i) {
        const __m512 x = _mm512_load_ps(xp + 16 * i);
        levels[i] = _mm512_min_epi32(_mm512_max_epi32(nearest(_mm512_mul_ps(iscale, x)), lo), hi);
        const __m512 l = _mm512_cvtepi32_ps(levels[i]);
        const __m512 w = _mm512_mul_ps(x, x);
        sum_lx = _mm512_add_ps(sum_lx, _mm512_mul_ps(_mm512_mul_ps(w, x), l));
        sum_l2 = _mm512_add_ps(sum_l2, _mm512_mul_ps(_mm512_mul_ps(w, l), l));
    }
}

}  // namespace

PRISM_AVX512 void fit_scale_min_x16(const float* xp, const float* wp, int nmax, float rmin,
                                    float rdelta, int nstep, uint8_t* L, float* scale_out,
                                    float* min_out) {
    constexpr int n = 32;
#define X(i) _mm512_load_ps(xp + 16 * (i))
#define W(i) _mm512_load_ps(wp + 16 * (i))
    const __m512 zero = _mm512_setzero_ps();
    const __m512i vnmax = _mm512_set1_epi32(nmax);

    __m512 min = X(0), max = X(0), sum_w = W(0);
    __m512 sum_x = _mm512_mul_ps(sum_w, X(0));
    for (int i = 1; i < n; ++i) {
        min = _mm512_min_ps(X(i), min);  // x < min ? x : min, as std::min(min, x)
        max = _mm512_max_ps(X(i), max);  // x > max ? x : max, as std::max(max, x)
        sum_w = _mm512_add_ps(sum_w, W(i));
        sum_x = _mm512_add_ps(sum_x, _mm512_mul_ps(W(i), X(i)));
    }
    min = _mm512_mask_mov_ps(min, _mm512_cmp_ps_mask(min, zero, _CMP_GT_OQ), zero);
    const __mmask16 flat = _mm512_cmp_ps_mask(max, min, _CMP_EQ_OQ);

    __m512 iscale =
        _mm512_div_ps(_mm512_set1_ps(static_cast<float>(nmax)), _mm512_sub_ps(max, min));
    __m512 scale = _mm512_div_ps(_mm512_set1_ps(1.0f), iscale);
    __m512i best_l[n], aux_l[n];
    __m512 best_error = zero;
    for (int i = 0; i < n; ++i) {
        best_l[i] = level(iscale, X(i), min, vnmax);
        best_error = add_error(best_error, W(i), scale, best_l[i], min, X(i));
    }
    for (int is = 0; is <= nstep; ++is) {
        const float stretch = rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax);
        iscale = _mm512_div_ps(_mm512_set1_ps(stretch), _mm512_sub_ps(max, min));
        __m512 sum_l = zero, sum_l2 = zero, sum_xl = zero;
        for (int i = 0; i < n; ++i) {
            aux_l[i] = level(iscale, X(i), min, vnmax);
            const __m512 l = _mm512_cvtepi32_ps(aux_l[i]);
            const __m512 wl = _mm512_mul_ps(W(i), l);
            sum_l = _mm512_add_ps(sum_l, wl);
            sum_l2 = _mm512_add_ps(sum_l2, _mm512_mul_ps(wl, l));
            sum_xl = _mm512_add_ps(sum_xl, _mm512_mul_ps(wl, X(i)));
        }
        const __m512 det = _mm512_sub_ps(_mm512_mul_ps(sum_w, sum_l2), _mm512_mul_ps(sum_l, sum_l));
        const __mmask16 valid = _mm512_cmp_ps_mask(det, zero, _CMP_GT_OQ) & ~flat;
        if (!valid) continue;
        __m512 this_scale = _mm512_div_ps(
            _mm512_sub_ps(_mm512_mul_ps(sum_w, sum_xl), _mm512_mul_ps(sum_x, sum_l)), det);
        __m512 this_min = _mm512_div_ps(
            _mm512_sub_ps(_mm512_mul_ps(sum_l2, sum_x), _mm512_mul_ps(sum_l, sum_xl)), det);
        const __mmask16 positive = _mm512_cmp_ps_mask(this_min, zero, _CMP_GT_OQ);
        this_min = _mm512_mask_mov_ps(this_min, positive, zero);
        this_scale = _mm512_mask_mov_ps(this_scale, positive, _mm512_div_ps(sum_xl, sum_l2));
        __m512 error = zero;
        for (int i = 0; i < n; ++i)
            error = add_error(error, W(i), this_scale, aux_l[i], this_min, X(i));
        const __mmask16 better = valid & _mm512_cmp_ps_mask(error, best_error, _CMP_LT_OQ);
        if (!better) continue;
        for (int i = 0; i < n; ++i) best_l[i] = _mm512_mask_mov_epi32(best_l[i], better, aux_l[i]);
        best_error = _mm512_mask_mov_ps(best_error, better, error);
        scale = _mm512_mask_mov_ps(scale, better, this_scale);
        min = _mm512_mask_mov_ps(min, better, this_min);
    }
    // A flat sub-block (max == min): levels 0, scale 0, the_min = -min.
    scale = _mm512_mask_mov_ps(scale, flat, zero);
    _mm512_storeu_ps(scale_out, scale);
    _mm512_storeu_ps(min_out, _mm512_xor_ps(min, _mm512_set1_ps(-0.0f)));  // -min
    alignas(64) int32_t lanes[16];
    for (int i = 0; i < n; ++i) {
        _mm512_store_si512(lanes, _mm512_maskz_mov_epi32(static_cast<__mmask16>(~flat), best_l[i]));
        for (int j = 0; j < 16; ++j) L[32 * j + i] = static_cast<uint8_t>(lanes[j]);
    }
#undef X
#undef W
}

PRISM_AVX512 void fit_symmetric_scale_x16(const float* xp, int nmax, int8_t* L, float* scale_out) {
    constexpr int n = 16;
    constexpr float group_max_eps = 1e-15f;  // as kquants.cpp
    const __m512 zero = _mm512_setzero_ps(), sign = _mm512_set1_ps(-0.0f);
    const __m512i lo = _mm512_set1_epi32(-nmax), hi = _mm512_set1_epi32(nmax - 1);
#define X(i) _mm512_load_ps(xp + 16 * (i))
    // The first element of largest magnitude, with its sign.
    __m512 amax = zero, max = zero;
    for (int i = 0; i < n; ++i) {
        const __m512 a = _mm512_andnot_ps(sign, X(i));
        const __mmask16 larger = _mm512_cmp_ps_mask(a, amax, _CMP_GT_OQ);
        amax = _mm512_mask_mov_ps(amax, larger, a);
        max = _mm512_mask_mov_ps(max, larger, X(i));
    }
    const __mmask16 live =
        _mm512_cmp_ps_mask(amax, _mm512_set1_ps(group_max_eps), _CMP_NLT_UQ);  // !(amax < eps)
    __m512i best_l[n], aux_l[n];
    __m512 sum_lx, sum_l2;
    symmetric_sums(xp, _mm512_div_ps(_mm512_set1_ps(static_cast<float>(-nmax)), max), lo, hi,
                   best_l, sum_lx, sum_l2);
    __m512 scale = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(sum_l2, zero, _CMP_NEQ_UQ), sum_lx,
                                       sum_l2);  // suml2 != 0 ? sumlx / suml2 : 0
    __m512 best = _mm512_mul_ps(scale, sum_lx);
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        const float stretch = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is));
        symmetric_sums(xp, _mm512_div_ps(_mm512_set1_ps(stretch), max), lo, hi, aux_l, sum_lx,
                       sum_l2);
        const __mmask16 better = live & _mm512_cmp_ps_mask(sum_l2, zero, _CMP_GT_OQ) &
                                 _mm512_cmp_ps_mask(_mm512_mul_ps(sum_lx, sum_lx),
                                                    _mm512_mul_ps(best, sum_l2), _CMP_GT_OQ);
        if (!better) continue;
        for (int i = 0; i < n; ++i) best_l[i] = _mm512_mask_mov_epi32(best_l[i], better, aux_l[i]);
        scale = _mm512_mask_mov_ps(scale, better, _mm512_div_ps(sum_lx, sum_l2));
        best = _mm512_mask_mov_ps(best, better, _mm512_mul_ps(scale, sum_lx));
    }
    _mm512_storeu_ps(scale_out, _mm512_maskz_mov_ps(live, scale));
    alignas(64) int32_t lanes[16];
    const __m512i offset = _mm512_set1_epi32(nmax);
    for (int i = 0; i < n; ++i) {
        _mm512_store_si512(lanes, _mm512_maskz_add_epi32(live, best_l[i], offset));
        for (int j = 0; j < 16; ++j) L[16 * j + i] = static_cast<int8_t>(lanes[j]);
    }
#undef X
}

}  // namespace prism::kernels::detail

#endif
