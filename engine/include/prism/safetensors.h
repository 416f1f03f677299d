// safetensors reading (over mmap) and writing: the weight format of Hugging Face checkpoints.
//
// Source: the safetensors format description (huggingface/safetensors README). Layout:
//   uint64 little-endian N, then N bytes of UTF-8 JSON (may be padded with trailing spaces):
//     { "<name>": { "dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end] },
//       ..., "__metadata__": { "<key>": "<string value>", ... } }
//   then the data buffer; offsets are relative to its start, `end` exclusive.
// Shapes are in PyTorch order (row-major, the LAST dimension contiguous) — the reverse of
// GGUF's ne order. The reader validates every length, offset and size against the file before
// handing out a view, and rejects duplicate JSON keys (a plain JSON parser keeps one silently).
// Only F32, F16 and BF16 tensors are supported; anything else is errc::unsupported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prism/error.h"
#include "prism/kernels/dtype.h"

namespace prism::safetensors {

/// Largest header the reader accepts (as the reference implementation: 100 MB).
inline constexpr uint64_t max_header_size = 100'000'000;

/// One tensor: a view into the file's mapping (or the buffer handed to file::parse).
struct tensor {
    std::string name;
    std::string dtype;  ///< as stored: "F32", "F16", "BF16"
    kernels::ggml_type type = kernels::ggml_type::f32;
    std::vector<int64_t> shape;  ///< PyTorch order; empty for a scalar
    const uint8_t* data = nullptr;
    size_t nbytes = 0;
    uint64_t offset = 0;  ///< of the first byte, relative to the data buffer

    int64_t numel() const;
};

/// The safetensors dtype string for a supported element type ("F32", "F16", "BF16"); empty
/// for any other type.
std::string_view dtype_name(kernels::ggml_type t);

/// A parsed safetensors file. Tensor views stay valid while this object (or a copy of
/// owner()) lives.
class file {
public:
    /// Maps and parses `path`. Errors: errc::io (cannot open), errc::format (truncated file,
    /// header length past the end or over max_header_size, invalid JSON, duplicate key (named),
    /// bad shape, size mismatch, offsets outside the data buffer, overlapping tensors, a Git
    /// LFS pointer saved in place of the file), errc::unsupported (a dtype other than
    /// F32/F16/BF16, naming tensor and dtype).
    static result<file> open(const std::string& path);
    /// Parses bytes already in memory; `owner` keeps them alive (may be null when the caller
    /// keeps the buffer alive itself).
    static result<file> parse(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                              const std::string& path_for_errors = {});

    /// Tensors in data-buffer order.
    const std::vector<tensor>& tensors() const { return m_tensors; }
    /// The tensor called `name`, or null.
    const tensor* find(std::string_view name) const;
    /// The "__metadata__" entries, sorted by key.
    const std::vector<std::pair<std::string, std::string>>& metadata() const { return m_meta; }
    /// The mapping (or buffer owner) the views point into.
    const std::shared_ptr<const void>& owner() const { return m_owner; }
    const std::string& path() const { return m_path; }
    /// Byte offset of the data buffer in the file (8 + header length).
    uint64_t data_offset() const { return m_data_offset; }

private:
    std::string m_path;
    uint64_t m_data_offset = 0;
    std::vector<tensor> m_tensors;
    std::vector<std::pair<std::string, std::string>> m_meta;
    std::shared_ptr<const void> m_owner;
};

/// Builds a safetensors file. Tensors are laid out contiguously, wider dtypes first, so every
/// tensor is aligned to its element size; the header is padded with spaces so the data buffer
/// starts at a multiple of 8 bytes.
class writer {
public:
    /// Adds a tensor (bytes copied). `type` is f32, f16 or bf16; `shape` in PyTorch order
    /// (row-major); `nbytes` must equal numel × element size. errc::invalid_argument on a
    /// duplicate or empty name, "__metadata__", another type, a negative dimension or a size
    /// mismatch.
    result<void> add_tensor(std::string name, kernels::ggml_type type, std::vector<int64_t> shape,
                            const void* data, size_t nbytes);
    /// Sets (or replaces) a "__metadata__" entry.
    void set_metadata(std::string key, std::string value);
    std::vector<uint8_t> to_bytes() const;
    /// Writes to a temporary file in the same folder and renames it over `path`.
    result<void> write(const std::string& path) const;

private:
    struct pending_tensor {
        std::string name;
        kernels::ggml_type type;
        std::vector<int64_t> shape;
        std::vector<uint8_t> data;
    };
    std::vector<pending_tensor> m_tensors;
    std::vector<std::pair<std::string, std::string>> m_meta;
};

}  // namespace prism::safetensors
