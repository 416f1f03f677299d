// `prism tokenize`: prints the token ids of a text, space-separated (or, with --json, one
// JSON array). The model may be a vocabulary-only GGUF; only the tokenizer is read.
#include <fstream>
#include <iostream>

#include "commands.h"
#include "prism/mapped_file.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"

namespace prism::cli {

namespace {

constexpr size_t max_text_bytes = 64u << 20;  // --file limit: far beyond any context

struct tokenize_options {
    std::string model, tokenizer, prompt, file;
    bool no_bos = false, json = false, special = false;
};

// Only the tokenizer is read: a GGUF (vocabulary-only files included) through its
// metadata, other formats through the model reader.
result<std::shared_ptr<const tokenizer>>
load_vocab(const tokenize_options& o, const CLI::Option* model_opt, const CLI::Option* tok_opt) {
    if (tok_opt->count() > 0) return tokenizer::from_file(o.tokenizer);
    const std::string path = model_path_or_default(model_opt, o.model);
    if (file_check_regular(path)) {
        std::ifstream in(path, std::ios::binary);
        char magic[4] = {};
        if (in.read(magic, 4) && std::string(magic, 4) == "GGUF") return tokenizer::from_file(path);
    }
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
    auto* model_opt =
        app.add_option("--model,-m", o->model, "model or vocabulary GGUF (default: bundled model)");
    auto* tok_opt =
        app.add_option("--tokenizer", o->tokenizer, "tokenizer file instead of the model's");
    auto* prompt = app.add_option("--prompt,-p", o->prompt, "text to tokenize");
    auto* file = app.add_option("--file,-f", o->file, "read the text from a file");
    prompt->excludes(file);
    app.add_flag("--no-bos", o->no_bos, "do not prepend the BOS token");
    app.add_flag("--parse-special", o->special, "parse special-token text such as </s>");
    app.add_flag("--json", o->json, "print one JSON array");

    return [o, prompt, file, model_opt, tok_opt]() -> int {
        if (prompt->count() == 0 && file->count() == 0)
            return report("give --prompt TEXT or --file F");
        std::string text = o->prompt;
        if (file->count() > 0) {
            auto read = file_read_text(o->file, max_text_bytes);
            if (!read) return report(read.error());
            text = std::move(*read);
        }
        auto vocab = load_vocab(*o, model_opt, tok_opt);
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
