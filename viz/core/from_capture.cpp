// attention_capture (engine) → attention_set (viz): copies each captured matrix out of the
// triangular store and attaches readable token labels.
#include "prism/viz/from_capture.h"

#include <algorithm>
#include <stdexcept>

namespace prism::viz {

attention_set attention_set_from_capture(const attention_capture& capture,
                                         const std::vector<int32_t>& tokens, int32_t n_prompt,
                                         const tokenizer& tok, const llama_hparams& hp,
                                         std::string model_name) {
    if (capture.pool() != 1)
        throw std::invalid_argument("attention_set_from_capture: pooled captures are overviews");
    if (capture.n_tokens() != static_cast<int64_t>(tokens.size()))
        throw std::invalid_argument("attention_set_from_capture: capture has " +
                                    std::to_string(capture.n_tokens()) + " rows for " +
                                    std::to_string(tokens.size()) + " tokens");
    attention_set s;
    s.model = std::move(model_name);
    s.tokens = tokens;
    s.n_prompt = n_prompt;
    s.n_layer_total = hp.n_layer;
    s.n_head_total = hp.n_head;
    s.layers = capture.layers();
    s.heads = capture.heads();
    for (int32_t id : tokens) {
        const std::string piece = tok.token_to_piece(id);
        s.pieces.push_back(piece.empty() ? tok.token_text(id) : piece);
    }
    const auto n = static_cast<int64_t>(tokens.size());
    for (size_t li = 0; li < s.layers.size(); ++li) {
        for (size_t hi = 0; hi < s.heads.size(); ++hi) {
            attn_matrix m;
            m.n = n;
            m.p = capture.matrix(li, hi);
            s.mats.push_back(std::move(m));
        }
    }
    return s;
}

}  // namespace prism::viz
