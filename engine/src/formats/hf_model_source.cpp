// Reading a Hugging Face Llama folder (config.json, *.safetensors, tokenizer.model) into a
// model_source with GGUF tensor names and shapes.
//
// Sources: transformers' LlamaForCausalLM checkpoint layout; the sharded-checkpoint index
// (model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: file}}).
// Key choice: the weights stay in the rotate-half RoPE layout HF trains in, and the model
// says rope_layout::rotate_half, so no bytes are copied or permuted — views point straight
// into the mapped shards. Shapes are reversed from PyTorch order into GGUF ne order.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "formats/hf_names.h"
#include "formats/json_strict.h"
#include "prism/hf_config.h"
#include "prism/mapped_file.h"
#include "prism/model_source.h"
#include "prism/safetensors.h"
#include "prism/tokenizer.h"

namespace prism {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(errc code, const std::string& message) {
    throw engine_error(code, message);
}

// Re-throws an error from a nested reader with the file it concerns named in the message.
[[noreturn]] void rethrow(const error& e, const std::string& file_name) {
    std::string msg = e.message;
    if (msg.find(file_name) == std::string::npos) msg = file_name + ": " + msg;
    throw engine_error(e.code, msg, e.offset);
}

std::string read_text(const fs::path& p) {
    auto text = file_read_text(p.string(), 64u << 20);
    if (!text) throw engine_error(text.error().code, text.error().message);
    return std::move(*text);
}

// File name -> tensors that the index says it holds.
std::map<std::string, std::set<std::string>> read_index(const fs::path& p) {
    const std::string name = p.filename().string();
    const auto root = detail::parse_json_strict(read_text(p), name);
    if (!root.is_object()) fail(errc::format, name + ": top level is not a JSON object");
    const auto wm = root.find("weight_map");
    if (wm == root.end() || !wm->is_object()) {
        fail(errc::format, name + ": \"weight_map\" is missing or not an object");
    }
    std::map<std::string, std::set<std::string>> files;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        if (!it->is_string()) {
            fail(errc::format, name + ": weight_map entry \"" + it.key() + "\" is not a string");
        }
        const std::string file = it->get<std::string>();
        // Shards live beside the index; a path elsewhere is corrupt or hostile.
        if (file.empty() || file.find('/') != std::string::npos ||
            file.find('\\') != std::string::npos || file == "." || file == "..") {
            fail(errc::format, name + ": weight_map entry \"" + it.key() +
                                   "\" names a file outside the folder: \"" + file + "\"");
        }
        files[file].insert(it.key());
    }
    if (files.empty()) fail(errc::format, name + ": \"weight_map\" is empty");
    return files;
}

tensor_view to_view(const safetensors::tensor& t, std::string gguf_name,
                    const std::string& file_name) {
    const size_t n = t.shape.size();
    if (n == 0 || n > 4) {
        fail(errc::format, file_name + ": tensor '" + t.name + "' has " + std::to_string(n) +
                               " dimensions (1 to 4 supported)");
    }
    tensor_view v;
    v.name = std::move(gguf_name);
    v.type = t.type;
    v.n_dims = static_cast<uint32_t>(n);
    for (size_t i = 0; i < n; ++i) v.ne[i] = t.shape[n - 1 - i];
    v.data = t.data;
    v.nbytes = t.nbytes;
    return v;
}

std::string folder_name(const fs::path& dir) {
    fs::path p = dir.lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    return p.filename().string();
}

model_source load_hf(const std::string& dir) {
    const fs::path root(dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) fail(errc::io, "'" + dir + "' is not a folder");

    auto config = hf_config_load((root / "config.json").string());
    if (!config) rethrow(config.error(), "config.json");

    model_source m;
    m.path = dir;
    m.format = "safetensors";
    m.name = folder_name(root);
    m.hparams = config->hparams;
    for (const auto& kv : config->entries) m.metadata.push_back(kv);

    // Which shards, and (with an index) which tensors each must hold.
    std::map<std::string, std::set<std::string>> expected;
    const fs::path index_path = root / "model.safetensors.index.json";
    const bool indexed = fs::exists(index_path, ec);
    if (indexed) {
        expected = read_index(index_path);
    } else {
        for (const auto& entry : fs::directory_iterator(root)) {
            if (entry.path().extension() == ".safetensors" && entry.is_regular_file(ec)) {
                expected[entry.path().filename().string()];
            }
        }
    }
    if (expected.empty()) {
        const bool has_bin = fs::exists(root / "pytorch_model.bin", ec) ||
                             fs::exists(root / "pytorch_model.bin.index.json", ec);
        fail(has_bin ? errc::unsupported : errc::format,
             has_bin ? "'" + dir +
                           "' holds a PyTorch .bin checkpoint; only safetensors is "
                           "supported (convert it, or save with safe_serialization)"
                     : "no *.safetensors files in '" + dir + "'");
    }

    bool has_lm_head = false;
    for (const auto& [file_name, names] : expected) {
        auto f = safetensors::file::open((root / file_name).string());
        if (!f) rethrow(f.error(), file_name);
        for (const auto& want : names) {
            if (!f->find(want)) {
                fail(errc::format, "model.safetensors.index.json lists '" + want + "' in " +
                                       file_name + ", which does not hold it");
            }
        }
        for (const auto& t : f->tensors()) {
            if (t.name.ends_with("rotary_emb.inv_freq")) continue;  // a buffer, not a weight
            long layer = -1;
            auto gguf_name = detail::hf_to_gguf_name(t.name, layer);
            if (!gguf_name) {
                fail(errc::unsupported, file_name + ": tensor '" + t.name +
                                            "' is not part of a Llama model this engine runs");
            }
            if (layer >= m.hparams.n_layer) {
                fail(errc::format, file_name + ": tensor '" + t.name + "' is for layer " +
                                       std::to_string(layer) + " but config.json has " +
                                       std::to_string(m.hparams.n_layer) + " layers");
            }
            if (m.tensors.count(*gguf_name)) {
                fail(errc::format,
                     file_name + ": tensor '" + t.name + "' appears in more than one file");
            }
            if (*gguf_name == "output.weight") has_lm_head = true;
            m.tensors.emplace(*gguf_name, to_view(t, *gguf_name, file_name));
        }
        for (const auto& [k, v] : f->metadata()) {
            m.metadata.emplace_back("safetensors." + k, v);
        }
        m.owners.push_back(f->owner());
    }

    // Tied classifier: the model reads token_embd; drop a redundant lm_head copy.
    m.hparams.tied_output = m.hparams.tied_output || !has_lm_head;
    if (m.hparams.tied_output) m.tensors.erase("output.weight");

    const fs::path sp_model = root / "tokenizer.model";
    if (fs::exists(sp_model, ec)) {
        auto tok = tokenizer::from_sentencepiece(sp_model.string());
        if (!tok) rethrow(tok.error(), "tokenizer.model");
        m.vocab = *tok;
    } else if (fs::exists(root / "tokenizer.json", ec)) {
        m.metadata.emplace_back("prism.tokenizer_note",
                                "tokenizer.json is not supported yet; no tokenizer loaded");
    }
    return m;
}

}  // namespace

result<model_source> model_source_from_hf(const std::string& dir) {
    return catch_to_result([&] { return load_hf(dir); }, dir);
}

}  // namespace prism
