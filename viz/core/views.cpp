// Small views of one attention matrix used by the studio's panels: one query's row (the
// token strip, "what did this token look at") and the matrix without its attention sink.
// Most heads of a decoder put a large share of every row on position 0 (the "attention
// sink", Xiao et al. 2023, StreamingLLM), which washes out the rest of a heatmap; the
// "hide sink" view drops column 0 and renormalizes each row over the remaining keys.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "prism/viz/analysis.h"
#include "validate.h"

namespace prism::viz {

std::vector<float> attention_row(const attn_matrix& a, int64_t q) {
    detail::check_matrix(a, "attention_row");
    if (q < 0 || q >= a.n)
        throw std::out_of_range("attention_row: query " + std::to_string(q) +
                                " outside a matrix of n = " + std::to_string(a.n));
    const float* row = a.p.data() + q * a.n;
    return std::vector<float>(row, row + q + 1);
}

attn_matrix without_sink(const attn_matrix& a) {
    detail::check_matrix(a, "without_sink");
    attn_matrix out(a.n);
    for (int64_t q = 0; q < a.n; ++q) {
        const float* row = a.p.data() + q * a.n;
        double rest = 0;
        for (int64_t k = 1; k < a.n; ++k) rest += row[k];
        if (!(rest > 0)) continue;  // nothing but the sink: the row stays zero
        const double scale = 1.0 / rest;
        float* dst = out.p.data() + q * a.n;
        for (int64_t k = 1; k < a.n; ++k) dst[k] = static_cast<float>(row[k] * scale);
    }
    return out;
}

}  // namespace prism::viz
