// Format detection for model_source_load and the shape check every reader's output goes
// through before the model code touches it.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "prism/mapped_file.h"
#include "prism/model_source.h"
#include "prism/tokenizer.h"

namespace prism {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw engine_error(errc::format, message);
}

void expect_shape(const model_source& m, const std::string& name,
                  std::initializer_list<int64_t> ne) {
    const tensor_view* t = m.find(name);
    if (!t) fail("missing tensor '" + name + "'");
    std::array<int64_t, 4> want{1, 1, 1, 1};
    size_t i = 0;
    for (int64_t d : ne) want[i++] = d;
    if (t->ne != want) {
        auto show = [](const std::array<int64_t, 4>& a, size_t n) {
            std::string s = "[";
            for (size_t j = 0; j < n; ++j) s += (j ? ", " : "") + std::to_string(a[j]);
            return s + "]";
        };
        fail("tensor '" + name + "' has shape " + show(t->ne, std::max<size_t>(t->n_dims, 1)) +
             ", expected " + show(want, ne.size()));
    }
    const auto traits = kernels::type_info(t->type);
    if (!traits.computable)
        fail("tensor '" + name + "' has type " + std::string(traits.name) +
             ", which this build cannot compute with");
    if (t->ne[0] % traits.block_size != 0)
        fail("tensor '" + name + "': row length " + std::to_string(t->ne[0]) +
             " is not a multiple of the " + std::string(traits.name) + " block size");
    if (t->nbytes != kernels::row_size(t->type, t->ne[0]) * static_cast<size_t>(t->rows()))
        fail("tensor '" + name + "' has " + std::to_string(t->nbytes) +
             " bytes of data, expected " +
             std::to_string(kernels::row_size(t->type, t->ne[0]) * t->rows()));
    if (!t->data && t->nbytes > 0) fail("tensor '" + name + "' has no data");
}

void expect_f32(const model_source& m, const std::string& name) {
    if (m.find(name)->type != kernels::ggml_type::f32)
        fail("norm tensor '" + name + "' must be F32");
}

void check_hparams(const llama_hparams& hp) {
    auto positive = [](const char* what, int64_t v, int64_t max) {
        if (v <= 0 || v > max)
            fail(std::string(what) + " = " + std::to_string(v) + " is out of range [1, " +
                 std::to_string(max) + "]");
    };
    positive("n_vocab", hp.n_vocab, 1 << 24);
    positive("n_embd", hp.n_embd, 1 << 17);
    positive("n_ff", hp.n_ff, 1 << 20);
    positive("n_layer", hp.n_layer, 4096);
    positive("n_head", hp.n_head, 4096);
    positive("n_head_kv", hp.n_head_kv, hp.n_head);
    if (hp.n_embd % hp.n_head != 0)
        fail("n_embd " + std::to_string(hp.n_embd) + " is not divisible by n_head " +
             std::to_string(hp.n_head));
    if (hp.n_head % hp.n_head_kv != 0)
        fail("n_head " + std::to_string(hp.n_head) + " is not a multiple of n_head_kv " +
             std::to_string(hp.n_head_kv));
    if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim() || hp.n_rot % 2 != 0)
        fail("rope dimension count " + std::to_string(hp.n_rot) +
             " must be even and in [2, head_dim = " + std::to_string(hp.head_dim()) + "]");
    if (!(hp.rms_norm_eps > 0.0f) || !std::isfinite(hp.rms_norm_eps) || !(hp.rope_theta > 0.0f) ||
        !std::isfinite(hp.rope_theta))
        fail("rms_norm_eps (" + std::to_string(hp.rms_norm_eps) + ") and rope_theta (" +
             std::to_string(hp.rope_theta) + ") must be positive and finite");
    if (hp.n_ctx_train < 0) fail("context length must not be negative");
}

}  // namespace

result<void> llama_hparams_validate(const llama_hparams& hp) {
    return catch_to_result([&] { check_hparams(hp); });
}

result<void> model_source_validate(const model_source& m) {
    return catch_to_result(
        [&] {
            const auto& hp = m.hparams;
            check_hparams(hp);

            const int64_t e = hp.n_embd, hd = hp.head_dim();
            expect_shape(m, "token_embd.weight", {e, hp.n_vocab});
            expect_shape(m, "output_norm.weight", {e});
            expect_f32(m, "output_norm.weight");
            if (!hp.tied_output) expect_shape(m, "output.weight", {e, hp.n_vocab});
            for (int32_t i = 0; i < hp.n_layer; ++i) {
                const std::string p = "blk." + std::to_string(i) + ".";
                expect_shape(m, p + "attn_norm.weight", {e});
                expect_f32(m, p + "attn_norm.weight");
                expect_shape(m, p + "ffn_norm.weight", {e});
                expect_f32(m, p + "ffn_norm.weight");
                expect_shape(m, p + "attn_q.weight", {e, hp.n_head * hd});
                expect_shape(m, p + "attn_k.weight", {e, hp.n_head_kv * hd});
                expect_shape(m, p + "attn_v.weight", {e, hp.n_head_kv * hd});
                expect_shape(m, p + "attn_output.weight", {hp.n_head * hd, e});
                expect_shape(m, p + "ffn_gate.weight", {e, hp.n_ff});
                expect_shape(m, p + "ffn_up.weight", {e, hp.n_ff});
                expect_shape(m, p + "ffn_down.weight", {hp.n_ff, e});
            }
        },
        m.path);
}

namespace {

// Picks the reader for a file from its first bytes and name; errors for files that are
// recognisably not a model (an LFS pointer, a bare .safetensors, a broken .gguf).
result<model_source> load_model_file(const std::string& path) {
    if (auto ok = file_check_regular(path); !ok) return std::unexpected(ok.error());
    std::string head(64, '\0');
    std::ifstream in(path, std::ios::binary);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (head.starts_with("GGUF")) return model_source_from_gguf(path);
    auto fail = [&](errc code, const std::string& message) {
        return std::unexpected(error{code, message, path, 0});
    };
    if (head.starts_with("version https://git-lfs"))
        return fail(errc::format, "'" + path + "' is a Git LFS pointer, not the model itself: " +
                                      "fetch the real file (git lfs pull)");
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".gguf")
        return fail(errc::format, "'" + path + "' is not a GGUF file: it does not start with " +
                                      "the magic 'GGUF' (" + std::to_string(head.size()) +
                                      "-byte header read)");
    if (ext == ".safetensors")
        return fail(errc::unsupported, "'" + path + "' is a safetensors file: pass the folder " +
                                           "that holds it with config.json and the tokenizer");
    auto src = model_source_from_llama2c(path);
    if (!src && src.error().code == errc::format && ext != ".bin")
        src.error().message = "'" + path + "' is neither GGUF nor a llama2.c checkpoint (" +
                              src.error().message + ")";
    return src;
}

}  // namespace

result<model_source> model_source_load(const std::string& path, const model_load_params& p) {
    if (path.empty()) return std::unexpected(error{errc::io, "empty model path", path, -1});
    std::error_code ec;
    result<model_source> src =
        fs::is_directory(path, ec) ? model_source_from_hf(path) : load_model_file(path);
    if (!src) return src;
    std::string tok_path = p.tokenizer_path;
    if (tok_path.empty() && !src->vocab && src->format == "llama2c") {
        // llama2.c's run.c looks for tokenizer.bin; accept it beside the checkpoint.
        const auto sibling = fs::path(path).parent_path() / "tokenizer.bin";
        if (fs::exists(sibling, ec)) tok_path = sibling.string();
    }
    if (!tok_path.empty()) {
        auto tok = tokenizer::from_file(tok_path, src->hparams.n_vocab);
        if (!tok) return std::unexpected(tok.error());
        src->vocab = std::move(*tok);
    }
    return src;
}

}  // namespace prism

namespace prism {

std::string bundled_model_file(const std::string& file_name) {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share/prism/models" / file_name;
        if (fs::exists(installed, ec)) return installed.string();
    }
    return (fs::path(PRISM_BUNDLED_MODELS_DIR) / file_name).string();
}

std::string default_model_path() {
    if (const char* env = std::getenv("PRISM_MODEL"); env && *env) return env;
    return bundled_model_file("stories260K.gguf");
}

std::string default_vocab_path() {
    return bundled_model_file("ggml-vocab-llama-spm.gguf");
}

}  // namespace prism
