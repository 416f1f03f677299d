// `prism tokenize`: prints the token ids of a text, space-separated (or, with --json, one
// JSON array). The model may be a vocabulary-only GGUF; only the tokenizer is read.
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"

namespace prism::cli {

namespace {

struct tokenize_options {
    std::string model, tokenizer, prompt, file;
    bool no_bos = false, json = false, special = false;
};

result<std::shared_ptr<const tokenizer>> load_vocab(const tokenize_options& o) {
    if (!o.tokenizer.empty()) return tokenizer::from_file(o.tokenizer);
    const std::string path = o.model.empty() ? default_model_path() : o.model;
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    if (in.read(magic, 4) && std::string(magic, 4) == "GGUF") return tokenizer::from_file(path);
    auto src = model_source_load(path);
    if (!src) return std::unexpected(src.error());
    if (!src->vocab)
        return std::unexpected(
            error{errc::format, "'" + path + "' has no tokenizer: pass --tokenizer"});
    return src->vocab;
}

}  // namespace

command_fn add_tokenize(CLI::App& app) {
    auto o = std::make_shared<tokenize_options>();
    app.add_option("--model,-m", o->model, "model or vocabulary GGUF (default: bundled model)");
    app.add_option("--tokenizer", o->tokenizer, "tokenizer file instead of the model's");
    auto* prompt = app.add_option("--prompt,-p", o->prompt, "text to tokenize");
    auto* file = app.add_option("--file,-f", o->file, "read the text from a file");
    prompt->excludes(file);
    app.add_flag("--no-bos", o->no_bos, "do not prepend the BOS token");
    app.add_flag("--parse-special", o->special, "parse special-token text such as </s>");
    app.add_flag("--json", o->json, "print one JSON array");

    return [o, prompt, file]() -> int {
        if (prompt->count() == 0 && file->count() == 0)
            return report("give --prompt TEXT or --file F");
        std::string text = o->prompt;
        if (file->count() > 0) {
            std::ifstream in(o->file, std::ios::binary);
            if (!in) return report("cannot read '" + o->file + "'");
            std::ostringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        }
        auto vocab = load_vocab(*o);
        if (!vocab) return report(vocab.error());
        const auto ids =
            (*vocab)->encode(text, {.add_bos = !o->no_bos, .parse_special = o->special});
        std::string out = o->json ? "[" : "";
        for (size_t i = 0; i < ids.size(); ++i)
            out += (i ? (o->json ? ", " : " ") : "") + std::to_string(ids[i]);
        std::cout << out << (o->json ? "]" : "") << "\n";
        return 0;
    };
}

}  // namespace prism::cli
