// Random-weight models for the benchmarks (model_source_random with the bundled tokenizer;
// the benchmarks feed token ids directly, so any tokenizer will do). Aborts with a message
// on failure: a benchmark has no one to report an error to.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "prism/llama.h"
#include "prism/tokenizer.h"

namespace prism::bench {

inline std::shared_ptr<const llama_model> random_model(const llama_hparams& shape) {
    auto vocab = tokenizer::from_file(default_model_path());
    auto src = vocab ? model_source_random(shape, 1, *vocab)
                     : result<model_source>(std::unexpected(vocab.error()));
    auto m = src ? llama_model::from_source(std::move(*src))
                 : result<std::shared_ptr<const llama_model>>(std::unexpected(src.error()));
    if (!m) {
        std::fprintf(stderr, "random model: %s\n", m.error().message.c_str());
        std::abort();
    }
    return *m;
}

}  // namespace prism::bench
