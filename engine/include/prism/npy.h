// NumPy .npy arrays: reading reference outputs (logits, attention, token ids) produced by
// Python tools, and writing the engine's own dumps for comparison.
//
// Source: the NumPy format specification (numpy/lib/format.py, NEP 1). Layout:
//   "\x93NUMPY", uint8 major, uint8 minor, header length (uint16 LE for version 1.0,
//   uint32 LE for 2.0 / 3.0), an ASCII Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (32, 512), } padded with spaces and
//   ending in '\n', then the C-order element data.
// Supported element types: '<f4', '<f8', '<i4', '<i8' (little-endian), C order only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "prism/error.h"

namespace prism::npy {

struct array {
    std::string descr;           ///< '<f4', '<f8', '<i4' or '<i8'
    std::vector<int64_t> shape;  ///< C order (last dimension contiguous); empty for a scalar
    std::vector<uint8_t> data;   ///< numel() × item_size() bytes, little-endian

    int64_t numel() const;
    size_t item_size() const;  ///< bytes per element of descr
};

/// Reads `path`. Errors: errc::io; errc::format (bad magic, header length past the end, a
/// malformed header dict, a data size that differs from shape × item size, naming what is
/// wrong); errc::unsupported (another dtype or byte order, fortran_order True, version
/// other than 1.0 / 2.0 / 3.0).
result<array> load(const std::string& path);
/// Parses bytes already in memory (same checks as load).
result<array> parse(std::span<const uint8_t> bytes, const std::string& path_for_errors = {});

/// Serializes an array (version 1.0 header, or 2.0 when the header needs it; the header
/// is padded so the data starts at a multiple of 64 bytes). errc::invalid_argument when
/// descr is unsupported or data does not match shape.
result<std::vector<uint8_t>> to_bytes(const array& a);
/// Writes `a` to `path` (temporary file + rename).
result<void> save(const std::string& path, const array& a);
/// Writes numel(shape) floats from `data` as '<f4'.
result<void> save_f32(const std::string& path, std::span<const int64_t> shape, const float* data);
/// Writes numel(shape) int32 values from `data` as '<i4'.
result<void> save_i32(const std::string& path, std::span<const int64_t> shape, const int32_t* data);

/// The elements as float: '<f4' exactly, '<f8' rounded, integer types converted.
std::vector<float> to_f32(const array& a);
/// The elements as int32: '<i4' exactly, '<i8' range-checked; errc::format if an '<i8'
/// value does not fit, errc::unsupported for float arrays.
result<std::vector<int32_t>> to_i32(const array& a);

}  // namespace prism::npy
