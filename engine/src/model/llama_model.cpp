// llama_model: binds the named tensors of a model_source to the Llama block structure after
// checking every name and shape (model_source_validate).
#include <numeric>

#include "prism/llama.h"

namespace prism {

llama_model::llama_model(model_source src) : m_src(std::move(src)) {
    m_token_embd = m_src.find("token_embd.weight");
    m_output_norm = m_src.find("output_norm.weight");
    m_output = m_src.hparams.tied_output ? m_token_embd : m_src.find("output.weight");
    for (int32_t i = 0; i < m_src.hparams.n_layer; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        m_layers.push_back({m_src.find(p + "attn_norm.weight"), m_src.find(p + "attn_q.weight"),
                            m_src.find(p + "attn_k.weight"), m_src.find(p + "attn_v.weight"),
                            m_src.find(p + "attn_output.weight"), m_src.find(p + "ffn_norm.weight"),
                            m_src.find(p + "ffn_gate.weight"), m_src.find(p + "ffn_up.weight"),
                            m_src.find(p + "ffn_down.weight")});
    }
}

result<std::shared_ptr<const llama_model>> llama_model::from_source(model_source src) {
    if (auto ok = model_source_validate(src); !ok) return std::unexpected(ok.error());
    if (!src.vocab)
        return std::unexpected(error{
            errc::format, "model '" + src.path + "' has no tokenizer: pass one with --tokenizer",
            src.path, -1});
    if (src.vocab->n_vocab() > src.hparams.n_vocab)
        return std::unexpected(error{errc::format,
                                     "the tokenizer has " + std::to_string(src.vocab->n_vocab()) +
                                         " tokens but the model's vocabulary has only " +
                                         std::to_string(src.hparams.n_vocab) +
                                         ": tokenizer and model do not belong together",
                                     src.path, -1});
    return std::shared_ptr<const llama_model>(new llama_model(std::move(src)));
}

result<std::shared_ptr<const llama_model>> llama_model::load(const std::string& path,
                                                             const model_load_params& p) {
    auto src = model_source_load(path, p);
    if (!src) return std::unexpected(src.error());
    return from_source(std::move(*src));
}

}  // namespace prism
