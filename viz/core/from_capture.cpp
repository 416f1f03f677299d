// attention_capture (engine) → attention_set (viz): copies each captured matrix out of the
// triangular store and attaches readable token labels.
#include "prism/viz/from_capture.h"

#include <algorithm>
#include <stdexcept>

namespace prism::viz {

std::string token_label(const std::string& piece, size_t max_chars) {
    static const char* hex = "0123456789abcdef";
    std::vector<std::string> units;  // one displayed character each
    for (size_t i = 0; i < piece.size();) {
        const auto c = static_cast<unsigned char>(piece[i]);
        size_t n = 1;
        if (c == ' ') {
            units.emplace_back("\xc2\xb7");  // '·'
        } else if (c == '\n') {
            units.emplace_back("\\n");
        } else if (c == '\t') {
            units.emplace_back("\\t");
        } else if (c < 0x20 || c == 0x7f) {
            units.push_back(std::string("\\x") + hex[c >> 4] + hex[c & 15]);
        } else {
            // One whole UTF-8 character (or one stray byte).
            n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
            n = std::min(n, piece.size() - i);
            units.push_back(piece.substr(i, n));
        }
        i += n;
    }
    const bool cut = units.size() > max_chars && max_chars > 0;
    const size_t keep = cut ? max_chars - 1 : units.size();
    std::string out;
    for (size_t k = 0; k < keep; ++k) out += units[k];
    if (cut) out += "\xe2\x80\xa6";  // '…'
    return out;
}

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
