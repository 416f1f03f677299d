// The CPU backend: binds the backend interface to the kernels in kernels/cpu and owns the
// thread pool they run on. Attention is parallel over query rows × heads.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <thread>

#include "prism/backend.h"
#include "prism/kernels/cpu_features.h"
#include "prism/kernels/cpu_ops.h"

namespace prism {

namespace {

class cpu_buffer final : public backend_buffer {
public:
    explicit cpu_buffer(size_t bytes) : m_size(bytes) {
        const size_t rounded = (bytes + 63) / 64 * 64;
        m_data = static_cast<float*>(std::aligned_alloc(64, rounded > 0 ? rounded : 64));
        if (!m_data)
            throw engine_error(errc::out_of_memory,
                               "cannot allocate " + std::to_string(bytes) + " bytes");
        std::memset(m_data, 0, rounded > 0 ? rounded : 64);
    }
    ~cpu_buffer() override { std::free(m_data); }
    float* data() override { return m_data; }
    size_t size() const override { return m_size; }

private:
    float* m_data = nullptr;
    size_t m_size = 0;
};

std::string cpu_model_name() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(colon + 2);
        }
    }
    return "unknown CPU";
}

size_t meminfo_bytes(const char* key) {
    std::ifstream in("/proc/meminfo");
    std::string name;
    size_t kib = 0;
    std::string unit;
    while (in >> name >> kib >> unit) {
        if (name == key) return kib * 1024;
    }
    return 0;
}

class cpu_backend final : public backend {
public:
    explicit cpu_backend(int n_threads) : m_pool(n_threads) {}

    std::string_view name() const override { return "cpu"; }
    std::string description() const override {
        return cpu_model_name() + ", " + std::to_string(m_pool.n_threads()) + " threads, " +
               kernels::cpu_caps_name();
    }
    backend_memory memory() const override {
        return {meminfo_bytes("MemTotal:"), meminfo_bytes("MemAvailable:")};
    }
    int n_threads() const override { return m_pool.n_threads(); }

    std::unique_ptr<backend_buffer> alloc(size_t bytes) override {
        return std::make_unique<cpu_buffer>(bytes);
    }

    void get_rows(const tensor_view& table, const int32_t* ids, int64_t n_ids, float* y) override {
        const int64_t n = table.ne[0];
        const size_t row = kernels::row_size(table.type, n);
        const auto* base = static_cast<const uint8_t*>(table.data);
        for (int64_t i = 0; i < n_ids; ++i)
            kernels::dequantize_row_ref(table.type, base + static_cast<size_t>(ids[i]) * row,
                                        y + i * n, n);
    }

    void matmul(const tensor_view& w, const float* x, int64_t n_tokens, float* y) override {
        kernels::matmul(w.type, w.data, w.ne[0], w.ne[1], x, n_tokens, y, m_pool);
    }

    void rms_norm(const float* x, const tensor_view& weight, float* y, int64_t n_tokens,
                  float eps) override {
        kernels::rms_norm(x, static_cast<const float*>(weight.data), y, n_tokens, weight.ne[0],
                          eps);
    }

    void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t n_rot,
              const int32_t* pos, float theta, rope_layout layout) override {
        kernels::rope(x, n_tokens, n_heads, head_dim, n_rot, pos, theta,
                      layout == rope_layout::adjacent_pairs ? kernels::rope_pairing::adjacent
                                                            : kernels::rope_pairing::half);
    }

    void attention(const float* q, const float* kt, int64_t kt_stride, const float* v,
                   const int32_t* pos, int64_t n_tokens, int64_t n_head, int64_t n_head_kv,
                   int64_t head_dim, float* out, float* probs, int64_t probs_stride) override {
        const int64_t group = n_head / n_head_kv;
        const int64_t q_stride = n_head * head_dim, v_stride = n_head_kv * head_dim;
        const int64_t items = n_tokens * n_head_kv;
        // Later tokens see more positions, so work grows with t. Fold the item order
        // (0, N-1, 1, N-2, ...) so every contiguous chunk the pool hands out has a similar
        // share of cheap and expensive items.
        auto item_of = [items](int64_t i) { return i % 2 == 0 ? i / 2 : items - 1 - i / 2; };
        m_pool.parallel_for(items, [&](int64_t i0, int64_t i1, int) {
            thread_local std::vector<float> scratch;
            for (int64_t i = i0; i < i1; ++i) {
                const int64_t item = item_of(i), t = item / n_head_kv, h = item % n_head_kv;
                const int64_t n_kv = pos[t] + 1;
                float* p = nullptr;
                int64_t ps = n_kv;
                if (probs) {
                    p = probs + (t * n_head + h * group) * probs_stride;
                    ps = probs_stride;
                } else {
                    scratch.resize(static_cast<size_t>(group * n_kv));
                    p = scratch.data();
                }
                kernels::attention_group(q + t * q_stride + h * group * head_dim,
                                         kt + h * head_dim * kt_stride, kt_stride, v + h * head_dim,
                                         v_stride, n_kv, group, head_dim, p, ps,
                                         out + t * q_stride + h * group * head_dim);
            }
        });
    }

    void swiglu(float* gate, const float* up, int64_t n) override { kernels::swiglu(gate, up, n); }
    void add(float* y, const float* x, int64_t n) override { kernels::add_inplace(y, x, n); }

private:
    kernels::thread_pool m_pool;
};

}  // namespace

std::unique_ptr<backend> backend_cpu_create(int n_threads) {
    return std::make_unique<cpu_backend>(n_threads);
}

std::vector<std::string> backend_available() {
    return {"cpu"};
}

}  // namespace prism
