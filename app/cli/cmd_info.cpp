// `prism info`: what a model file holds — format, architecture, hyperparameters, tokenizer,
// the tensor table (name, dtype, shape, bytes) and the parameter count.
#include <cstdio>

#include "commands.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"

namespace prism::cli {

command_fn add_info(CLI::App& app) {
    auto model_path = std::make_shared<std::string>();
    auto tok_path = std::make_shared<std::string>();
    auto show_meta = std::make_shared<bool>(false);
    auto* model_opt = app.add_option("--model,-m", *model_path,
                                     "model file or HF folder (default: bundled model)");
    app.add_option("--tokenizer", *tok_path, "tokenizer file (for llama2.c checkpoints)");
    app.add_flag("--metadata", *show_meta, "also list every metadata key");

    return [=]() -> int {
        const std::string path = model_path_or_default(model_opt, *model_path);
        auto loaded = model_source_load(path, {.tokenizer_path = *tok_path});
        if (!loaded) return report(loaded.error());
        if (auto ok = model_source_validate(*loaded); !ok) return report(ok.error());
        const model_source& src = *loaded;
        const auto& hp = src.hparams;
        std::printf("model:          %s\nformat:         %s\nname:           %s\n", path.c_str(),
                    src.format.c_str(), printable(src.name, 200).c_str());
        std::printf("architecture:   llama\n");
        std::printf(
            "n_vocab:        %d\nn_ctx_train:    %d\nn_embd:         %d\nn_ff:           %d\n"
            "n_layer:        %d\nn_head:         %d\nn_head_kv:      %d\nhead_dim:       %d\n"
            "n_rot:          %d\nrms_norm_eps:   %g\nrope_theta:     %g\nrope_layout:    %s\n"
            "tied_output:    %s\n",
            hp.n_vocab, hp.n_ctx_train, hp.n_embd, hp.n_ff, hp.n_layer, hp.n_head, hp.n_head_kv,
            hp.head_dim(), hp.n_rot, hp.rms_norm_eps, hp.rope_theta,
            hp.rope == rope_layout::adjacent_pairs ? "adjacent_pairs" : "rotate_half",
            hp.tied_output ? "yes" : "no");
        if (src.vocab)
            std::printf("tokenizer:      %s, %d tokens, bos %d, eos %d\n",
                        std::string(src.vocab->kind()).c_str(), src.vocab->n_vocab(),
                        src.vocab->bos_id(), src.vocab->eos_id());
        else
            std::printf("tokenizer:      none in this file (pass --tokenizer)\n");
        std::printf("parameters:     %lld (%.3f M), %zu bytes of weights\n",
                    static_cast<long long>(src.n_params()), src.n_params() / 1e6, src.n_bytes());
        if (*show_meta) {
            std::printf("\nmetadata:\n");
            for (const auto& [k, val] : src.metadata)
                std::printf("  %-40s %s\n", printable(k, 200).c_str(), printable(val, 200).c_str());
        }
        std::printf("\n%-32s %-6s %-22s %12s\n", "tensor", "dtype", "shape", "bytes");
        for (const auto& [name, t] : src.tensors) {
            std::printf("%-32s %-6s %-22s %12zu\n", printable(name, 200).c_str(),
                        std::string(kernels::type_name(t.type)).c_str(),
                        shape_text(t.n_dims, t.ne).c_str(), t.nbytes);
        }
        return 0;
    };
}

}  // namespace prism::cli
