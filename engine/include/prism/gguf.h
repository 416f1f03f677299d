// GGUF v2/v3 reading (over mmap) and writing.
//
// Source: the GGUF specification, ggml/docs/gguf.md. Layout (little-endian):
//   magic "GGUF", uint32 version, uint64 n_tensors, uint64 n_kv,
//   n_kv × { string key, uint32 value_type, value },
//   n_tensors × { string name, uint32 n_dims, n_dims × uint64 ne, uint32 ggml_type, uint64 offset
//   }, padding to general.alignment (default 32), tensor data (offsets relative to its start).
//   string = uint64 length + bytes (no terminator); array = uint32 elem type, uint64 count, items.
// The reader validates every count, length, offset and dimension against the bytes left
// before using or allocating anything; errors name the field and its byte offset.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "prism/error.h"
#include "prism/mapped_file.h"
#include "prism/model_source.h"

namespace prism::gguf {

enum class value_type : uint32_t {
    uint8 = 0,
    int8 = 1,
    uint16 = 2,
    int16 = 3,
    uint32 = 4,
    int32 = 5,
    float32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    uint64 = 10,
    int64 = 11,
    float64 = 12,
};
std::string_view value_type_name(value_type t);

struct value;
/// An array value: element type plus items (items may themselves be arrays).
struct array {
    value_type elem_type = value_type::uint8;
    std::vector<value> items;

    bool operator==(const array&) const = default;
};

struct value {
    value_type type = value_type::uint8;
    std::variant<uint64_t, int64_t, double, bool, std::string, array> data;

    // Typed accessors; throw engine_error(errc::format) naming the actual type on mismatch.
    int64_t as_int() const;   ///< any integer type (uint64 above INT64_MAX throws)
    double as_float() const;  ///< float32/float64, or an integer type
    bool as_bool() const;
    const std::string& as_string() const;
    const array& as_array() const;
    /// Short printable form ("[512 × string]" for long arrays), for `prism info`.
    std::string to_display() const;

    // Constructors for writers and tests.
    static value u32(uint32_t v) { return {value_type::uint32, uint64_t{v}}; }
    static value i32(int32_t v) { return {value_type::int32, int64_t{v}}; }
    static value u64(uint64_t v) { return {value_type::uint64, v}; }
    static value f32(float v) { return {value_type::float32, double{v}}; }
    static value boolean(bool v) { return {value_type::boolean, v}; }
    static value str(std::string v) { return {value_type::string, std::move(v)}; }
    static value arr(value_type elem, std::vector<value> items) {
        return {value_type::array, array{elem, std::move(items)}};
    }

    /// Same type and same stored value (floats compare by value: NaN != NaN).
    bool operator==(const value&) const = default;
};

struct tensor_info {
    std::string name;
    uint32_t n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    kernels::ggml_type type = kernels::ggml_type::f32;
    uint64_t offset = 0;  ///< relative to the data section
    uint64_t nbytes = 0;
    const uint8_t* data = nullptr;  ///< into the mapping
};

/// A parsed GGUF file. Tensor data stays in the mapping, which the file object keeps alive.
class file {
public:
    /// Maps and parses `path`. Errors: errc::io, errc::format (message names the field and
    /// byte offset: truncation, n_dims > 4, overflowing element counts, lengths past the end
    /// of the file, tensor data past the end, overlapping tensors, big-endian header...),
    /// errc::unsupported (version other than 2/3, unknown tensor type).
    static result<file> open(const std::string& path);
    /// Parses bytes already in memory; `owner` keeps them alive (may be null for tests
    /// that keep the buffer themselves).
    static result<file> parse(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                              const std::string& path_for_errors = {});

    uint32_t version() const { return m_version; }
    uint64_t alignment() const { return m_alignment; }
    uint64_t data_offset() const { return m_data_offset; }
    const std::string& path() const { return m_path; }
    const std::vector<std::pair<std::string, value>>& metadata() const { return m_kv; }
    const std::vector<tensor_info>& tensors() const { return m_tensors; }
    const std::shared_ptr<const void>& owner() const { return m_owner; }

    const value* find(std::string_view key) const;
    const tensor_info* find_tensor(std::string_view name) const;
    /// Typed lookups: std::nullopt if absent; throw engine_error(errc::format) on wrong type.
    std::optional<int64_t> get_int(std::string_view key) const;
    std::optional<double> get_float(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;
    std::optional<bool> get_bool(std::string_view key) const;

private:
    uint32_t m_version = 0;
    uint64_t m_alignment = 32;
    uint64_t m_data_offset = 0;
    std::string m_path;
    std::vector<std::pair<std::string, value>> m_kv;
    std::vector<tensor_info> m_tensors;
    std::shared_ptr<const void> m_owner;
};

/// Builds a GGUF v3 file. Keys keep insertion order; tensor data is aligned to
/// general.alignment (set it as a uint32 key to change the default 32).
class writer {
public:
    /// Adds or replaces a key. Throws engine_error(errc::invalid_argument) when the stored
    /// alternative does not match the declared type, an integer is out of range, array items
    /// differ from the element type, arrays nest deeper than 8, or general.alignment is not
    /// a power-of-two uint32.
    void set(std::string key, value v);
    /// ne in GGUF order; data must hold exactly the type's row_size × rows bytes. The bytes
    /// are copied. Throws engine_error(errc::invalid_argument) for a duplicate name, more than
    /// 4 dimensions, a negative dimension, ne[0] not a multiple of the block size or a byte
    /// count that does not match.
    void add_tensor(std::string name, kernels::ggml_type type, std::vector<int64_t> ne,
                    const void* data, size_t nbytes);
    /// Fills a tensor's bytes (exactly the shape's size) when the file is written.
    using tensor_fill = std::function<void(std::span<uint8_t> bytes)>;
    /// A tensor whose bytes are produced at write time, one tensor at a time, so a model
    /// larger than memory can be written: `fill` gets a buffer of the shape's byte size.
    /// Same checks as add_tensor (except the byte count, which the shape fixes).
    void add_tensor_fill(std::string name, kernels::ggml_type type, std::vector<int64_t> ne,
                         tensor_fill fill);
    std::vector<uint8_t> to_bytes() const;
    /// Writes to a temporary file in the same folder and renames it over `path`.
    result<void> write(const std::string& path) const;
    /// As write(), but checks `stop` before each tensor: when it is requested, the temporary
    /// file is removed, `path` is untouched and the result is false (true: written).
    result<bool> write(const std::string& path, std::stop_token stop) const;

private:
    struct pending_tensor {
        std::string name;
        kernels::ggml_type type;
        std::vector<int64_t> ne;
        size_t nbytes = 0;
        std::vector<uint8_t> data;  ///< empty when `fill` produces the bytes
        tensor_fill fill;
    };
    /// Checks name, shape and type; returns the byte size the shape needs.
    size_t check_tensor(const std::string& name, kernels::ggml_type type,
                        const std::vector<int64_t>& ne) const;
    std::vector<std::pair<std::string, value>> m_kv;
    std::vector<pending_tensor> m_tensors;
};

/// Sets the `llama.*` hyperparameter keys (context_length, embedding_length,
/// feed_forward_length, block_count, attention.head_count, attention.head_count_kv,
/// rope.dimension_count, attention.layer_norm_rms_epsilon, rope.freq_base) and
/// general.architecture = "llama", as model_source_from_gguf reads them back. The RoPE layout
/// and tied classifier are not keys (GGUF llama files are adjacent-pair; a tied classifier is
/// a missing output.weight). Throws engine_error(errc::invalid_argument) for a negative size.
void write_llama_hparams(writer& w, const llama_hparams& hp);

}  // namespace prism::gguf
