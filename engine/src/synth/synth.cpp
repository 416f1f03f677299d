// Random-weight Llama models (synth.h, and model_source_random in model_source.h): a plan of
// the tensors a checkpoint of the shape has, with the types `prism quantize`'s rules give
// them, and a fill that draws each row from N(0, 0.02²) and converts it to its type.
//
// Design: rows are the unit of work and of randomness. Each row has its own generator
// seeded from (seed, tensor, row), so rows are filled in parallel on a thread pool and the
// bytes do not depend on the thread count; each row is converted as soon as it is drawn
// (kernels::quantize_row, the converter `prism quantize` uses), so no F32 copy of a quantized
// tensor exists. Written files are produced tensor by tensor inside gguf::writer::write.
#include <cstdlib>
#include <filesystem>

#include "prism/backend.h"
#include "prism/gguf.h"
#include "prism/kernels/thread_pool.h"
#include "prism/synth.h"
#include "prism/tokenizer.h"
#include "quantize_mix.h"
#include "synth/normal_rng.h"

namespace prism {

namespace {

using kernels::ggml_type;

constexpr float weight_std = 0.02f;

struct planned_tensor {
    synth_tensor_report report;
    bool ones = false;   ///< a norm weight (all 1) rather than a random matrix
    uint64_t index = 0;  ///< position in the plan: the tensor's random stream
};

[[noreturn]] void invalid(const std::string& message) {
    throw engine_error(errc::invalid_argument, "synth: " + message);
}

// The tensors of a Llama checkpoint of shape hp, in file order, with their types.
std::vector<planned_tensor> plan(const llama_hparams& hp, quantize_ftype ftype) {
    if (auto ok = llama_hparams_validate(hp); !ok) invalid(ok.error().message);
    std::vector<planned_tensor> out;
    const auto add = [&](std::string name, int64_t ne0, int64_t ne1, bool ones) {
        planned_tensor t;
        t.report.name = std::move(name);
        t.report.n_dims = ones ? 1 : 2;
        t.report.ne = {ne0, ones ? 1 : ne1, 1, 1};
        t.ones = ones;
        t.index = out.size();
        out.push_back(std::move(t));
    };
    const int64_t e = hp.n_embd, hd = hp.head_dim();
    add("token_embd.weight", e, hp.n_vocab, false);
    for (int32_t i = 0; i < hp.n_layer; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        add(p + "attn_norm.weight", e, 1, true);
        add(p + "attn_q.weight", e, hp.n_head * hd, false);
        add(p + "attn_k.weight", e, hp.n_head_kv * hd, false);
        add(p + "attn_v.weight", e, hp.n_head_kv * hd, false);
        add(p + "attn_output.weight", hp.n_head * hd, e, false);
        add(p + "ffn_norm.weight", e, 1, true);
        add(p + "ffn_gate.weight", e, hp.n_ff, false);
        add(p + "ffn_up.weight", e, hp.n_ff, false);
        add(p + "ffn_down.weight", hp.n_ff, e, false);
    }
    add("output_norm.weight", e, 1, true);
    if (!hp.tied_output) add("output.weight", e, hp.n_vocab, false);

    std::vector<detail::quantize_tensor_desc> descs;
    for (const auto& t : out)
        descs.push_back({.name = t.report.name, .n_dims = t.report.n_dims, .ne = t.report.ne});
    const auto wanted = detail::quantize_wanted_types(descs, ftype, false);
    for (size_t i = 0; i < out.size(); ++i) {
        auto& r = out[i].report;
        r.wanted = r.type = wanted[i];
        for (ggml_type c : detail::quantize_fallback_types(r.wanted)) {
            if (!detail::quantize_row_fits(c, r.ne[0])) continue;
            r.type = c;  // random N(0, 0.02²) values never exceed a type's range
            break;
        }
        r.nbytes = kernels::row_size(r.type, r.ne[0]) * static_cast<size_t>(r.ne[1]);
    }
    return out;
}

uint64_t row_seed(uint64_t seed, uint64_t tensor, int64_t row) {
    using detail::splitmix64_mix;
    return splitmix64_mix(splitmix64_mix(splitmix64_mix(seed) ^ tensor) ^
                          static_cast<uint64_t>(row));
}

// Draws and converts every row of t into dst (exactly t.report.nbytes bytes).
void fill(const planned_tensor& t, std::span<uint8_t> dst, uint64_t seed,
          kernels::thread_pool& pool) {
    const synth_tensor_report& r = t.report;
    const int64_t ne0 = r.ne[0];
    const size_t row_bytes = kernels::row_size(r.type, ne0);
    pool.parallel_for(r.ne[1], [&](int64_t r0, int64_t r1, int) {
        std::vector<float> x(static_cast<size_t>(ne0), 1.0f);
        for (int64_t row = r0; row < r1; ++row) {
            if (!t.ones)
                detail::normal_rng(row_seed(seed, t.index, row)).fill(x.data(), ne0, weight_std);
            kernels::quantize_row(r.type, x.data(),
                                  dst.data() + static_cast<size_t>(row) * row_bytes, ne0);
        }
    });
}

struct opened_vocab {
    gguf::file file;
    std::shared_ptr<const tokenizer> vocab;
};

opened_vocab open_vocab(const std::string& path_or_empty, int32_t n_vocab) {
    const std::string path = path_or_empty.empty() ? default_vocab_path() : path_or_empty;
    auto f = gguf::file::open(path);
    if (!f) throw engine_error(f.error().code, "vocabulary: " + f.error().message);
    if (!f->find("tokenizer.ggml.model"))
        throw engine_error(errc::format, "vocabulary '" + path + "' has no tokenizer.ggml.* keys");
    auto tok = tokenizer::from_gguf(*f);
    if (!tok)
        throw engine_error(tok.error().code, "vocabulary '" + path + "': " + tok.error().message);
    if ((*tok)->n_vocab() != n_vocab)
        invalid("the vocabulary '" + path + "' has " + std::to_string((*tok)->n_vocab()) +
                " tokens but the shape's vocab_size is " + std::to_string(n_vocab) +
                " (use a shape with vocab_size " + std::to_string((*tok)->n_vocab()) +
                " or another vocabulary file)");
    return {std::move(*f), std::move(*tok)};
}

// Refuses a model whose tensors need more than `available` bytes of `where`, before any of
// it is made (a typo'd shape can ask for terabytes).
void check_room(const std::vector<planned_tensor>& planned, size_t available,
                const std::string& where) {
    size_t need = 0;
    for (const auto& t : planned) need += t.report.nbytes;
    if (need <= available) return;
    char text[160];
    std::snprintf(text, sizeof text, "synth: the model needs %.2f GiB but %s has %.2f GiB",
                  static_cast<double>(need) / (1u << 30), where.c_str(),
                  static_cast<double>(available) / (1u << 30));
    throw engine_error(errc::out_of_memory, text);
}

std::string model_name(const synth_params& p) {
    return p.name.empty() ? "synthetic llama" : p.name;
}

synth_stats write_model(const llama_hparams& hp, const std::string& out, const synth_params& p,
                        const synth_callback& on_tensor, std::stop_token stop) {
    const auto planned = plan(hp, p.ftype);
    const auto v = open_vocab(p.vocab_path, hp.n_vocab);
    if (auto ok = file_check_output(out); !ok) throw engine_error(errc::io, ok.error().message);
    std::error_code ec;
    const auto dir = std::filesystem::absolute(out, ec).parent_path();
    const auto space = std::filesystem::space(dir, ec);
    if (!ec) check_room(planned, space.available, "the disk holding '" + dir.string() + "'");

    gguf::writer w;
    gguf::write_llama_hparams(w, hp);
    w.set("general.name", gguf::value::str(model_name(p)));
    detail::quantize_set_file_type(w, p.ftype);
    for (const auto& [key, value] : v.file.metadata())
        if (key.starts_with("tokenizer.")) w.set(key, value);

    kernels::thread_pool pool(p.n_threads);
    std::stop_source cancel;  // the callback's "stop", or the caller's token
    std::stop_callback forward(stop, [&] { cancel.request_stop(); });
    synth_stats stats;
    const auto total = static_cast<int64_t>(planned.size());
    for (const auto& t : planned) {
        const synth_tensor_report& r = t.report;
        const std::vector<int64_t> ne(r.ne.begin(), r.ne.begin() + r.n_dims);
        w.add_tensor_fill(r.name, r.type, ne, [&, total](std::span<uint8_t> dst) {
            fill(t, dst, p.seed, pool);
            ++stats.n_tensors;
            stats.n_params += r.ne[0] * r.ne[1];
            stats.n_bytes += r.nbytes;
            if (on_tensor && !on_tensor(r, stats.n_tensors, total)) cancel.request_stop();
        });
    }
    auto written = w.write(out, cancel.get_token());
    if (!written) throw engine_error(written.error().code, written.error().message);
    stats.cancelled = !*written;
    return stats;
}

std::shared_ptr<void> aligned_buffer(size_t bytes) {
    const size_t alignment = 64,
                 size = (std::max<size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
    void* p = std::aligned_alloc(alignment, size);
    if (!p)
        throw engine_error(errc::out_of_memory,
                           "synth: cannot allocate " + std::to_string(bytes) + " bytes");
    return {p, std::free};
}

model_source build_model(const llama_hparams& hp, const synth_params& p,
                         std::shared_ptr<const tokenizer> vocab, const synth_progress& on_tensor) {
    const auto planned = plan(hp, p.ftype);
    check_room(planned, backend_cpu_create(1)->memory().free, "available memory");
    model_source m;
    m.path = "<synthetic>";
    m.format = "synthetic";
    m.name = model_name(p);
    m.hparams = hp;
    m.vocab = std::move(vocab);
    m.metadata.emplace_back("general.file_type", std::to_string(static_cast<int32_t>(p.ftype)));
    kernels::thread_pool pool(p.n_threads);
    const auto total = static_cast<int64_t>(planned.size());
    for (const auto& t : planned) {
        const synth_tensor_report& r = t.report;
        auto buf = aligned_buffer(r.nbytes);
        fill(t, {static_cast<uint8_t*>(buf.get()), r.nbytes}, p.seed, pool);
        m.tensors[r.name] = {.name = r.name,
                             .type = r.type,
                             .n_dims = r.n_dims,
                             .ne = r.ne,
                             .data = buf.get(),
                             .nbytes = r.nbytes};
        m.owners.push_back(std::move(buf));
        if (on_tensor) on_tensor(r, static_cast<int64_t>(m.tensors.size()), total);
    }
    if (auto ok = model_source_validate(m); !ok) invalid(ok.error().message);
    return m;
}

}  // namespace

result<synth_stats> model_synth_write(const llama_hparams& hp, const std::string& out,
                                      const synth_params& p, const synth_callback& on_tensor,
                                      std::stop_token stop) {
    return catch_to_result([&] { return write_model(hp, out, p, on_tensor, stop); }, out);
}

result<model_source> model_synth(const llama_hparams& hp, const synth_params& p,
                                 const synth_progress& on_tensor) {
    return catch_to_result(
        [&] { return build_model(hp, p, open_vocab(p.vocab_path, hp.n_vocab).vocab, on_tensor); });
}

result<model_source> model_source_random(const llama_hparams& hp, uint64_t seed,
                                         std::shared_ptr<const tokenizer> vocab) {
    return catch_to_result([&] {
        model_source m =
            build_model(hp, {.seed = seed, .name = "random llama"}, std::move(vocab), {});
        m.path = "<random>";
        m.format = "random";
        return m;
    });
}

}  // namespace prism
