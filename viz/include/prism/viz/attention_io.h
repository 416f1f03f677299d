// Attention snapshots as bytes: the blob format the project store keeps for a run's
// captured attention (projects::project::add_attention_snapshot / read_attention_blob).
// Qt-free.
//
// Format "PRATT" version 1, every integer little-endian, no padding:
//
//   offset  size        field
//   0       5           magic "PRATT"
//   5       4   u32     version (1)
//   9       4   u32     model name length M, then M bytes of UTF-8 (not validated)
//           4   u32     T, tokens (BOS included)
//           4   i32     n_prompt        (0 <= n_prompt <= T)
//           4   i32     n_layer_total   (>= 0)
//           4   i32     n_head_total    (>= 0)
//           4   u32     L, captured layers, then L × i32, strictly ascending, each in
//                       [0, n_layer_total)
//           4   u32     H, captured heads, then H × i32, strictly ascending, each in
//                       [0, n_head_total)
//           T × i32     token ids
//           T × (u32 length, bytes)   pieces (raw decoded text, any bytes)
//           L·H × T(T+1)/2 × f16      matrices in mats order (layer-major), each the lower
//                       triangle row by row: row q holds keys 0..q
//
// The blob ends exactly there; trailing bytes are an error. Values above the diagonal are
// not stored (a causal matrix has zeros there) and read back as 0.
//
// Precision: values are stored as IEEE 754 binary16, rounded to nearest even. For
// probabilities in [0, 1] the absolute error is at most 2^-12 ≈ 2.44e-4 (reached in
// [0.5, 1]; at most 2^-11 · p for p >= 2^-14, and 2^-25 for smaller values). A
// 2048-token capture of 40 heads is 40 × 2048·2049/2 × 2 bytes ≈ 168 MB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "prism/error.h"
#include "prism/viz/attention_data.h"

namespace prism::viz {

inline constexpr uint32_t attention_format_version = 1;

/// Serializes a set in the format above. Values are clamped to [0, 1] (NaN stored as 0)
/// before rounding, so every blob this writes reads back. Pieces missing at the end of
/// `set.pieces` are written as empty strings. Throws std::invalid_argument if the set is
/// inconsistent: mats.size() != layers.size() * heads.size(), a matrix whose size is not
/// n_tokens(), more pieces than tokens, or a count that does not fit the format.
std::vector<std::byte> attention_set_to_bytes(const attention_set& set);

/// Reads a blob written by attention_set_to_bytes. Every count and length is checked
/// against the bytes left before anything is allocated, so a truncated, corrupted or
/// hostile blob yields errc::format (message naming the field, `offset` its byte offset)
/// and never a crash or an oversized allocation; errc::unsupported for a newer version.
/// Matrix values outside [0, 1] (or NaN / infinity) are errc::format. The result holds
/// dense T×T matrices (4 bytes per cell: about 4× the blob's matrix bytes). A long capture
/// takes a noticeable time to decode: in the studio, call this on a worker thread.
prism::result<attention_set> attention_set_from_bytes(std::span<const std::byte> bytes);

}  // namespace prism::viz
