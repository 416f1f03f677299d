// Interim byte encoding of a captured attention set for the project's attention snapshots,
// used until viz's attention_io (viz::attention_set_to_bytes / attention_set_from_bytes)
// lands; switching over means replacing these two bodies with calls to those functions.
//
// Layout (little-endian, as the machines Prism runs on): magic "PRSMATT1", then the model
// name, the token ids, the pieces, n_prompt, n_layer_total, n_head_total, layers, heads and
// each matrix (n, then n*n float32). Strings and arrays are length-prefixed (uint64).
// Decoding checks every length against the bytes left, so a damaged blob is an error value.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "prism/error.h"
#include "prism/viz/attention_data.h"

namespace prism::ui {

std::vector<std::byte> attentionToBytes(const prism::viz::attention_set& set);
/// errc::format for bytes that are not a complete encoding.
prism::result<prism::viz::attention_set> attentionFromBytes(std::span<const std::byte> bytes);

}  // namespace prism::ui
