// Random-weight Llama models of a given shape (see model_source_random in model_source.h):
// the tensors a real checkpoint of that shape has, in GGUF naming, owned by the source.
#include <random>

#include "prism/model_source.h"

namespace prism {

result<model_source> model_source_random(const llama_hparams& hp, uint64_t seed,
                                         std::shared_ptr<const tokenizer> vocab) {
    model_source m;
    m.path = "<random>";
    m.format = "random";
    m.name = "random llama";
    m.hparams = hp;
    m.vocab = std::move(vocab);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    auto add = [&](const std::string& name, int64_t ne0, int64_t ne1, bool ones) {
        if (ne0 <= 0 || ne1 <= 0 || ne0 * ne1 > (int64_t{1} << 32))
            throw engine_error(errc::invalid_argument,
                               "random model: tensor '" + name + "' has an invalid shape");
        auto buf = std::make_shared<std::vector<float>>(static_cast<size_t>(ne0 * ne1));
        for (auto& x : *buf) x = ones ? 1.0f : normal(rng);
        tensor_view t;
        t.name = name;
        t.n_dims = ne1 > 1 ? 2 : 1;
        t.ne = {ne0, ne1, 1, 1};
        t.data = buf->data();
        t.nbytes = buf->size() * sizeof(float);
        m.tensors[name] = t;
        m.owners.push_back(std::move(buf));
    };
    return catch_to_result([&]() -> model_source {
        if (hp.n_head <= 0 || hp.n_head_kv <= 0 || hp.n_embd % hp.n_head != 0)
            throw engine_error(errc::invalid_argument, "random model: inconsistent head counts");
        const int64_t e = hp.n_embd, hd = hp.head_dim();
        add("token_embd.weight", e, hp.n_vocab, false);
        add("output_norm.weight", e, 1, true);
        if (!hp.tied_output) add("output.weight", e, hp.n_vocab, false);
        for (int32_t i = 0; i < hp.n_layer; ++i) {
            const std::string p = "blk." + std::to_string(i) + ".";
            add(p + "attn_norm.weight", e, 1, true);
            add(p + "ffn_norm.weight", e, 1, true);
            add(p + "attn_q.weight", e, hp.n_head * hd, false);
            add(p + "attn_k.weight", e, hp.n_head_kv * hd, false);
            add(p + "attn_v.weight", e, hp.n_head_kv * hd, false);
            add(p + "attn_output.weight", hp.n_head * hd, e, false);
            add(p + "ffn_gate.weight", e, hp.n_ff, false);
            add(p + "ffn_up.weight", e, hp.n_ff, false);
            add(p + "ffn_down.weight", hp.n_ff, e, false);
        }
        if (auto ok = model_source_validate(m); !ok)
            throw engine_error(errc::invalid_argument, "random model: " + ok.error().message);
        return m;
    });
}

}  // namespace prism
