// The compute backend interface: a device (name, memory), buffers on it, and the ops the
// Llama forward needs. `cpu` is always present; `cuda` and `vulkan` arrive as separately
// loaded modules and are discovered at run time (a missing driver never stops the program).
// An op a backend lacks falls back to the CPU path.
//
// Activations are float32, row-major: [n_tokens, n] with row stride n. Weights are
// tensor_views in any computable type (see kernels/dtype.h). For the CPU backend buffers
// are host memory; device backends will map their buffers for the same calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"
#include "prism/model_source.h"

namespace prism {

struct backend_memory {
    size_t total = 0;  ///< bytes of device memory (host RAM for cpu)
    size_t free = 0;   ///< bytes available now
};

/// A block of backend memory. Owned by whoever allocated it (unique_ptr).
class backend_buffer {
public:
    virtual ~backend_buffer() = default;
    virtual float* data() = 0;        ///< host-visible pointer (cpu: the memory itself)
    virtual size_t size() const = 0;  ///< bytes
};

class backend {
public:
    virtual ~backend() = default;
    virtual std::string_view name() const = 0;    ///< "cpu", "cuda", "vulkan"
    virtual std::string description() const = 0;  ///< device / CPU model, threads, SIMD
    virtual backend_memory memory() const = 0;
    virtual int n_threads() const = 0;

    /// Zero-initialized buffer of `bytes`; throws engine_error(errc::out_of_memory).
    virtual std::unique_ptr<backend_buffer> alloc(size_t bytes) = 0;

    /// y[t] = rows ids[t] of `table` (shape [n, n_rows]), dequantized: y is [n_ids, n].
    virtual void get_rows(const tensor_view& table, const int32_t* ids, int64_t n_ids,
                          float* y) = 0;
    /// y = x · Wᵀ: x [n_tokens, w.ne[0]], y [n_tokens, w.ne[1]].
    virtual void matmul(const tensor_view& w, const float* x, int64_t n_tokens, float* y) = 0;
    /// RMSNorm of n_tokens rows of weight.ne[0] floats (weight F32). y may alias x.
    virtual void rms_norm(const float* x, const tensor_view& weight, float* y, int64_t n_tokens,
                          float eps) = 0;
    /// In-place RoPE on x [n_tokens, n_heads, head_dim] at positions pos[n_tokens].
    virtual void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t n_rot,
                      const int32_t* pos, float theta, rope_layout layout) = 0;
    /// Attention of n_tokens query rows q [n_tokens, n_head, head_dim] against one
    /// sequence's KV cache; query t sees cache positions 0..pos[t]. Keys are stored
    /// transposed per KV head: key (p, h, d) at kt[(h * head_dim + d) * kt_stride + p];
    /// values position-major: value (p, h, d) at v[(p * n_head_kv + h) * head_dim + d].
    /// out is [n_tokens, n_head, head_dim]. When probs is not null it also receives the
    /// post-softmax probabilities: probs[(t * n_head + h) * probs_stride + k] for k <= pos[t]
    /// (probs_stride > max pos[t]).
    virtual void attention(const float* q, const float* kt, int64_t kt_stride, const float* v,
                           const int32_t* pos, int64_t n_tokens, int64_t n_head, int64_t n_head_kv,
                           int64_t head_dim, float* out, float* probs = nullptr,
                           int64_t probs_stride = 0) = 0;
    /// gate = silu(gate) · up, n floats.
    virtual void swiglu(float* gate, const float* up, int64_t n) = 0;
    /// y += x, n floats.
    virtual void add(float* y, const float* x, int64_t n) = 0;
};

/// The CPU backend with its own thread pool (n_threads <= 0: all cores).
std::unique_ptr<backend> backend_cpu_create(int n_threads = 0);

/// Names of the backends usable on this machine now ("cpu" always first).
std::vector<std::string> backend_available();

}  // namespace prism
