// Attention capture: records the post-softmax attention probabilities of selected layers and
// query heads for every query position of one sequence, through llama_context's
// "attn_probs" tap (the unfused path runs only for the observed layers).
//
// Memory is bounded and stated before anything is stored. The dense float32 size of a
// capture is T² × layers × heads × 4 bytes (16 GiB for 2048 tokens of a 32-layer, 32-head
// model); causal rows are stored as a triangle (half that), optionally as float16 (half
// again), or as block-mean-pooled pool×pool tiles for an overview of all heads. reserve()
// refuses a capture that would exceed the caller's budget with a message giving the numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "prism/error.h"
#include "prism/llama.h"

namespace prism {

enum class capture_precision { f32, f16 };

struct attention_capture_params {
    std::vector<int32_t> layers;  ///< layers to capture (model numbering); empty = all
    std::vector<int32_t> heads;   ///< query heads to capture; empty = all
    capture_precision precision = capture_precision::f32;
    int32_t pool = 1;  ///< > 1: keep pool×pool block means instead of every value
    size_t memory_budget = size_t{2} << 30;  ///< bytes the stored rows may take
    int32_t seq_id = 0;                      ///< the sequence to record
};

class attention_capture {
public:
    /// Validates the selection against the model (layers in [0, n_layer), heads in
    /// [0, n_head), pool >= 1, no duplicates). errc::invalid_argument naming the value.
    static result<attention_capture> create(const llama_hparams& hp,
                                            const attention_capture_params& p);

    /// Bytes the stored form needs for n_tokens rows.
    size_t bytes_needed(int64_t n_tokens) const;
    /// The dense float32 size T² × layers × heads × 4 bytes, for messages.
    static size_t dense_f32_bytes(int64_t n_tokens, int64_t n_layers, int64_t n_heads);
    /// Allocates room for rows 0..max_tokens-1 and clears earlier data. errc::out_of_memory,
    /// with the numbers and what to change, if bytes_needed(max_tokens) exceeds the budget.
    result<void> reserve(int64_t max_tokens);

    /// The tap to install with llama_context::set_tap while generating.
    tap_params tap();
    /// Stores the row of query position `pos` of one layer: probs is [n_head][pos + 1] for
    /// all n_head query heads of the model. Rows past the reserved size are ignored.
    void record(int32_t layer, int32_t pos, const float* probs, int32_t n_head);

    int64_t n_tokens() const { return m_n_rows; }  ///< highest recorded position + 1
    int64_t capacity() const { return m_capacity; }
    const std::vector<int32_t>& layers() const { return m_layers; }
    const std::vector<int32_t>& heads() const { return m_heads; }
    int32_t pool() const { return m_params.pool; }
    capture_precision precision() const { return m_params.precision; }

    /// The captured matrix of (layers()[li], heads()[hi]) as dense row-major float32:
    /// n_tokens() × n_tokens() (zeros above the diagonal), or m × m block means with
    /// m = ceil(n_tokens() / pool) when pooling.
    std::vector<float> matrix(size_t layer_index, size_t head_index) const;
    int64_t matrix_size() const;  ///< the side length of matrix()

private:
    attention_capture() = default;
    size_t slot_elems(int64_t n_tokens) const;

    attention_capture_params m_params;
    int32_t m_n_layer_model = 0, m_n_head_model = 0;
    std::vector<int32_t> m_layers, m_heads;
    std::vector<int32_t> m_layer_index;  // model layer -> captured index or -1
    int64_t m_capacity = 0;
    int64_t m_n_rows = 0;
    // Zeroed storage from calloc: large blocks come straight from the OS as untouched
    // zero pages, so reserving for a long generation costs memory only as rows arrive.
    struct free_deleter {
        void operator()(void* p) const { std::free(p); }
    };
    std::unique_ptr<float[], free_deleter> m_f32;     // triangle (f32) or pooled tile sums
    std::unique_ptr<uint16_t[], free_deleter> m_f16;  // triangle (f16)
};

}  // namespace prism
