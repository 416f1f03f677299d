// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers",
// section 3): the residual connection is modelled by Â = 0.5·A + 0.5·I with rows
// renormalized, and attention is propagated through the layers as R = Â_L · … · Â_1, so
// R[q][k] estimates how much input token k contributes to position q after layer L.
//
// Design: Â is never materialized; its entries are formed on the fly from A and the row
// normalizers. The product is a tiled row-oriented update C[q][0..] += Â[q][m] · R[m][0..]
// over blocks of query rows, so each row of R is streamed once per block while the block of
// C stays in cache. For causal inputs (all zero above the diagonal, which is checked) only
// k ≤ m ≤ q is visited, n³/6 multiply-adds instead of n³; other inputs take the dense path.
// The set overload folds layers in one at a time, so memory stays O(n²) for any depth.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "prism/viz/analysis.h"
#include "validate.h"

namespace prism::viz {

namespace {

constexpr int64_t q_block = 32;  // query rows of C updated together (32 × 8 KiB at n = 2048)

// y[0..n) += w · x[0..n). Unrolled by 8 so that -O2 (whose cheap vectorizer skips loops of
// unknown trip count) still turns the body into SIMD through straight-line vectorization.
void add_scaled(float* __restrict y, const float* __restrict x, float w, int64_t n) {
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        y[k + 0] += w * x[k + 0];
        y[k + 1] += w * x[k + 1];
        y[k + 2] += w * x[k + 2];
        y[k + 3] += w * x[k + 3];
        y[k + 4] += w * x[k + 4];
        y[k + 5] += w * x[k + 5];
        y[k + 6] += w * x[k + 6];
        y[k + 7] += w * x[k + 7];
    }
    for (; k < n; ++k) y[k] += w * x[k];
}

// y[0..n) += w0 · x0[0..n) + w1 · x1[0..n), unrolled like add_scaled.
void add_scaled2(float* __restrict y, const float* __restrict x0, float w0,
                 const float* __restrict x1, float w1, int64_t n) {
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        y[k + 0] += w0 * x0[k + 0] + w1 * x1[k + 0];
        y[k + 1] += w0 * x0[k + 1] + w1 * x1[k + 1];
        y[k + 2] += w0 * x0[k + 2] + w1 * x1[k + 2];
        y[k + 3] += w0 * x0[k + 3] + w1 * x1[k + 3];
        y[k + 4] += w0 * x0[k + 4] + w1 * x1[k + 4];
        y[k + 5] += w0 * x0[k + 5] + w1 * x1[k + 5];
        y[k + 6] += w0 * x0[k + 6] + w1 * x1[k + 6];
        y[k + 7] += w0 * x0[k + 7] + w1 * x1[k + 7];
    }
    for (; k < n; ++k) y[k] += w0 * x0[k] + w1 * x1[k];
}

bool is_lower_triangular(const attn_matrix& a) {
    for (int64_t q = 0; q < a.n; ++q) {
        const float* row = a.p.data() + q * a.n;
        for (int64_t k = q + 1; k < a.n; ++k)
            if (row[k] != 0.0f) return false;
    }
    return true;
}

// Rolls layers into R one at a time: r holds Â_l · … · Â_1 after l calls to apply.
class rollout_accumulator {
public:
    void apply(const attn_matrix& a, size_t layer) {
        detail::check_matrix(a, "attention_rollout");
        if (layers_ > 0 && a.n != r_.n)
            throw std::invalid_argument("attention_rollout: layer " + std::to_string(layer) +
                                        " is " + std::to_string(a.n) + "x" + std::to_string(a.n) +
                                        ", layer 0 is " + std::to_string(r_.n) + "x" +
                                        std::to_string(r_.n));
        compute_scales(a, layer);
        const bool a_lower = is_lower_triangular(a);
        if (layers_ == 0) {
            r_ = attn_matrix(a.n);
            for (int64_t q = 0; q < a.n; ++q)
                for (int64_t k = 0; k < a.n; ++k) r_.at(q, k) = entry(a, q, k);
            lower_ = a_lower;
        } else {
            lower_ = lower_ && a_lower;
            multiply(a);
        }
        ++layers_;
    }

    attn_matrix take() { return std::move(r_); }

private:
    // scale_[q] = 1 / (row sum of 0.5·A + 0.5·I) = 1 / (0.5·Σ_k A[q][k] + 0.5).
    void compute_scales(const attn_matrix& a, size_t layer) {
        scale_.assign(static_cast<size_t>(a.n), 0.0f);
        for (int64_t q = 0; q < a.n; ++q) {
            const float* row = a.p.data() + q * a.n;
            double sum = 0;
            for (int64_t k = 0; k < a.n; ++k) sum += row[k];
            const double mass = 0.5 * sum + 0.5;
            if (!(mass > 0))
                throw std::invalid_argument("attention_rollout: row " + std::to_string(q) +
                                            " of layer " + std::to_string(layer) +
                                            " has no positive mass after adding the identity");
            scale_[static_cast<size_t>(q)] = static_cast<float>(1.0 / mass);
        }
    }

    // Â[q][m], formed from A and the row scale.
    float entry(const attn_matrix& a, int64_t q, int64_t m) const {
        const float s = scale_[static_cast<size_t>(q)];
        return 0.5f * a.at(q, m) * s + (q == m ? 0.5f * s : 0.0f);
    }

    // r_ = Â(a) · r_, using scratch_ as the output and swapping. When lower_, both factors
    // are lower-triangular and so is the result: only k ≤ m ≤ q contributes.
    void multiply(const attn_matrix& a) {
        const int64_t n = a.n;
        if (scratch_.n != n) scratch_ = attn_matrix(n);
        std::fill(scratch_.p.begin(), scratch_.p.end(), 0.0f);
        for (int64_t q0 = 0; q0 < n; q0 += q_block) {
            const int64_t q1 = std::min(n, q0 + q_block);
            const int64_t m_end = lower_ ? q1 : n;
            // Two rows of R per sweep over the C block halve the loads and stores of C. In the
            // lower case R[m][m + 1] is a stored zero, so both rows can share k_end = m + 2.
            for (int64_t m = 0; m < m_end; m += 2) {
                const bool pair = m + 1 < m_end;
                const float* r0 = r_.p.data() + m * n;
                const float* r1 = pair ? r0 + n : nullptr;
                const int64_t k_end = lower_ ? m + (pair ? 2 : 1) : n;
                for (int64_t q = lower_ ? std::max(q0, m) : q0; q < q1; ++q) {
                    const float w0 = entry(a, q, m);
                    const float w1 = pair ? entry(a, q, m + 1) : 0.0f;
                    float* out_row = scratch_.p.data() + q * n;
                    if (w1 != 0.0f)
                        add_scaled2(out_row, r0, w0, r1, w1, k_end);
                    else if (w0 != 0.0f)
                        add_scaled(out_row, r0, w0, k_end);
                }
            }
        }
        std::swap(r_, scratch_);
    }

    attn_matrix r_;
    attn_matrix scratch_;
    std::vector<float> scale_;
    size_t layers_ = 0;
    bool lower_ = true;
};

}  // namespace

attn_matrix attention_rollout(std::span<const attn_matrix> per_layer) {
    if (per_layer.empty()) throw std::invalid_argument("attention_rollout: no layers given");
    rollout_accumulator acc;
    for (size_t l = 0; l < per_layer.size(); ++l) acc.apply(per_layer[l], l);
    return acc.take();
}

attn_matrix attention_rollout(const attention_set& s) {
    detail::check_set(s, "attention_rollout");
    if (s.layers.empty() || s.heads.empty())
        throw std::invalid_argument("attention_rollout: the set captured no layers or no heads");
    for (size_t l = 0; l < s.layers.size(); ++l)
        if (s.layers[l] != static_cast<int32_t>(l))
            throw std::invalid_argument(
                "attention_rollout: needs every layer from 0 up to the last captured one, but "
                "layer " +
                std::to_string(l) + " was not captured (capture layers 0.." +
                std::to_string(s.layers.back()) + ")");
    rollout_accumulator acc;
    for (size_t l = 0; l < s.layers.size(); ++l)
        acc.apply(aggregate_layer(s, l, head_aggregate::mean), l);
    return acc.take();
}

}  // namespace prism::viz
