// Storage of captured attention rows (see attention_capture.h). Each captured (layer, head)
// owns a slot: the lower triangle of the T×T matrix, row p at offset p(p+1)/2 (float32 or
// float16), or an m×m grid of pooled tile sums (float32) divided by the tile area on read.
#include "prism/attention_capture.h"

#include <algorithm>
#include <cstdio>

#include "prism/kernels/dtype.h"

namespace prism {

namespace {

// A byte count as people read it: MiB below one GiB, else GiB.
std::string gib(size_t bytes) {
    char buf[32];
    if (bytes < (size_t{1} << 30))
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1u << 20));
    else
        std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
    return buf;
}

result<std::vector<int32_t>> selection(const std::vector<int32_t>& wanted, int32_t n,
                                       const char* what) {
    std::vector<int32_t> out;
    if (wanted.empty()) {
        for (int32_t i = 0; i < n; ++i) out.push_back(i);
        return out;
    }
    for (int32_t v : wanted) {
        if (v < 0 || v >= n)
            return std::unexpected(
                error{errc::invalid_argument, std::string(what) + " " + std::to_string(v) +
                                                  " out of range [0, " + std::to_string(n) + ")"});
        out.push_back(v);
    }
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        return std::unexpected(
            error{errc::invalid_argument, std::string(what) + " selected twice"});
    return out;
}

}  // namespace

result<attention_capture> attention_capture::create(const llama_hparams& hp,
                                                    const attention_capture_params& p) {
    if (p.pool < 1)
        return std::unexpected(
            error{errc::invalid_argument, "pool must be >= 1, got " + std::to_string(p.pool)});
    auto layers = selection(p.layers, hp.n_layer, "layer");
    if (!layers) return std::unexpected(layers.error());
    auto heads = selection(p.heads, hp.n_head, "head");
    if (!heads) return std::unexpected(heads.error());
    attention_capture c;
    c.m_params = p;
    c.m_n_layer_model = hp.n_layer;
    c.m_n_head_model = hp.n_head;
    c.m_layers = std::move(*layers);
    c.m_heads = std::move(*heads);
    c.m_layer_index.assign(static_cast<size_t>(hp.n_layer), -1);
    for (size_t i = 0; i < c.m_layers.size(); ++i)
        c.m_layer_index[static_cast<size_t>(c.m_layers[i])] = static_cast<int32_t>(i);
    return c;
}

size_t attention_capture::slot_elems(int64_t n_tokens) const {
    if (m_params.pool > 1) {
        const auto m = static_cast<size_t>((n_tokens + m_params.pool - 1) / m_params.pool);
        return m * m;
    }
    return static_cast<size_t>(n_tokens) * static_cast<size_t>(n_tokens + 1) / 2;
}

size_t attention_capture::bytes_needed(int64_t n_tokens) const {
    const size_t elem = m_params.pool == 1 && m_params.precision == capture_precision::f16 ? 2 : 4;
    return slot_elems(n_tokens) * elem * m_layers.size() * m_heads.size();
}

size_t attention_capture::dense_f32_bytes(int64_t n_tokens, int64_t n_layers, int64_t n_heads) {
    return static_cast<size_t>(n_tokens) * static_cast<size_t>(n_tokens) *
           static_cast<size_t>(n_layers) * static_cast<size_t>(n_heads) * 4;
}

result<void> attention_capture::reserve(int64_t max_tokens) {
    if (max_tokens < 0)
        return std::unexpected(error{errc::invalid_argument, "negative token count"});
    const size_t need = bytes_needed(max_tokens);
    if (need > m_params.memory_budget) {
        const bool f16 = m_params.precision == capture_precision::f16;
        return std::unexpected(
            error{errc::out_of_memory,
                  "attention capture of " + std::to_string(m_layers.size()) + " layers × " +
                      std::to_string(m_heads.size()) + " heads for " + std::to_string(max_tokens) +
                      " tokens needs " + gib(need) +
                      " as stored (a dense float32 copy, T² × layers × heads × 4, is " +
                      gib(dense_f32_bytes(max_tokens, static_cast<int64_t>(m_layers.size()),
                                          static_cast<int64_t>(m_heads.size()))) +
                      "), over the budget of " + gib(m_params.memory_budget) +
                      ": select fewer layers or heads" + (f16 ? "" : ", use float16") +
                      ", pool blocks, or generate fewer tokens"});
    }
    m_capacity = max_tokens;
    m_n_rows = 0;
    const size_t n = slot_elems(max_tokens) * m_layers.size() * m_heads.size();
    m_f32.reset();
    m_f16.reset();
    const bool half = m_params.pool == 1 && m_params.precision == capture_precision::f16;
    void* block = std::calloc(std::max<size_t>(n, 1), half ? sizeof(uint16_t) : sizeof(float));
    if (!block)
        return std::unexpected(
            error{errc::out_of_memory, "attention capture: cannot allocate " + gib(need)});
    if (half)
        m_f16.reset(static_cast<uint16_t*>(block));
    else
        m_f32.reset(static_cast<float*>(block));
    return {};
}

tap_params attention_capture::tap() {
    return {
        [this](std::string_view name, int32_t layer) {
            return name == "attn_probs" && layer >= 0 && layer < m_n_layer_model &&
                   m_layer_index[static_cast<size_t>(layer)] >= 0;
        },
        [this](const tap_event& ev) {
            if (ev.name == "attn_probs" && ev.seq_id == m_params.seq_id)
                record(ev.layer, ev.pos, ev.data.data(), static_cast<int32_t>(ev.rows));
        },
    };
}

void attention_capture::record(int32_t layer, int32_t pos, const float* probs, int32_t n_head) {
    if (layer < 0 || layer >= m_n_layer_model || pos < 0 || pos >= m_capacity) return;
    const int32_t li = m_layer_index[static_cast<size_t>(layer)];
    if (li < 0 || n_head != m_n_head_model) return;
    m_n_rows = std::max<int64_t>(m_n_rows, pos + 1);
    const size_t slot = slot_elems(m_capacity);
    const int64_t n_kv = pos + 1;
    for (size_t hi = 0; hi < m_heads.size(); ++hi) {
        const float* row = probs + static_cast<int64_t>(m_heads[hi]) * n_kv;
        const size_t base = (static_cast<size_t>(li) * m_heads.size() + hi) * slot;
        if (m_params.pool > 1) {
            const int64_t pool = m_params.pool, m = (m_capacity + pool - 1) / pool;
            float* tiles = m_f32.get() + base + static_cast<size_t>(pos / pool * m);
            for (int64_t k = 0; k < n_kv; ++k) tiles[k / pool] += row[k];
        } else {
            const size_t off = base + static_cast<size_t>(pos) * static_cast<size_t>(pos + 1) / 2;
            if (m_params.precision == capture_precision::f16) {
                for (int64_t k = 0; k < n_kv; ++k) m_f16[off + k] = kernels::fp32_to_fp16(row[k]);
            } else {
                std::copy_n(row, n_kv, m_f32.get() + off);
            }
        }
    }
}

int64_t attention_capture::matrix_size() const {
    return m_params.pool > 1 ? (m_n_rows + m_params.pool - 1) / m_params.pool : m_n_rows;
}

std::vector<float> attention_capture::matrix(size_t layer_index, size_t head_index) const {
    const int64_t T = m_n_rows, n = matrix_size();
    std::vector<float> out(static_cast<size_t>(n * n), 0.0f);
    if (layer_index >= m_layers.size() || head_index >= m_heads.size()) return out;
    const size_t base = (layer_index * m_heads.size() + head_index) * slot_elems(m_capacity);
    if (m_params.pool > 1) {
        const int64_t pool = m_params.pool, m_cap = (m_capacity + pool - 1) / pool;
        for (int64_t i = 0; i < n; ++i) {
            const int64_t rows = std::min(pool, T - i * pool);
            for (int64_t j = 0; j < n; ++j) {
                const int64_t cols = std::min(pool, T - j * pool);
                out[static_cast<size_t>(i * n + j)] =
                    m_f32[base + static_cast<size_t>(i * m_cap + j)] /
                    static_cast<float>(rows * cols);
            }
        }
        return out;
    }
    for (int64_t q = 0; q < T; ++q) {
        const size_t off = base + static_cast<size_t>(q) * static_cast<size_t>(q + 1) / 2;
        for (int64_t k = 0; k <= q; ++k)
            out[static_cast<size_t>(q * n + k)] = m_params.precision == capture_precision::f16
                                                      ? kernels::fp16_to_fp32(m_f16[off + k])
                                                      : m_f32[off + k];
    }
    return out;
}

}  // namespace prism
