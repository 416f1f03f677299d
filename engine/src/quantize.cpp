// model_quantize (quantize.h): a GGUF model rewritten with its weight matrices converted to
// a file type's mix of element types.
//
// Source: llama.cpp's llama-quantize (src/llama-quant.cpp): which tensors are quantized
// (tensor_allows_quantization: at least 2-D, named *weight, not a norm), the type rules of
// llama_tensor_get_type for Q4_0/Q8_0/Q4_K/Q5_K/Q6_K/F16/BF16 and the _M mixes, the
// use_more_bits layer pattern, general.file_type / general.quantization_version. Rows are
// converted in parallel (dequantize_row_ref, then quantize_row: the reference quantizers'
// bytes, through their fast twins where the CPU has them); every converted row is decoded
// again and checked finite, so a value outside a type's range (an f16 scale overflowing)
// falls back to a wider type instead of writing infinities.
#include "prism/quantize.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "prism/gguf.h"
#include "prism/kernels/thread_pool.h"
#include "prism/mapped_file.h"
#include "quantize_mix.h"

namespace prism {

namespace {

using kernels::ggml_type;

struct ftype_entry {
    quantize_ftype ftype;
    std::string_view name;
    ggml_type base;
};

constexpr ftype_entry ftypes[] = {
    {quantize_ftype::q8_0, "Q8_0", ggml_type::q8_0},
    {quantize_ftype::q4_0, "Q4_0", ggml_type::q4_0},
    {quantize_ftype::q4_k, "Q4_K", ggml_type::q4_k},
    {quantize_ftype::q5_k, "Q5_K", ggml_type::q5_k},
    {quantize_ftype::q6_k, "Q6_K", ggml_type::q6_k},
    {quantize_ftype::q4_k_m, "Q4_K_M", ggml_type::q4_k},
    {quantize_ftype::q5_k_m, "Q5_K_M", ggml_type::q5_k},
    {quantize_ftype::f16, "F16", ggml_type::f16},
    {quantize_ftype::bf16, "BF16", ggml_type::bf16},
    {quantize_ftype::f32, "F32", ggml_type::f32},
};

const ftype_entry& entry_of(quantize_ftype t) {
    for (const auto& e : ftypes)
        if (e.ftype == t) return e;
    throw engine_error(errc::invalid_argument,
                       "unknown quantize file type " + std::to_string(static_cast<int>(t)));
}

bool is_quantized(ggml_type t) {
    return kernels::type_info(t).block_size > 1;
}

bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

// llama.cpp's layer pattern for the tensors that get more bits in the _M mixes: the first
// and last eighth of the layers and every third one in between.
bool use_more_bits(int i_layer, int n_layers) {
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
           (i_layer - n_layers / 8) % 3 == 2;
}

// llama.cpp's tensor_allows_quantization for the tensors a llama model has.
bool is_weight_matrix(const detail::quantize_tensor_desc& t) {
    const std::string& n = t.name;
    return t.n_dims >= 2 && n.size() >= 6 && n.compare(n.size() - 6, 6, "weight") == 0 &&
           !contains(n, "_norm.weight");
}

struct mix_state {
    quantize_ftype ftype;
    bool pure = false;
    bool tied = false;  // no output.weight: token_embd.weight is also the classifier
    int n_attn_v = 0, n_ffn_down = 0;
    int i_attn_v = 0, i_ffn_down = 0;
};

// The type llama_tensor_get_type picks for one weight matrix (before shape fallbacks).
ggml_type wanted_type(mix_state& s, const detail::quantize_tensor_desc& t) {
    const ggml_type base = quantize_ftype_base(s.ftype);
    if (s.pure || !is_quantized(base)) return base;
    const bool m_mix = s.ftype == quantize_ftype::q4_k_m || s.ftype == quantize_ftype::q5_k_m;
    if (t.name == "output.weight" || (s.tied && t.name == "token_embd.weight")) {
        if (t.ne[0] % kernels::type_info(base).block_size != 0) return ggml_type::q8_0;
        return base == ggml_type::q8_0 ? base : ggml_type::q6_k;
    }
    if (contains(t.name, "attn_v.weight")) {
        const bool more = m_mix && use_more_bits(s.i_attn_v, s.n_attn_v);
        ++s.i_attn_v;
        return more ? ggml_type::q6_k : base;
    }
    if (contains(t.name, "ffn_down")) {
        const bool more = m_mix && use_more_bits(s.i_ffn_down, s.n_ffn_down);
        ++s.i_ffn_down;
        return more ? ggml_type::q6_k : base;
    }
    return base;
}

enum class convert_outcome { ok, not_finite_input, out_of_range };

// Converts rows × ne0 elements from `in` (type_in) to `out` (type_out), in parallel. Each
// output row is decoded again: a non-finite value there means type_out's range overflowed.
convert_outcome convert_rows(ggml_type type_in, const uint8_t* in, ggml_type type_out, uint8_t* out,
                             int64_t ne0, int64_t rows, kernels::thread_pool& pool) {
    const size_t row_in = kernels::row_size(type_in, ne0);
    const size_t row_out = kernels::row_size(type_out, ne0);
    std::atomic<bool> bad_input{false}, overflow{false};
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1, int) {
        std::vector<float> x(static_cast<size_t>(ne0)), back(static_cast<size_t>(ne0));
        for (int64_t r = r0; r < r1 && !bad_input && !overflow; ++r) {
            kernels::dequantize_row_ref(type_in, in + static_cast<size_t>(r) * row_in, x.data(),
                                        ne0);
            if (!std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); })) {
                bad_input = true;
                return;
            }
            uint8_t* dst = out + static_cast<size_t>(r) * row_out;
            kernels::quantize_row(type_out, x.data(), dst, ne0);
            kernels::dequantize_row_ref(type_out, dst, back.data(), ne0);
            if (!std::all_of(back.begin(), back.end(), [](float v) { return std::isfinite(v); }))
                overflow = true;
        }
    });
    if (bad_input) return convert_outcome::not_finite_input;
    return overflow ? convert_outcome::out_of_range : convert_outcome::ok;
}

std::string upper(std::string_view s) {
    std::string u(s);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
}

quantize_stats run(const std::string& in, const std::string& out, const quantize_params& p,
                   const quantize_callback& on_tensor, const std::stop_token& stop) {
    quantize_ftype_base(p.ftype);  // throws for an unknown ftype
    auto opened = gguf::file::open(in);
    if (!opened) {
        const auto& e = opened.error();
        throw engine_error(e.code, e.message, e.offset);
    }
    const gguf::file& f = *opened;
    if (auto ok = file_check_output(out); !ok) throw engine_error(errc::io, ok.error().message);
    std::error_code ec;
    if (std::filesystem::equivalent(in, out, ec))
        throw engine_error(errc::invalid_argument,
                           "output '" + out + "' is the input file; write to a new file");

    std::vector<detail::quantize_tensor_desc> descs;
    for (const auto& t : f.tensors())
        descs.push_back({.name = t.name, .n_dims = t.n_dims, .ne = t.ne, .type = t.type});
    const auto wanted = detail::quantize_wanted_types(descs, p.ftype, p.pure);

    gguf::writer w;
    for (const auto& [key, value] : f.metadata()) w.set(key, value);
    detail::quantize_set_file_type(w, p.ftype);

    kernels::thread_pool pool(p.n_threads);
    quantize_stats stats;
    const auto total = static_cast<int64_t>(f.tensors().size());
    for (size_t i_tensor = 0; i_tensor < f.tensors().size(); ++i_tensor) {
        const auto& t = f.tensors()[i_tensor];
        if (stop.stop_requested()) {
            stats.cancelled = true;
            return stats;
        }
        quantize_tensor_report r{.name = t.name,
                                 .n_dims = t.n_dims,
                                 .ne = t.ne,
                                 .type_in = t.type,
                                 .wanted = t.type,
                                 .type_out = t.type,
                                 .bytes_in = static_cast<size_t>(t.nbytes),
                                 .bytes_out = static_cast<size_t>(t.nbytes)};
        const std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        const int64_t ne0 = t.ne[0], rows = t.ne[1] * t.ne[2] * t.ne[3];
        r.wanted = wanted[i_tensor];
        if (r.wanted == t.type) {
            w.add_tensor(t.name, t.type, ne, t.data, static_cast<size_t>(t.nbytes));
        } else {
            if (!kernels::type_info(t.type).computable)
                throw engine_error(errc::unsupported, "tensor '" + t.name + "' has type " +
                                                          std::string(kernels::type_name(t.type)) +
                                                          ", which this build cannot dequantize");
            std::vector<uint8_t> bytes;
            std::string why;  // reasons for skipping the types tried before the one used
            bool done = false;
            for (ggml_type c : detail::quantize_fallback_types(r.wanted)) {
                const auto name = std::string(kernels::type_name(c));
                const int64_t block = kernels::type_info(c).block_size;
                if (!detail::quantize_row_fits(c, ne0)) {
                    why += (why.empty() ? "row length " + std::to_string(ne0) + " is not a " +
                                              "multiple of "
                                        : ", nor ") +
                           std::to_string(block) + " (" + name + ")";
                    continue;
                }
                bytes.assign(kernels::row_size(c, ne0) * static_cast<size_t>(rows), 0);
                const auto outcome = convert_rows(t.type, t.data, c, bytes.data(), ne0, rows, pool);
                if (outcome == convert_outcome::not_finite_input)
                    throw engine_error(errc::format,
                                       "tensor '" + t.name + "' holds NaN or infinite values");
                if (outcome == convert_outcome::out_of_range) {
                    why += (why.empty() ? "" : "; ") + std::string("values exceed the range of ") +
                           name;
                    continue;
                }
                r.type_out = c;
                done = true;
                break;
            }
            if (!done)  // F32 always fits and finite inputs stay finite
                throw engine_error(errc::internal, "tensor '" + t.name + "': no type fits");
            if (r.type_out != r.wanted) {
                r.fallback = why;
                ++stats.n_fallbacks;
            }
            r.converted = true;
            r.bytes_out = bytes.size();
            ++stats.n_converted;
            w.add_tensor(t.name, r.type_out, ne, bytes.data(), bytes.size());
        }
        stats.bytes_in += r.bytes_in;
        stats.bytes_out += r.bytes_out;
        stats.tensors.push_back(r);
        if (on_tensor &&
            !on_tensor(stats.tensors.back(), static_cast<int64_t>(stats.tensors.size()), total)) {
            stats.cancelled = true;
            return stats;
        }
    }
    if (stop.stop_requested()) {
        stats.cancelled = true;
        return stats;
    }
    if (auto ok = w.write(out); !ok) {
        const auto& e = ok.error();
        throw engine_error(e.code, e.message, e.offset);
    }
    return stats;
}

}  // namespace

std::vector<ggml_type>
detail::quantize_wanted_types(const std::vector<quantize_tensor_desc>& tensors,
                              quantize_ftype ftype, bool pure) {
    quantize_ftype_base(ftype);  // throws for an unknown ftype
    bool tied = true;
    for (const auto& t : tensors) tied = tied && t.name != "output.weight";
    mix_state mix{.ftype = ftype, .pure = pure, .tied = tied};
    for (const auto& t : tensors) {
        if (!is_weight_matrix(t)) continue;
        mix.n_attn_v += contains(t.name, "attn_v.weight");
        mix.n_ffn_down += contains(t.name, "ffn_down");
    }
    std::vector<ggml_type> wanted;
    for (const auto& t : tensors)
        wanted.push_back(is_weight_matrix(t) ? wanted_type(mix, t) : t.type);
    return wanted;
}

std::vector<ggml_type> detail::quantize_fallback_types(ggml_type wanted) {
    std::vector<ggml_type> c{wanted};
    if (is_quantized(wanted) && wanted != ggml_type::q8_0) c.push_back(ggml_type::q8_0);
    if (wanted != ggml_type::f32 && wanted != ggml_type::f16) c.push_back(ggml_type::f16);
    if (wanted != ggml_type::f32) c.push_back(ggml_type::f32);
    return c;
}

bool detail::quantize_row_fits(ggml_type t, int64_t ne0) {
    return ne0 % kernels::type_info(t).block_size == 0;
}

void detail::quantize_set_file_type(gguf::writer& w, quantize_ftype ftype) {
    w.set("general.file_type", gguf::value::u32(static_cast<uint32_t>(ftype)));
    if (is_quantized(quantize_ftype_base(ftype)))
        w.set("general.quantization_version", gguf::value::u32(2));
}

std::string_view quantize_ftype_name(quantize_ftype t) {
    return entry_of(t).name;
}

std::optional<quantize_ftype> quantize_ftype_from_name(std::string_view name) {
    const std::string u = upper(name);
    for (const auto& e : ftypes)
        if (e.name == u) return e.ftype;
    return std::nullopt;
}

std::optional<quantize_ftype> quantize_ftype_from_value(int64_t value) {
    for (const auto& e : ftypes)
        if (static_cast<int64_t>(e.ftype) == value) return e.ftype;
    return std::nullopt;
}

std::string quantize_ftype_names() {
    std::string s;
    for (const auto& e : ftypes) s += (s.empty() ? "" : ", ") + std::string(e.name);
    return s;
}

kernels::ggml_type quantize_ftype_base(quantize_ftype t) {
    return entry_of(t).base;
}

result<quantize_stats> model_quantize(const std::string& in, const std::string& out,
                                      const quantize_params& p, const quantize_callback& on_tensor,
                                      std::stop_token stop) {
    return catch_to_result([&] { return run(in, out, p, on_tensor, stop); });
}

}  // namespace prism
