// `prism generate`: streams the detokenized prompt and the generated text to stdout, then
// one newline; logs and timings go to stderr (llama.cpp's conventions: -n counts generated
// tokens).
#include "commands.h"
#include "generation_options.h"

namespace prism::cli {

command_fn add_generate(CLI::App& app) {
    auto o = std::make_shared<generation_options>();
    add_generation_options(app, *o);
    return [o]() -> int {
        auto session = open_generation(*o);
        if (!session) return report(session.error());
        auto res = generate_to_stdout(*session, o->gen);
        return res ? 0 : report(res.error());
    };
}

}  // namespace prism::cli
