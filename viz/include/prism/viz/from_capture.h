// Builds the viz layer's attention_set from an engine capture: the captured matrices as
// dense float32 plus the token ids and their display pieces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "prism/attention_capture.h"
#include "prism/tokenizer.h"
#include "prism/viz/attention_data.h"

namespace prism::viz {

/// `tokens` are the ids of every captured position (prompt then generated), n_prompt of
/// them the prompt; pieces come from tok.token_to_piece (control tokens show as their
/// vocabulary text, e.g. "<s>"). Throws std::invalid_argument if the capture holds a
/// different number of rows than tokens, or is pooled (pooled captures are overviews).
attention_set attention_set_from_capture(const attention_capture& capture,
                                         const std::vector<int32_t>& tokens, int32_t n_prompt,
                                         const tokenizer& tok, const llama_hparams& hp,
                                         std::string model_name);

}  // namespace prism::viz
